#ifndef FORUM_REGISTRY_SERVER_METRICS_H_
#define FORUM_REGISTRY_SERVER_METRICS_H_

// Prometheus metrics, in the text exposition format, for the /metrics
// endpoint on the side port.
//
// Names follow the conventions of the gRPC ecosystem (go-grpc-prometheus),
// so existing dashboards and alerts apply:
//
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{...}          histogram
//   forum_registry_db_pool_connections{pool,state="in_use"|"idle"}
//   forum_registry_db_pool_waiting{pool}       callers waiting for a connection
//   forum_registry_db_pool_size{pool}          the most connections allowed
//   forum_registry_db_errors_total{code}       database failures by status
//   forum_registry_up                          1 while the process runs
//   forum_registry_calls_queued, _running      unary calls and watch starts
//                                              (api/dispatcher.h)
//   forum_registry_unsent_bytes, _calls        answers clients have not taken
//   forum_registry_calls_refused_total         refused by admission
//   forum_registry_connections_cut_total{reason} closed as abusive
//   forum_registry_heap_bytes                  heap in use
//   forum_registry_watch_streams               open WatchChanges streams
//   forum_registry_watch_revision              newest revision the feed read
//   forum_registry_watch_messages_total        changes and bookmarks sent
//   forum_registry_watch_too_slow_total        watches ended as too slow
//   forum_registry_records_read_total{from}    records answered from their
//                                              stored bytes or their JSON
//   forum_registry_record_cache_hits_total     Gets served without decoding
//   forum_registry_record_cache_misses_total   Gets that decoded the record
//   forum_registry_record_cache_records        records held
//   forum_registry_record_cache_revision       the newest revision applied
//   forum_registry_list_cache_records, _bytes  records held for Lists
//   forum_registry_list_cache_kinds            kinds held whole
//   forum_registry_list_cache_pages_total      List pages answered from it
//   forum_registry_revision_checks_total       current-revision queries
//   forum_registry_jwt_keys, _keys_skipped     keys tokens verify with, and
//                                              keys of the files left out
//   forum_registry_jwt_key_reloads_total{result} key files read again
//   forum_registry_changes_purged_total        retention (change_purger.h)
//   forum_registry_request_ids_purged_total
//   forum_registry_change_purge_batches_total{table}
//   forum_registry_change_purge_failures_total
//   forum_registry_change_purge_last_seconds   the last round's duration
//   forum_registry_change_purge_last_success_timestamp_seconds
//
// No C++ Prometheus client is packaged for Debian 12, and the format is a
// few lines of text, so this writes it directly. Thread-safe.

#include <array>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/status.h"
#include "src/api/change_feed.h"
#include "src/api/dispatcher.h"
#include "src/auth/jwt_verifier.h"
#include "src/http/door.h"
#include "src/server/change_purger.h"
#include "src/store/list_cache.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"
#include "src/store/revision_check.h"

namespace forum_registry::server {

// The parts of the server a scrape reports on, besides the RPCs (null or
// empty: not reported).
struct MetricSources {
  // The pools, by name ("primary", "read", "feed").
  std::vector<std::pair<std::string, const store::ConnectionPool*>> pools;
  const api::ChangeFeed* feed = nullptr;
  // The dispatcher of unary calls, and the heap guard.
  const api::Dispatcher* dispatcher = nullptr;
  const api::HeapGuard* heap_guard = nullptr;
  // The record cache and the revision checks.
  const store::RecordCache* cache = nullptr;
  const store::RevisionCheck* revisions = nullptr;
  // The list cache (null: off).
  const store::ListCache* lists = nullptr;
  // The verifier of bearer tokens, for its keys.
  const auth::JwtVerifier* jwt = nullptr;
  // The retention purges.
  const ChangePurger* purger = nullptr;
  // The HTTP door, if one listens.
  const http::Door* door = nullptr;
};

// The RPCs' counters, fed by the interceptor (rpc_log_interceptor.h), and
// the exposition text of them and of a server's parts.
class Metrics {
 public:
  // One RPC has started / finished. `method` is "/package.Service/Method".
  void RpcStarted(const std::string& method);
  void RpcHandled(const std::string& method, grpc::StatusCode code,
                  double seconds);

  // The exposition text, of the RPCs and of `sources`.
  std::string Render(const MetricSources& sources = {}) const;

  // Upper bounds of the latency histogram, in seconds.
  static constexpr std::array<double, 12> kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // cumulative on render
    uint64_t count = 0;
    double sum = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> started_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, grpc::StatusCode>, uint64_t> handled_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
};

// The name of a status code as Prometheus labels and logs spell it ("OK",
// "INVALID_ARGUMENT").
const char* CodeName(grpc::StatusCode code);

}  // namespace forum_registry::server

#endif  // FORUM_REGISTRY_SERVER_METRICS_H_
