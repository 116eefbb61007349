#include "src/server/metrics.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "src/store/descriptors.h"
#include "src/store/errors.h"
#include "src/store/wire.h"

namespace forum_registry::server {
namespace {

// A label value as the exposition format writes it. The values here are
// method names from the server's own registry, not client text; escaped
// anyway, as the format requires.
std::string LabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// go-grpc-prometheus' grpc_type of a method this program has the descriptor
// of; "unary" for others.
const char* GrpcType(const std::string& service, const std::string& method) {
  const google::protobuf::ServiceDescriptor* found =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          service);
  const google::protobuf::MethodDescriptor* m =
      found == nullptr ? nullptr : found->FindMethodByName(method);
  if (m == nullptr) return "unary";
  if (m->client_streaming()) {
    return m->server_streaming() ? "bidi_stream" : "client_stream";
  }
  return m->server_streaming() ? "server_stream" : "unary";
}

// "/forumregistry.v1.ForumService/GetForum" -> service and method labels.
std::string Labels(const std::string& full_method) {
  const size_t slash = full_method.rfind('/');
  const std::string service = slash == std::string::npos || slash == 0
                                  ? ""
                                  : full_method.substr(1, slash - 1);
  const std::string method =
      slash == std::string::npos ? full_method : full_method.substr(slash + 1);
  return absl::StrCat("grpc_type=\"", GrpcType(service, method),
                      "\",grpc_service=\"", LabelValue(service),
                      "\",grpc_method=\"", LabelValue(method), "\"");
}

// Six significant digits: enough for bucket bounds and latency sums.
std::string Number(double value) { return absl::StrCat(value); }

}  // namespace

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "CANCELLED";
    case grpc::UNKNOWN:
      return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::ABORTED:
      return "ABORTED";
    case grpc::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::INTERNAL:
      return "INTERNAL";
    case grpc::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

void Metrics::RpcStarted(const std::string& method) {
  absl::MutexLock lock(&mu_);
  ++started_[method];
}

void Metrics::RpcHandled(const std::string& method, grpc::StatusCode code,
                         double seconds) {
  absl::MutexLock lock(&mu_);
  ++handled_[{method, code}];
  Histogram& histogram = latency_[method];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

std::string Metrics::Render(const MetricSources& sources) const {
  std::string out;
  absl::MutexLock lock(&mu_);
  absl::StrAppend(&out,
                  "# HELP forum_registry_up 1 while the server runs.\n"
                  "# TYPE forum_registry_up gauge\nforum_registry_up 1\n");
  // Descriptors: Prometheus' standard process_* names, and how often a
  // defence met the limit (store/descriptors.h).
  absl::StrAppend(
      &out,
      "# HELP process_open_fds Open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds ",
      store::OpenDescriptors(),
      "\n# HELP process_max_fds The most file descriptors the process may "
      "open.\n# TYPE process_max_fds gauge\nprocess_max_fds ",
      store::DescriptorLimit(),
      "\n# HELP forum_registry_descriptors_exhausted_total Times a defence "
      "(watchdog, connection cutter, heap guard) found no descriptor free "
      "and went on without a duplicate.\n"
      "# TYPE forum_registry_descriptors_exhausted_total counter\n"
      "forum_registry_descriptors_exhausted_total ",
      store::DescriptorsExhausted(), "\n");
  absl::StrAppend(
      &out,
      "# HELP grpc_server_started_total RPCs started on the server.\n"
      "# TYPE grpc_server_started_total counter\n");
  for (const auto& [method, count] : started_) {
    absl::StrAppend(&out, "grpc_server_started_total{", Labels(method), "} ",
                    count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP grpc_server_handled_total RPCs completed on the "
                  "server, by status code.\n"
                  "# TYPE grpc_server_handled_total counter\n");
  for (const auto& [key, count] : handled_) {
    absl::StrAppend(&out, "grpc_server_handled_total{", Labels(key.first),
                    ",grpc_code=\"", CodeName(key.second), "\"} ", count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP grpc_server_handling_seconds Time to answer an RPC.\n"
                  "# TYPE grpc_server_handling_seconds histogram\n");
  for (const auto& [method, histogram] : latency_) {
    const std::string labels = Labels(method);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      absl::StrAppend(&out, "grpc_server_handling_seconds_bucket{", labels,
                      ",le=\"", Number(kBuckets[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "grpc_server_handling_seconds_bucket{", labels,
                    ",le=\"+Inf\"} ", histogram.count, "\n",
                    "grpc_server_handling_seconds_sum{", labels, "} ",
                    Number(histogram.sum), "\n",
                    "grpc_server_handling_seconds_count{", labels, "} ",
                    histogram.count, "\n");
  }
  absl::StrAppend(
      &out,
      "# HELP forum_registry_db_pool_connections Database connections open, "
      "by state.\n# TYPE forum_registry_db_pool_connections gauge\n");
  std::string waiting =
      "# HELP forum_registry_db_pool_waiting Callers waiting for a database "
      "connection.\n# TYPE forum_registry_db_pool_waiting gauge\n";
  std::string size =
      "# HELP forum_registry_db_pool_size The most database connections "
      "allowed.\n# TYPE forum_registry_db_pool_size gauge\n";
  for (const auto& [name, pool] : sources.pools) {
    const store::ConnectionPool::Stats stats = pool->GetStats();
    absl::StrAppend(&out, "forum_registry_db_pool_connections{pool=\"", name,
                    "\",state=\"in_use\"} ", stats.in_use, "\n",
                    "forum_registry_db_pool_connections{pool=\"", name,
                    "\",state=\"idle\"} ", stats.idle, "\n");
    absl::StrAppend(&waiting, "forum_registry_db_pool_waiting{pool=\"", name,
                    "\"} ", stats.waiting, "\n");
    absl::StrAppend(&size, "forum_registry_db_pool_size{pool=\"", name, "\"} ",
                    stats.size, "\n");
  }
  absl::StrAppend(&out, waiting, size);
  absl::StrAppend(&out,
                  "# HELP forum_registry_db_errors_total Database failures, by "
                  "the status they became.\n"
                  "# TYPE forum_registry_db_errors_total counter\n");
  for (const auto& [code, count] : store::DatabaseErrorCounts()) {
    absl::StrAppend(&out, "forum_registry_db_errors_total{code=\"",
                    CodeName(static_cast<grpc::StatusCode>(code)), "\"} ",
                    count, "\n");
  }
  if (sources.feed != nullptr) {
    const api::ChangeFeed::Stats feed = sources.feed->GetStats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_watch_streams Open WatchChanges streams.\n"
        "# TYPE forum_registry_watch_streams gauge\n"
        "forum_registry_watch_streams ",
        feed.watchers,
        "\n# HELP forum_registry_watch_revision The newest revision the "
        "change feed has read.\n"
        "# TYPE forum_registry_watch_revision gauge\n"
        "forum_registry_watch_revision ",
        feed.revision,
        "\n# HELP forum_registry_watch_messages_total Changes and bookmarks "
        "written to WatchChanges streams.\n"
        "# TYPE forum_registry_watch_messages_total counter\n"
        "forum_registry_watch_messages_total ",
        feed.delivered,
        "\n# HELP forum_registry_watch_too_slow_total WatchChanges streams "
        "ended because the client fell too far behind.\n"
        "# TYPE forum_registry_watch_too_slow_total counter\n"
        "forum_registry_watch_too_slow_total ",
        feed.too_slow,
        "\n# HELP forum_registry_watch_refused_total WatchChanges streams "
        "refused at --max-watches, --max-watches-per-connection or "
        "--max-watches-per-caller.\n"
        "# TYPE forum_registry_watch_refused_total counter\n"
        "forum_registry_watch_refused_total ",
        feed.refused,
        "\n# HELP forum_registry_watch_held_bytes Bytes of pages read for "
        "starting watchers and not yet written (counted in "
        "forum_registry_unsent_bytes too).\n"
        "# TYPE forum_registry_watch_held_bytes gauge\n"
        "forum_registry_watch_held_bytes ",
        feed.held_bytes, "\n");
  }
  if (sources.dispatcher != nullptr) {
    const api::Dispatcher::Counts calls = sources.dispatcher->counts();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_calls_queued Unary calls (and watch starts) "
        "waiting for a worker.\n"
        "# TYPE forum_registry_calls_queued gauge\n"
        "forum_registry_calls_queued ",
        calls.queued,
        "\n# HELP forum_registry_calls_running Unary calls (and watch starts) "
        "a worker runs.\n"
        "# TYPE forum_registry_calls_running gauge\n"
        "forum_registry_calls_running ",
        calls.running,
        "\n# HELP forum_registry_unsent_bytes Bytes of answers their clients "
        "have not taken yet.\n"
        "# TYPE forum_registry_unsent_bytes gauge\n"
        "forum_registry_unsent_bytes ",
        calls.unsent_bytes,
        "\n# HELP forum_registry_unsent_calls Calls whose answer their "
        "client has not taken yet.\n"
        "# TYPE forum_registry_unsent_calls gauge\n"
        "forum_registry_unsent_calls ",
        calls.unsent_calls,
        "\n# HELP forum_registry_calls_refused_total Unary calls (and watch "
        "starts) refused with RESOURCE_EXHAUSTED by admission.\n"
        "# TYPE forum_registry_calls_refused_total counter\n"
        "forum_registry_calls_refused_total ",
        calls.refused,
        "\n# HELP forum_registry_calls_after_wait_total Never-stale Gets and "
        "Lists that waited for the primary's revision on no worker, by where "
        "they ran then: at once on the revision check's thread (answered from "
        "memory, or refused), or on a worker (the caches had not applied "
        "the revision, or the page needed the database after all).\n"
        "# TYPE forum_registry_calls_after_wait_total counter\n"
        "forum_registry_calls_after_wait_total{ran=\"at_once\"} ",
        calls.after_wait_now,
        "\nforum_registry_calls_after_wait_total{ran=\"worker\"} ",
        calls.after_wait_queued,
        "\n# HELP forum_registry_calls_in_place_total Gets and Lists naming a "
        "revision the caches had applied, answered from memory on gRPC's "
        "thread, by where they ran: at once, or on a worker (the page needed "
        "the database after all).\n"
        "# TYPE forum_registry_calls_in_place_total counter\n"
        "forum_registry_calls_in_place_total{ran=\"at_once\"} ",
        calls.in_place_now,
        "\nforum_registry_calls_in_place_total{ran=\"worker\"} ",
        calls.in_place_queued,
        "\n# HELP forum_registry_connections_cut_total Connections closed: "
        "for cancelling calls faster than --max-cancels-per-connection, or "
        "as the heaviest sender while the heap was past --max-heap-mib.\n"
        "# TYPE forum_registry_connections_cut_total counter\n"
        "forum_registry_connections_cut_total{reason=\"cancels\"} ",
        calls.connections_cut,
        "\nforum_registry_connections_cut_total{reason=\"heap\"} ",
        sources.heap_guard != nullptr ? sources.heap_guard->cut() : 0,
        "\n# HELP forum_registry_heap_bytes Heap in use (glibc).\n"
        "# TYPE forum_registry_heap_bytes gauge\n"
        "forum_registry_heap_bytes ",
        api::HeapGuard::HeapInUse(), "\n");
  }
  {
    const store::StoredBytesCounts read = store::GetStoredBytesCounts();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_records_read_total Records read from the "
        "database and answered, by what they were made from: their stored "
        "bytes (spliced or decoded), or their JSON, where no bytes are "
        "stored (migrations/0016; `forum-registry migrate` fills them).\n"
        "# TYPE forum_registry_records_read_total counter\n"
        "forum_registry_records_read_total{from=\"bytes\"} ",
        read.from_bytes, "\nforum_registry_records_read_total{from=\"json\"} ",
        read.from_json, "\n");
  }
  if (sources.cache != nullptr) {
    const store::RecordCache::Stats cache = sources.cache->GetStats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_record_cache_hits_total Reads served from the "
        "record cache, without decoding the stored record.\n"
        "# TYPE forum_registry_record_cache_hits_total counter\n"
        "forum_registry_record_cache_hits_total ",
        cache.hits,
        "\n# HELP forum_registry_record_cache_misses_total Reads that decoded "
        "the stored record.\n"
        "# TYPE forum_registry_record_cache_misses_total counter\n"
        "forum_registry_record_cache_misses_total ",
        cache.misses,
        "\n# HELP forum_registry_record_cache_records Records in the cache "
        "(at most --record-cache-size).\n"
        "# TYPE forum_registry_record_cache_records gauge\n"
        "forum_registry_record_cache_records ",
        cache.size,
        "\n# HELP forum_registry_record_cache_revision The newest revision "
        "the change feed applied to the record cache.\n"
        "# TYPE forum_registry_record_cache_revision gauge\n"
        "forum_registry_record_cache_revision ",
        cache.revision, "\n");
  }
  if (sources.lists != nullptr) {
    const store::ListCache::Stats lists = sources.lists->GetStats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_list_cache_records Records held whole by kind "
        "for Lists in name order.\n"
        "# TYPE forum_registry_list_cache_records gauge\n"
        "forum_registry_list_cache_records ",
        lists.records,
        "\n# HELP forum_registry_list_cache_bytes Bytes the list cache counts "
        "against --list-cache-bytes.\n"
        "# TYPE forum_registry_list_cache_bytes gauge\n"
        "forum_registry_list_cache_bytes ",
        lists.bytes,
        "\n# HELP forum_registry_list_cache_kinds Kinds held whole (the "
        "others' Lists read the database).\n"
        "# TYPE forum_registry_list_cache_kinds gauge\n"
        "forum_registry_list_cache_kinds ",
        lists.kinds_held,
        "\n# HELP forum_registry_list_cache_pages_total List pages answered "
        "from the list cache.\n"
        "# TYPE forum_registry_list_cache_pages_total counter\n"
        "forum_registry_list_cache_pages_total ",
        lists.pages, "\n");
  }
  if (sources.revisions != nullptr) {
    absl::StrAppend(
        &out,
        "# HELP forum_registry_revision_checks_total Queries for the current "
        "revision, each shared by the reads that arrived while the previous "
        "one ran.\n"
        "# TYPE forum_registry_revision_checks_total counter\n"
        "forum_registry_revision_checks_total ",
        sources.revisions->checks(), "\n");
  }
  if (sources.jwt != nullptr) {
    const auth::JwtVerifier::Stats jwt = sources.jwt->stats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_jwt_keys Public keys bearer tokens are "
        "verified with (--jwt-public-keys).\n"
        "# TYPE forum_registry_jwt_keys gauge\n"
        "forum_registry_jwt_keys ",
        jwt.keys,
        "\n# HELP forum_registry_jwt_keys_skipped Keys of the JWK Sets held "
        "that the server cannot verify with (another type, curve or alg), "
        "each logged as jwt_key_skipped.\n"
        "# TYPE forum_registry_jwt_keys_skipped gauge\n"
        "forum_registry_jwt_keys_skipped ",
        jwt.skipped,
        "\n# HELP forum_registry_jwt_key_reloads_total Key files read again "
        "because they changed: loaded, or failed (the previous keys kept, "
        "logged as jwt_keys_reload_failed).\n"
        "# TYPE forum_registry_jwt_key_reloads_total counter\n"
        "forum_registry_jwt_key_reloads_total{result=\"loaded\"} ",
        jwt.reloads,
        "\nforum_registry_jwt_key_reloads_total{result=\"failed\"} ",
        jwt.reload_failures, "\n");
  }
  if (sources.purger != nullptr) {
    const ChangePurger::Stats purge = sources.purger->GetStats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_changes_purged_total Changes this replica's "
        "retention compaction moved the log's horizon over "
        "(--change-retention).\n"
        "# TYPE forum_registry_changes_purged_total counter\n"
        "forum_registry_changes_purged_total ",
        purge.changes_purged,
        "\n# HELP forum_registry_request_ids_purged_total Stored request ids "
        "deleted by this replica's purges (--request-id-retention).\n"
        "# TYPE forum_registry_request_ids_purged_total counter\n"
        "forum_registry_request_ids_purged_total ",
        purge.request_ids_purged,
        "\n# HELP forum_registry_change_purge_batches_total Purge batches "
        "run, each its own transaction of at most --change-purge-batch "
        "rows.\n"
        "# TYPE forum_registry_change_purge_batches_total counter\n"
        "forum_registry_change_purge_batches_total{table=\"changes\"} ",
        purge.change_batches,
        "\nforum_registry_change_purge_batches_total{table=\"write_"
        "requests\"} ",
        purge.request_id_batches,
        "\n# HELP forum_registry_change_purge_failures_total Purge rounds "
        "that "
        "ended on an error.\n"
        "# TYPE forum_registry_change_purge_failures_total counter\n"
        "forum_registry_change_purge_failures_total ",
        purge.failures,
        "\n# HELP forum_registry_change_purge_last_seconds How long the last "
        "purge round took, every batch of it.\n"
        "# TYPE forum_registry_change_purge_last_seconds gauge\n"
        "forum_registry_change_purge_last_seconds ",
        Number(absl::ToDoubleSeconds(purge.last_round)),
        "\n# HELP forum_registry_change_purge_last_success_timestamp_seconds "
        "When the last purge round that ended without an error ended (Unix "
        "time; 0: none yet).\n"
        "# TYPE forum_registry_change_purge_last_success_timestamp_seconds "
        "gauge\n"
        "forum_registry_change_purge_last_success_timestamp_seconds ",
        purge.last_success == absl::InfinitePast()
            ? int64_t{0}
            : absl::ToUnixSeconds(purge.last_success),
        "\n");
  }
  if (sources.door != nullptr) {
    const http::Door::Stats door = sources.door->GetStats();
    absl::StrAppend(
        &out,
        "# HELP forum_registry_http_answers_total Answers of the HTTP door, "
        "by protocol (http_json, connect, sse) and class of HTTP status; "
        "each API call it makes is counted with the RPCs too.\n"
        "# TYPE forum_registry_http_answers_total counter\n");
    for (const auto& [protocol, classes] : door.answered) {
      for (size_t which = 0; which < classes.size(); ++which) {
        absl::StrAppend(&out, "forum_registry_http_answers_total{protocol=\"",
                        protocol, "\",status=\"", which + 1, "xx\"} ",
                        classes[which], "\n");
      }
    }
    absl::StrAppend(
        &out,
        "# HELP forum_registry_http_streams_open Server-Sent Events, "
        "Connect streams and files (exports) the door is writing.\n"
        "# TYPE forum_registry_http_streams_open gauge\n"
        "forum_registry_http_streams_open ",
        door.streams_open, "\n");
  }
  return out;
}

}  // namespace forum_registry::server
