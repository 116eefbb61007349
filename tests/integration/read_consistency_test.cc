// Never stale: a Get that starts after a write was acknowledged, through any
// server process, returns that write or a newer one — with the record cache
// on (the default), which answers from memory once the change feed has
// applied the revision the primary reports (store/record_cache.h).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::testing::MetricSample;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;

// Writers and readers in pairs, each pair on a forum of its own, all at
// once: concurrent Gets share revision checks, and a change to one forum
// must not let another's stale record through.
TEST(ReadConsistency, AGetThroughAnotherProcessSeesEveryAcknowledgedWrite) {
  auto db = TestDatabase::Create();
  auto writer_process = ServerProcess::Start(db->url());
  auto reader_process = ServerProcess::Start(db->url());
  auto writer = v1::ForumService::NewStub(writer_process->Channel());
  auto reader = v1::ForumService::NewStub(reader_process->Channel());

  constexpr int kPairs = 4;
  constexpr int kAlternationsEach = 2500;  // 10,000 in all
  std::atomic<int> stale{0};
  std::atomic<int> failed{0};
  const auto alternate = [&](int pair) {
    v1::Forum forum;
    {
      grpc::ClientContext context;
      v1::CreateForumRequest request;
      request.set_forum_id(absl::StrCat("alternating-", pair));
      request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
      request.mutable_forum()->set_display_name("Alternating");
      if (!writer->CreateForum(&context, request, &forum).ok()) ++failed;
    }
    for (int i = 0; i < kAlternationsEach; ++i) {
      {
        grpc::ClientContext context;
        v1::UpdateForumRequest request;
        request.mutable_forum()->set_name(forum.name());
        request.mutable_forum()->set_description(absl::StrCat("write ", i));
        request.mutable_update_mask()->add_paths("description");
        if (!writer->UpdateForum(&context, request, &forum).ok()) {
          ++failed;
          return;
        }
      }
      // Twice: the first read decodes the new version, the second may be
      // served from memory; both must be the write just acknowledged.
      for (int read = 0; read < 2; ++read) {
        grpc::ClientContext context;
        v1::GetForumRequest request;
        request.set_name(forum.name());
        v1::Forum got;
        if (!reader->GetForum(&context, request, &got).ok()) {
          ++failed;
          return;
        }
        if (got.etag() != forum.etag() ||
            got.description() != absl::StrCat("write ", i)) {
          ++stale;
        }
      }
    }
  };
  std::vector<std::thread> pairs;
  for (int pair = 0; pair < kPairs; ++pair) pairs.emplace_back(alternate, pair);
  for (std::thread& pair : pairs) pair.join();
  ASSERT_EQ(failed.load(), 0);
  EXPECT_EQ(stale.load(), 0);

  // Every Get used the cache: each write made the first read after it miss,
  // and each Get asked for the current revision, at most once.
  constexpr int kWrites = kPairs * kAlternationsEach;
  const std::string metrics = forum_registry::testing::HttpGet(
      reader_process->MetricsPort(), "/metrics");
  const double hits =
      MetricSample(metrics, "forum_registry_record_cache_hits_total");
  const double misses =
      MetricSample(metrics, "forum_registry_record_cache_misses_total");
  const double checks =
      MetricSample(metrics, "forum_registry_revision_checks_total");
  EXPECT_EQ(hits + misses, 2 * kWrites);
  EXPECT_GE(misses, kWrites);
  EXPECT_GT(hits, kWrites / 2) << "the second read is mostly from memory";
  EXPECT_GT(checks, 0);
  EXPECT_LE(checks, 2 * kWrites);
}

}  // namespace
}  // namespace forum_registry
