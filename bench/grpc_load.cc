// A closed-loop gRPC load generator for the benchmarks in bench/run.sh.
//
//   grpc_load ADDRESS CASE THREADS SECONDS [DEADLINE_MS]
//
// CASE is one of: health (grpc.health.v1.Health/Check, the empty baseline:
// no database), get_forum (GetForum forums/arf), list_forums (a page of 50
// forums, no filter), list_changes (the first page of 50 changes of the
// log, each with its record), list_sessions (ListSessions across forums,
// filtered by a date range, ordered by start date), scan_forums (ListForums
// with a filter on descriptions, which no index serves), update_forum
// (UpdateForum of a forum of its own per thread, its description alternating,
// so every call writes), update_forum_rid (the same with a fresh request_id
// each call), create_participant and create_participant_rid (a new participant
// per call, without and with a request_id), get_forum_at (GetForum
// forums/arf naming the revision a write returned, min_revision: learned
// once, from an UpdateForum that changes nothing), list_forums_at (the
// page of list_forums naming that revision), list_forums_bytes (the page of
// list_forums, its bytes not parsed by the client), and the searches:
// search_name ("Forum N", a forum of bench/dataset.sql's registry, N random
// below $FR_BENCH_FORUMS, 120000 by default), search_typo ("Frum N": no word
// of the query is in that name, so only the trigram index finds it),
// search_common ("session": a word of 480,000 records of the 1,000,000, the
// bound of candidates at work) and search_seed ("ASEAN Regional Forum", on
// the seed). Each thread
// has its own channel and sends one RPC after another; the tool prints one
// line: case, threads, RPCs, errors, RPCs per second, p50/p90/p99/max in
// microseconds. Each call has a deadline of DEADLINE_MS (5000).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "forumregistry/v1/change.grpc.pb.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "forumregistry/v1/participant.grpc.pb.h"
#include "forumregistry/v1/search.grpc.pb.h"
#include "forumregistry/v1/session.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

namespace {

using Clock = std::chrono::steady_clock;

// get_forum_at's min_revision.
int64_t min_revision = 0;

// The revision forums/arf's latest write produced, as a write names it
// (x-forum-registry-revision of an update that changes nothing); 0 if it
// cannot be learned.
int64_t LearnRevision(const std::string& address) {
  auto forums = forumregistry::v1::ForumService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  forumregistry::v1::Forum arf;
  {
    grpc::ClientContext context;
    forumregistry::v1::GetForumRequest request;
    request.set_name("forums/arf");
    if (!forums->GetForum(&context, request, &arf).ok()) return 0;
  }
  grpc::ClientContext context;
  forumregistry::v1::UpdateForumRequest request;
  request.mutable_forum()->set_name(arf.name());
  request.mutable_forum()->set_description(arf.description());
  request.mutable_update_mask()->add_paths("description");
  forumregistry::v1::Forum response;
  if (!forums->UpdateForum(&context, request, &response).ok()) return 0;
  const auto header =
      context.GetServerInitialMetadata().find("x-forum-registry-revision");
  if (header == context.GetServerInitialMetadata().end()) return 0;
  return std::atoll(
      std::string(header->second.data(), header->second.size()).c_str());
}

// What one thread keeps between calls of the write cases.
struct Writer {
  int thread = 0;
  int64_t calls = 0;
  std::mt19937_64 random{std::random_device{}()};
  forumregistry::v1::ParticipantService::Stub* participants = nullptr;
  forumregistry::v1::SearchService::Stub* search = nullptr;
  forumregistry::v1::ChangeService::Stub* changes = nullptr;
  // ListForums as registered on this thread's channel, for
  // list_forums_bytes.
  std::unique_ptr<grpc::internal::RpcMethod> list_forums;
  // The first failed call, as its status said (or what its answer lacked).
  std::string first_error;

  // Whether a call succeeded: `status` OK and its answer `complete`.
  bool Ok(const grpc::Status& status, bool complete = true) {
    if (status.ok() && complete) return true;
    if (first_error.empty()) {
      first_error =
          status.ok() ? std::string("an OK answer without what it should hold")
                      : std::to_string(status.error_code()) + " " +
                            status.error_message();
    }
    return false;
  }

  std::string NewRequestId() {
    const uint64_t high = (random() & ~0xf000ULL) | 0x4000ULL;
    const uint64_t low = (random() & ~(3ULL << 62)) | (2ULL << 62);
    char text[37];
    std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
                  static_cast<unsigned long long>(high >> 32),
                  static_cast<unsigned long long>((high >> 16) & 0xffff),
                  static_cast<unsigned long long>(high & 0xffff),
                  static_cast<unsigned long long>(low >> 48),
                  static_cast<unsigned long long>(low & 0xffffffffffffULL));
    return text;
  }
};

bool CallOnce(const std::string& which,
              const std::shared_ptr<grpc::Channel>& channel,
              forumregistry::v1::ForumService::Stub* forums,
              forumregistry::v1::SessionService::Stub* sessions,
              grpc::health::v1::Health::Stub* health, int deadline_ms,
              Writer* writer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(deadline_ms));
  if (which == "update_forum" || which == "update_forum_rid") {
    forumregistry::v1::UpdateForumRequest request;
    request.mutable_forum()->set_name("forums/bench-writer-" +
                                      std::to_string(writer->thread));
    request.mutable_forum()->set_description(++writer->calls % 2 == 0 ? "even"
                                                                      : "odd");
    request.mutable_update_mask()->add_paths("description");
    if (which == "update_forum_rid") {
      request.set_request_id(writer->NewRequestId());
    }
    forumregistry::v1::Forum response;
    return writer->Ok(forums->UpdateForum(&context, request, &response));
  }
  if (which == "create_participant" || which == "create_participant_rid") {
    forumregistry::v1::CreateParticipantRequest request;
    const std::string id = "bench-" + writer->NewRequestId();
    request.set_participant_id(id);
    request.mutable_participant()->set_kind(
        forumregistry::v1::PARTICIPANT_KIND_STATE);
    request.mutable_participant()->set_display_name(id);
    if (which == "create_participant_rid") {
      request.set_request_id(writer->NewRequestId());
    }
    forumregistry::v1::Participant response;
    return writer->Ok(
        writer->participants->CreateParticipant(&context, request, &response));
  }
  if (which.rfind("search_", 0) == 0) {
    forumregistry::v1::SearchRequest request;
    const char* forums_env = std::getenv("FR_BENCH_FORUMS");
    const uint64_t forums_count =
        forums_env != nullptr ? std::max(1, std::atoi(forums_env)) : 120000;
    const std::string n = std::to_string(1 + writer->random() % forums_count);
    if (which == "search_name") {
      request.set_query("Forum " + n);
    } else if (which == "search_typo") {
      request.set_query("Frum " + n);
    } else if (which == "search_common") {
      request.set_query("session");
    } else {
      request.set_query("ASEAN Regional Forum");
    }
    forumregistry::v1::SearchResponse response;
    const grpc::Status status =
        writer->search->Search(&context, request, &response);
    return writer->Ok(status, response.results_size() > 0);
  }
  if (which == "health") {
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return writer->Ok(health->Check(&context, request, &response));
  }
  if (which == "get_forum" || which == "get_forum_at") {
    forumregistry::v1::GetForumRequest request;
    request.set_name("forums/arf");
    if (which == "get_forum_at") request.set_min_revision(min_revision);
    forumregistry::v1::Forum response;
    return writer->Ok(forums->GetForum(&context, request, &response));
  }
  if (which == "list_changes") {
    forumregistry::v1::ListChangesRequest request;
    request.set_page_size(50);
    forumregistry::v1::ListChangesResponse response;
    const grpc::Status status =
        writer->changes->ListChanges(&context, request, &response);
    return writer->Ok(status, response.changes_size() > 0);
  }
  if (which == "list_forums" || which == "list_forums_at") {
    forumregistry::v1::ListForumsRequest request;
    request.set_page_size(50);
    if (which == "list_forums_at") request.set_min_revision(min_revision);
    forumregistry::v1::ListForumsResponse response;
    const grpc::Status status =
        forums->ListForums(&context, request, &response);
    return writer->Ok(status, response.forums_size() > 0);
  }
  if (which == "list_forums_bytes") {
    // The same page taken as the bytes that came, not parsed: the client's
    // own CPU, on the cores the server shares, then weighs less on either
    // server measured.
    if (writer->list_forums == nullptr) {
      writer->list_forums = std::make_unique<grpc::internal::RpcMethod>(
          "/forumregistry.v1.ForumService/ListForums",
          grpc::internal::RpcMethod::NORMAL_RPC, channel);
    }
    forumregistry::v1::ListForumsRequest request;
    request.set_page_size(50);
    grpc::ByteBuffer response;
    const grpc::Status status = grpc::internal::BlockingUnaryCall(
        channel.get(), *writer->list_forums, &context, request, &response);
    return writer->Ok(status, response.Length() > 1000);
  }
  if (which == "scan_forums") {
    forumregistry::v1::ListForumsRequest request;
    request.set_filter("description:\"no such words anywhere\"");
    forumregistry::v1::ListForumsResponse response;
    return writer->Ok(forums->ListForums(&context, request, &response));
  }
  forumregistry::v1::ListSessionsRequest request;
  request.set_parent("forums/-");
  request.set_filter(
      "start_date >= \"2023-07-01\" AND start_date <= \"2023-07-31\"");
  request.set_order_by("start_date");
  forumregistry::v1::ListSessionsResponse response;
  const grpc::Status status =
      sessions->ListSessions(&context, request, &response);
  return writer->Ok(status, response.sessions_size() > 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr,
                 "usage: grpc_load ADDRESS CASE THREADS SECONDS "
                 "[DEADLINE_MS]\n");
    return 2;
  }
  const int deadline_ms = argc == 6 ? std::atoi(argv[5]) : 5000;
  const std::string address = argv[1], which = argv[2];
  const int threads = std::atoi(argv[3]);
  const auto duration = std::chrono::seconds(std::atoi(argv[4]));
  if (which == "get_forum_at" || which == "list_forums_at") {
    min_revision = LearnRevision(address);
    if (min_revision <= 0) {
      std::fprintf(stderr, "grpc_load: cannot learn a revision from %s\n",
                   address.c_str());
      return 1;
    }
  }
  std::vector<std::vector<int64_t>> latencies(threads);
  std::atomic<int64_t> errors{0};
  std::atomic<bool> reported{false};  // one failed call told on stderr
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
      auto channel = grpc::CreateCustomChannel(
          address, grpc::InsecureChannelCredentials(), args);
      auto forums = forumregistry::v1::ForumService::NewStub(channel);
      auto sessions = forumregistry::v1::SessionService::NewStub(channel);
      auto health = grpc::health::v1::Health::NewStub(channel);
      auto participants =
          forumregistry::v1::ParticipantService::NewStub(channel);
      auto search = forumregistry::v1::SearchService::NewStub(channel);
      auto changes = forumregistry::v1::ChangeService::NewStub(channel);
      Writer writer{.thread = t,
                    .participants = participants.get(),
                    .search = search.get(),
                    .changes = changes.get()};
      if (which.rfind("update_forum", 0) == 0) {
        // The forum this thread updates (it may exist from an earlier run).
        grpc::ClientContext context;
        forumregistry::v1::CreateForumRequest request;
        request.set_forum_id("bench-writer-" + std::to_string(t));
        request.mutable_forum()->set_kind(forumregistry::v1::FORUM_KIND_SUMMIT);
        request.mutable_forum()->set_display_name("Bench writer");
        forumregistry::v1::Forum response;
        forums->CreateForum(&context, request, &response);
      }
      // Warm up: connect and prepare statements.
      for (int i = 0; i < 20; ++i) {
        CallOnce(which, channel, forums.get(), sessions.get(), health.get(),
                 deadline_ms, &writer);
      }
      writer.first_error.clear();  // the warm-up's do not count
      while (Clock::now() - start < duration) {
        const auto before = Clock::now();
        if (!CallOnce(which, channel, forums.get(), sessions.get(),
                      health.get(), deadline_ms, &writer)) {
          ++errors;
        }
        latencies[t].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                  before)
                .count());
      }
      if (!writer.first_error.empty() && !reported.exchange(true)) {
        std::fprintf(stderr, "%s: a failed call: %s\n", which.c_str(),
                     writer.first_error.c_str());
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<int64_t> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return all.empty() ? 0
                       : all[std::min(all.size() - 1,
                                      static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "%s threads=%d rpcs=%zu errors=%lld rps=%.0f p50_us=%lld p90_us=%lld "
      "p99_us=%lld max_us=%lld\n",
      which.c_str(), threads, all.size(), static_cast<long long>(errors.load()),
      all.size() / seconds, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.90)), static_cast<long long>(pct(0.99)),
      static_cast<long long>(all.empty() ? 0 : all.back()));
  return errors.load() == 0 ? 0 : 1;
}
