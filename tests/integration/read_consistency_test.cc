// Never stale: a Get that starts after a write was acknowledged, through any
// server process, returns that write or a newer one — with the record cache
// on (the default), which reuses decoded records only while the database
// says their version is current.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "forumregistry/v1/forum.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace forum_registry {
namespace {

namespace v1 = ::forumregistry::v1;
using ::forum_registry::testing::Describe;
using ::forum_registry::testing::ServerProcess;
using ::forum_registry::testing::TestDatabase;

TEST(ReadConsistency, AGetThroughAnotherProcessSeesEveryAcknowledgedWrite) {
  auto db = TestDatabase::Create();
  auto writer_process = ServerProcess::Start(db->url());
  auto reader_process = ServerProcess::Start(db->url());
  auto writer = v1::ForumService::NewStub(writer_process->Channel());
  auto reader = v1::ForumService::NewStub(reader_process->Channel());

  v1::Forum forum;
  {
    grpc::ClientContext context;
    v1::CreateForumRequest request;
    request.set_forum_id("alternating");
    request.mutable_forum()->set_kind(v1::FORUM_KIND_SUMMIT);
    request.mutable_forum()->set_display_name("Alternating");
    ASSERT_TRUE(writer->CreateForum(&context, request, &forum).ok());
  }
  constexpr int kAlternations = 1000;
  int stale = 0;
  for (int i = 0; i < kAlternations; ++i) {
    {
      grpc::ClientContext context;
      v1::UpdateForumRequest request;
      request.mutable_forum()->set_name(forum.name());
      request.mutable_forum()->set_description(absl::StrCat("write ", i));
      request.mutable_update_mask()->add_paths("description");
      const grpc::Status status =
          writer->UpdateForum(&context, request, &forum);
      ASSERT_TRUE(status.ok()) << Describe(status);
    }
    // Twice: the first read decodes the new version, the second may reuse
    // it; both must be the write just acknowledged.
    for (int read = 0; read < 2; ++read) {
      grpc::ClientContext context;
      v1::GetForumRequest request;
      request.set_name(forum.name());
      v1::Forum got;
      const grpc::Status status = reader->GetForum(&context, request, &got);
      ASSERT_TRUE(status.ok()) << Describe(status);
      if (got.etag() != forum.etag() ||
          got.description() != absl::StrCat("write ", i)) {
        ++stale;
      }
    }
  }
  EXPECT_EQ(stale, 0);

  // The reader's cache was used, and missed exactly when a record changed.
  const std::string metrics = forum_registry::testing::HttpGet(
      reader_process->MetricsPort(), "/metrics");
  EXPECT_THAT(metrics, ::testing::HasSubstr(absl::StrCat(
                           "\nforum_registry_record_cache_hits_total ",
                           kAlternations, "\n")));
  EXPECT_THAT(metrics, ::testing::HasSubstr(absl::StrCat(
                           "\nforum_registry_record_cache_misses_total ",
                           kAlternations, "\n")));
}

}  // namespace
}  // namespace forum_registry
