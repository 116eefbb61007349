// The parts of the export service that do not need a server: the chunked,
// bounded flow of an export's bytes to its call, the export slots, and the
// entity tags with If-None-Match. The service itself runs end to end in
// tests/export/http_test.py.

#include "src/api/export_service.h"

#include <atomic>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::api {
namespace {

using ::testing::HasSubstr;

// A call as the flow sees it: what it was asked to do.
class FakeCall {
 public:
  ChunkFlow::CallOps Ops() {
    return {.send_headers =
                [this] {
                  absl::MutexLock lock(&mu_);
                  ++headers_;
                },
            .write =
                [this](const google::api::HttpBody* message) {
                  absl::MutexLock lock(&mu_);
                  ++in_flight_;
                  messages_.push_back(*message);
                },
            .finish =
                [this](grpc::Status status) {
                  absl::MutexLock lock(&mu_);
                  finished_.push_back(std::move(status));
                },
            .cancel =
                [this] {
                  absl::MutexLock lock(&mu_);
                  ++cancels_;
                }};
  }

  // Waits until `n` messages were handed over.
  bool AwaitMessages(size_t n) {
    absl::MutexLock lock(&mu_);
    const auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return messages_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  std::vector<google::api::HttpBody> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  std::vector<grpc::Status> finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  int in_flight() {
    absl::MutexLock lock(&mu_);
    return in_flight_;
  }
  int cancels() {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }
  // The write in flight is done.
  void Done(ChunkFlow& flow, bool ok = true) {
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
    }
    flow.WriteDone(ok);
  }

 private:
  absl::Mutex mu_;
  std::vector<google::api::HttpBody> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<grpc::Status> finished_ ABSL_GUARDED_BY(mu_);
  int headers_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int cancels_ ABSL_GUARDED_BY(mu_) = 0;
};

constexpr size_t kChunk = 64 << 10;

TEST(ChunkFlowTest, SendsChunksOfTheMediaTypeAndBlocksWhileTwoWait) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  flow.set_content_type("text/calendar; charset=utf-8");
  std::atomic<bool> returned{false};
  // Five chunks and a half, written a kilobyte at a time.
  const std::string kilobyte(1024, 'x');
  std::thread producer([&] {
    for (int i = 0; i < 5 * 64 + 32; ++i)
      ASSERT_TRUE(flow.Write(kilobyte).ok());
    ASSERT_TRUE(flow.Flush().ok());
    flow.Close(grpc::Status::OK);
    returned = true;
  });
  // One write in flight, one waiting: the producer holds the third chunk.
  ASSERT_TRUE(call.AwaitMessages(1));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(call.messages().size(), 1u);
  EXPECT_EQ(call.in_flight(), 1);
  EXPECT_EQ(flow.bytes_written(), static_cast<int64_t>(2 * kChunk));
  EXPECT_FALSE(returned);
  for (size_t n = 2; n <= 6; ++n) {
    call.Done(flow);
    ASSERT_TRUE(call.AwaitMessages(n)) << n;
    EXPECT_EQ(call.in_flight(), 1);  // one write at a time
  }
  EXPECT_TRUE(call.finished().empty()) << "finished before its last write";
  call.Done(flow);
  producer.join();
  EXPECT_TRUE(returned);
  const std::vector<google::api::HttpBody> messages = call.messages();
  ASSERT_EQ(messages.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(messages[i].data().size(), kChunk);
  EXPECT_EQ(messages[5].data().size(), 32u * 1024);
  for (const auto& message : messages) {
    EXPECT_EQ(message.content_type(), "text/calendar; charset=utf-8");
  }
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_TRUE(call.finished()[0].ok());
}

TEST(ChunkFlowTest, AnExportOfNothingSendsOneEmptyMessage) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  flow.set_content_type("application/json");
  ASSERT_TRUE(flow.Flush().ok());
  flow.Close(grpc::Status::OK);
  ASSERT_EQ(call.messages().size(), 1u);
  EXPECT_EQ(call.messages()[0].content_type(), "application/json");
  EXPECT_EQ(call.messages()[0].data(), "");
  EXPECT_TRUE(call.finished().empty());
  call.Done(flow);
  ASSERT_EQ(call.finished().size(), 1u);
}

TEST(ChunkFlowTest, ANotModifiedAnswerClosesWithoutAMessage) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  flow.Close(grpc::Status::OK);
  EXPECT_TRUE(call.messages().empty());
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_TRUE(call.finished()[0].ok());
  flow.Close(grpc::Status::OK);  // once
  EXPECT_EQ(call.finished().size(), 1u);
}

TEST(ChunkFlowTest, ACancelledCallFailsTheWriteThatWaitsAndTheNextOnes) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  std::promise<absl::Status> failed;
  std::thread producer([&] {
    const std::string chunk(kChunk, 'x');
    for (;;) {
      absl::Status status = flow.Write(chunk);
      if (!status.ok()) {
        failed.set_value(status);
        break;
      }
    }
  });
  ASSERT_TRUE(call.AwaitMessages(1));
  flow.Cancelled();  // the reactor's OnCancel
  // The blocked write wakes and fails; gRPC then fails the write in flight.
  auto result = failed.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  producer.join();
  EXPECT_EQ(result.get().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(flow.Write("more").code(), absl::StatusCode::kCancelled);
  flow.Close(grpc::Status(grpc::StatusCode::CANCELLED, "client left"));
  EXPECT_TRUE(call.finished().empty()) << "finished with a write in flight";
  call.Done(flow, /*ok=*/false);
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(call.messages().size(), 1u) << "a queued message was written";
}

TEST(ChunkFlowTest, AWriteThatFailsEndsTheFlow) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  ASSERT_TRUE(flow.Write(std::string(kChunk, 'x')).ok());
  call.Done(flow, /*ok=*/false);  // the client went away
  EXPECT_EQ(flow.Write(std::string(kChunk, 'x')).code(),
            absl::StatusCode::kCancelled);
  flow.Close(grpc::Status::OK);
  ASSERT_EQ(call.finished().size(), 1u);
}

TEST(ChunkFlowTest, AClientThatTakesNothingIsCancelledAfterTheStallTimeout) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {.stall_timeout = absl::Milliseconds(200)});
  const std::string chunk(kChunk, 'x');
  ASSERT_TRUE(flow.Write(chunk).ok());
  ASSERT_TRUE(flow.Write(chunk).ok());
  const absl::Time start = absl::Now();
  const absl::Status stalled = flow.Write(chunk);
  EXPECT_EQ(stalled.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(stalled.message(), HasSubstr("took no data"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(call.cancels(), 1);
  flow.Close(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "stalled"));
  call.Done(flow, /*ok=*/false);  // TryCancel fails the write in flight
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST(ChunkFlowTest, AnExportPastItsDeadlineEndsWithDeadlineExceeded) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {.deadline = absl::Now() + absl::Milliseconds(200),
                              .max_duration = absl::Milliseconds(200)});
  flow.SendHeaders();
  const std::string chunk(kChunk, 'x');
  ASSERT_TRUE(flow.Write(chunk).ok());
  ASSERT_TRUE(flow.Write(chunk).ok());
  // The client reads, but too slowly: the third piece waits for room until
  // the deadline (the stall timer, a minute, is not what ends it).
  const absl::Time start = absl::Now();
  const absl::Status late = flow.Write(chunk);
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(late.message(), HasSubstr("--max-export-duration"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(call.cancels(), 0);
  // Every later write fails; the call ends once the write in flight is done.
  EXPECT_FALSE(flow.Write(chunk).ok());
  flow.Close(grpc::Status::OK);  // what the export's thread says: too late
  EXPECT_TRUE(call.finished().empty());
  call.Done(flow);
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST(ChunkFlowTest, AWriteAfterTheDeadlineFailsAtOnce) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {.deadline = absl::Now() - absl::Seconds(1),
                              .max_duration = absl::Minutes(15)});
  flow.SendHeaders();
  const absl::Status late = flow.Write("BEGIN:VCALENDAR");
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(late.message(), HasSubstr("15m"));
  ASSERT_EQ(call.finished().size(), 1u);  // no write was in flight
  EXPECT_EQ(call.finished()[0].error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(call.messages().empty());
}

TEST(ChunkFlowTest, AbortWakesTheWriteThatWaitsAndEndsTheCallWithItsStatus) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  flow.SendHeaders();
  const std::string chunk(kChunk, 'x');
  ASSERT_TRUE(flow.Write(chunk).ok());
  ASSERT_TRUE(flow.Write(chunk).ok());
  // The third waits for room (a client that reads nothing); the drain does
  // not wait for it.
  std::future<absl::Status> waiting =
      std::async(std::launch::async, [&] { return flow.Write(chunk); });
  EXPECT_TRUE(
      flow.Abort(grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down")));
  EXPECT_FALSE(flow.Abort(grpc::Status(grpc::StatusCode::INTERNAL, "again")));
  EXPECT_EQ(waiting.get().code(), absl::StatusCode::kCancelled);
  flow.Close(grpc::Status(grpc::StatusCode::CANCELLED, "the thread's"));
  // The write in flight holds the finish back; once done, UNAVAILABLE.
  EXPECT_TRUE(call.finished().empty());
  call.Done(flow);
  EXPECT_EQ(call.in_flight(), 0);  // what was queued was dropped
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(ChunkFlowTest, AbortBeforeTheHeadersWaitsForTheExportToLetGoOfTheCall) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {});
  // The export's thread may still be adding headers to the call's context:
  // the call must not finish (and be deleted) under it.
  EXPECT_TRUE(flow.Abort(grpc::Status(grpc::StatusCode::UNAVAILABLE, "drain")));
  EXPECT_TRUE(call.finished().empty());
  EXPECT_TRUE(flow.ended());
  flow.SendHeaders();  // closing: sends nothing, still held until Close
  EXPECT_TRUE(call.finished().empty());
  flow.Close(grpc::Status(grpc::StatusCode::CANCELLED, "the thread's"));
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(ChunkFlowTest, SettleCancelsAWriteThatIsNeverTaken) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {.finish_grace = absl::Milliseconds(100)});
  flow.SendHeaders();
  ASSERT_TRUE(flow.Write(std::string(kChunk, 'x')).ok());
  flow.Abort(grpc::Status(grpc::StatusCode::UNAVAILABLE, "drain"));
  flow.Settle();  // waits the grace, then cancels the call
  EXPECT_EQ(call.cancels(), 1);
  EXPECT_TRUE(call.finished().empty());
  call.Done(flow, /*ok=*/false);  // TryCancel fails the write in flight
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_EQ(call.finished()[0].error_code(), grpc::StatusCode::UNAVAILABLE);
  flow.Settle();  // finished: nothing more
  EXPECT_EQ(call.cancels(), 1);
}

TEST(ChunkFlowTest, SettleLeavesACallThatEndsWellOrIsFinished) {
  FakeCall call;
  ChunkFlow flow(call.Ops(), {.finish_grace = absl::Milliseconds(10)});
  flow.SendHeaders();
  ASSERT_TRUE(flow.Write("x").ok());
  ASSERT_TRUE(flow.Flush().ok());
  flow.Close(grpc::Status::OK);
  flow.Settle();  // an OK end waits for its client, however slow
  EXPECT_EQ(call.cancels(), 0);
  call.Done(flow);
  ASSERT_EQ(call.finished().size(), 1u);
  EXPECT_TRUE(call.finished()[0].ok());
}

TEST(SpawnOrUndoTest, AThreadThatCannotStartGivesBackWhatItHeld) {
  ExportSlots slots(1);
  ASSERT_TRUE(slots.TryTake());
  bool ran = false;
  const grpc::Status refused = SpawnOrUndo(
      [](std::function<void()>) {
        throw std::system_error(
            std::make_error_code(std::errc::resource_unavailable_try_again));
      },
      [&] { ran = true; }, [&] { slots.Give(); });
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("thread"));
  EXPECT_FALSE(ran);
  EXPECT_EQ(slots.in_use(), 0);

  ASSERT_TRUE(slots.TryTake());
  const grpc::Status started = SpawnOrUndo(
      [](std::function<void()> run) { std::thread(std::move(run)).join(); },
      [&] {
        ran = true;
        slots.Give();
      },
      [&] { slots.Give(); });
  EXPECT_TRUE(started.ok());
  EXPECT_TRUE(ran);
  EXPECT_EQ(slots.in_use(), 0);
}

TEST(ExportSlotsTest, AtMostTheBoundRunAtOnce) {
  ExportSlots slots(2);
  EXPECT_TRUE(slots.TryTake());
  EXPECT_TRUE(slots.TryTake());
  EXPECT_FALSE(slots.TryTake());
  EXPECT_EQ(slots.in_use(), 2);
  slots.Give();
  EXPECT_TRUE(slots.TryTake());
  EXPECT_FALSE(slots.TryTake());
  slots.Give();
  slots.Give();
  slots.AwaitIdle();
  EXPECT_EQ(slots.in_use(), 0);
}

exports::ExportOptions Options(exports::Format format,
                               const std::string& forum = "") {
  exports::ExportOptions options;
  options.format = format;
  options.forum = forum;
  return options;
}

TEST(ExportEtagTest, StrongQuotedAndNamingTheRevision) {
  const std::string etag =
      ExportEtag("ExportPopolo", Options(exports::Format::kPopolo), 120);
  EXPECT_THAT(etag, ::testing::MatchesRegex("\"r120-[0-9a-f]{12}\""));
  // The same request of the same state: the same tag.
  EXPECT_EQ(etag,
            ExportEtag("ExportPopolo", Options(exports::Format::kPopolo), 120));
  // "" and "forums/-" are one request.
  EXPECT_EQ(etag,
            ExportEtag("ExportPopolo",
                       Options(exports::Format::kPopolo, "forums/-"), 120));
}

TEST(ExportEtagTest, DiffersByRevisionAndEveryFieldOfTheRequest) {
  const auto base = Options(exports::Format::kIcs, "forums/arf");
  const std::string etag = ExportEtag("ExportSessionsCalendar", base, 7);
  std::vector<std::string> others = {
      ExportEtag("ExportSessionsCalendar", base, 8),
      ExportEtag("ExportPopolo", base, 7),
      ExportEtag("ExportSessionsCalendar",
                 Options(exports::Format::kIcs, "forums/asean"), 7)};
  auto changed = base;
  changed.as_of = "2023-07-14";
  others.push_back(ExportEtag("ExportSessionsCalendar", changed, 7));
  changed = base;
  changed.span_imprecise = true;
  others.push_back(ExportEtag("ExportSessionsCalendar", changed, 7));
  changed = base;
  changed.as_of_revision = 7;
  others.push_back(ExportEtag("ExportSessionsCalendar", changed, 7));
  for (const std::string& other : others) EXPECT_NE(other, etag);
}

TEST(IfNoneMatchTest, ListsWeakTagsAndStar) {
  const std::string etag = "\"r12-0123456789ab\"";
  EXPECT_TRUE(IfNoneMatchNames(etag, etag));
  EXPECT_TRUE(IfNoneMatchNames("W/\"r12-0123456789ab\"", etag));
  EXPECT_TRUE(IfNoneMatchNames("\"x\", W/\"r12-0123456789ab\" ,\"y\"", etag));
  EXPECT_TRUE(IfNoneMatchNames(" \"a,b\", \"r12-0123456789ab\"", etag));
  EXPECT_FALSE(IfNoneMatchNames("\"r12-0123456789ac\"", etag));
  EXPECT_FALSE(IfNoneMatchNames("r12-0123456789ab", etag));  // unquoted
  EXPECT_FALSE(IfNoneMatchNames("\"r12-0123456789ab", etag));
  EXPECT_FALSE(IfNoneMatchNames("\"x\" \"r12-0123456789ab\"", etag));
  EXPECT_FALSE(IfNoneMatchNames("*", etag));
  EXPECT_FALSE(IfNoneMatchNames("", etag));
}

TEST(IfNoneMatchTest, TaggedRevisionsAreThoseOfOurForm) {
  EXPECT_THAT(TaggedRevisions("\"r12-abc\", W/\"r40-def\", \"v1.2\", *"),
              ::testing::IsEmpty());  // a malformed list names nothing
  EXPECT_THAT(TaggedRevisions("\"r12-abc\", W/\"r40-def\", \"v1.2\""),
              ::testing::ElementsAre(12, 40));
  EXPECT_THAT(TaggedRevisions("*"), ::testing::IsEmpty());
  EXPECT_THAT(TaggedRevisions("\"rx-1\", \"r-3-a\""), ::testing::IsEmpty());
}

TEST(ExportOptionsTest, RequestsMapToTheEnginesOptions) {
  forumregistry::v1::ExportSessionsCalendarRequest calendar;
  calendar.set_parent("forums/arf");
  calendar.set_as_of("2023-07-14");
  calendar.set_as_of_revision(5);
  calendar.set_imprecise("span");
  absl::StatusOr<exports::ExportOptions> options = ExportOptionsOf(calendar);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->format, exports::Format::kIcs);
  EXPECT_EQ(options->forum, "forums/arf");
  EXPECT_EQ(options->as_of, "2023-07-14");
  EXPECT_EQ(options->as_of_revision, 5);
  EXPECT_TRUE(options->span_imprecise);
  calendar.set_imprecise("omit");
  EXPECT_FALSE(ExportOptionsOf(calendar)->span_imprecise);
  calendar.set_imprecise("");
  EXPECT_FALSE(ExportOptionsOf(calendar)->span_imprecise);
  calendar.set_imprecise("round");
  EXPECT_EQ(ExportOptionsOf(calendar).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ExportOptionsOf(calendar).status().message(),
              HasSubstr("imprecise"));

  forumregistry::v1::ExportCsvRequest csv;
  csv.set_forum("forums/asean");
  EXPECT_EQ(ExportOptionsOf(csv)->format, exports::Format::kCsv);
  EXPECT_EQ(ExportOptionsOf(csv)->forum, "forums/asean");
  forumregistry::v1::ExportPopoloRequest popolo;
  popolo.set_as_of("2023-13-40");
  EXPECT_EQ(ExportOptionsOf(popolo).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace forum_registry::api
