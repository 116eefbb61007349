#ifndef FORUM_REGISTRY_API_EXPORT_SERVICE_H_
#define FORUM_REGISTRY_API_EXPORT_SERVICE_H_

// forumregistry.v1.ExportService: the open-data exports (src/export) as
// server streams of google.api.HttpBody, which the HTTP door answers as the
// files themselves (`GET /v1/forums/arf/sessions.ics`).
//
// A call's start is admitted by the dispatcher like any call and runs on one
// of its workers: the caller is authorized as a reader, the request checked
// (exports::ValidateOptions), and an `if-none-match` the client sent
// compared with the export's entity tag, which costs one read of the newest
// revision; a match is answered at once with the tag and
// `x-forum-registry-not-modified: 1` and no message. Otherwise the export
// takes one of `max_concurrent_exports` slots (RESOURCE_EXHAUSTED with a
// pushback when none is free) and runs on a thread of its own, never a
// worker's or gRPC's: it opens its own snapshot (store::Exporter, on the
// read database), sends its headers (the tag of the revision that snapshot
// shows), and writes through a ChunkFlow, which hands 64 KiB messages to
// the call and blocks while two wait to be written, so an export's memory is
// bounded whatever its size and however slowly its client reads. A client
// that leaves (or whose deadline passes) makes the next write fail, which
// ends the export.
//
// The entity tag is strong: `"r<revision>-<hash>"`, the revision the export
// shows and 12 hex digits of a SHA-256 of the method, the request's fields
// (normalized) and kExportFormatVersion. The same request of the same state
// gets the same tag on every replica and every restart.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "forumregistry/v1/export.grpc.pb.h"
#include "google/api/httpbody.pb.h"
#include "grpcpp/support/status.h"
#include "src/api/dispatcher.h"
#include "src/api/service_deps.h"
#include "src/auth/authorizer.h"
#include "src/export/export.h"
#include "src/export/sink.h"
#include "src/store/pool.h"

namespace forum_registry::api {

// Bumped whenever the exports' output changes for the same state of the
// registry (a column added, a mapping fixed): it is in every entity tag, so
// the calendars that cached the old output fetch the new one.
inline constexpr int kExportFormatVersion = 1;

// The initial metadata of an export's answer (the door passes the first
// three on as HTTP headers), and the client's conditional request.
inline constexpr char kEtagHeader[] = "etag";
inline constexpr char kCacheControlHeader[] = "cache-control";
inline constexpr char kContentDispositionHeader[] = "content-disposition";
inline constexpr char kIfNoneMatchHeader[] = "if-none-match";
// Set ("1") on an answer that has no message because the client's
// `if-none-match` holds the export's current tag: HTTP 304.
inline constexpr char kNotModifiedHeader[] = "x-forum-registry-not-modified";
// Set ("1") by the HTTP door on a HEAD request: the answer is the export's
// headers and no message (nor slot, nor snapshot).
inline constexpr char kHeadHeader[] = "x-forum-registry-head";
// The media type of the export, in the initial metadata of a HEAD's answer
// (which has no message to carry it).
inline constexpr char kContentTypeHeader[] = "x-forum-registry-content-type";

// An export's request, as the engine takes it: the format, the forum ("" or
// "forums/-" for every one), the dates. INVALID_ARGUMENT naming the field for
// what ValidateOptions refuses, and for `imprecise` other than "", "omit" or
// "span".
absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const forumregistry::v1::ExportSessionsCalendarRequest& request);
absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const forumregistry::v1::ExportPopoloRequest& request);
absl::StatusOr<exports::ExportOptions> ExportOptionsOf(
    const forumregistry::v1::ExportCsvRequest& request);

// The strong entity tag, quotes included, of the export of `options` by
// `method` ("ExportPopolo") showing `revision`.
std::string ExportEtag(absl::string_view method,
                       const exports::ExportOptions& options, int64_t revision);

// The revisions named by the entity tags of an If-None-Match value that
// have this service's form (`"r<revision>-<hash>"`, `W/` or not); empty for
// none, for `*` and for a value that does not parse (RFC 9110 §13.1.2).
std::vector<int64_t> TaggedRevisions(absl::string_view if_none_match);

// Whether If-None-Match value `if_none_match` names `etag` (a strong tag,
// quoted), by the weak comparison RFC 9110 prescribes for If-None-Match: `W/`
// is ignored. `*` matches nothing here: an export is always computed anew
// then. A list is matched member by member; a malformed value matches
// nothing.
bool IfNoneMatchNames(absl::string_view if_none_match, absl::string_view etag);

// The bytes of one export on their way to its call. The export's thread
// writes (exports::Sink); the bytes go out as HttpBody messages of
// `chunk_bytes` (the last may be shorter; an export that wrote nothing still
// sends one empty message, so that its client learns the media type); while
// `max_queued` messages are handed to the call and not yet written, Write
// blocks. A call that ends (its client left, its deadline passed) makes
// Write fail with CANCELLED; one whose client takes nothing for
// `stall_timeout` while Write waits is cancelled. Past `deadline` the flow
// ends the call with DEADLINE_EXCEEDED (Write fails); Abort ends it with a
// status of the caller's (the server's drain).
//
// The call's side tells it what the call did (WriteDone, Cancelled); the
// flow starts the call's operations through `CallOps`, one write at a time
// and Finish once, never after Finish. Thread-safe.
class ChunkFlow final : public exports::Sink {
 public:
  // What the flow does to its call (a ServerWriteReactor's operations).
  struct CallOps {
    std::function<void()> send_headers;  // StartSendInitialMetadata
    std::function<void(const google::api::HttpBody*)> write;  // StartWrite
    std::function<void(grpc::Status)> finish;                 // Finish
    std::function<void()> cancel;                             // TryCancel
  };
  struct Options {
    size_t chunk_bytes = 64 << 10;
    int max_queued = 2;
    absl::Duration stall_timeout = absl::Seconds(60);
    // When the export must be over (the call's start plus
    // --max-export-duration), and the duration to name in its error.
    absl::Time deadline = absl::InfiniteFuture();
    absl::Duration max_duration = absl::InfiniteDuration();
    // How long Settle waits for the write in flight of a call ended with an
    // error before it cancels the call.
    absl::Duration finish_grace = absl::Seconds(5);
  };

  ChunkFlow(CallOps ops, Options options);

  // The media type every message carries; set before the first Write.
  void set_content_type(std::string type);

  // The export's side.
  absl::Status Write(absl::string_view bytes) override;
  // Sends the initial metadata now (before the first message); from then
  // on the export's side no longer touches the call's context.
  void SendHeaders();
  // Sends the last, partial message, or an empty one if the export wrote
  // nothing (so that its client learns the media type).
  absl::Status Flush();
  // Ends the call with `status`: with OK once the messages handed over are
  // written (Flush first, or the partial message is lost; a call answered
  // without a message, such as a 304, closes without); otherwise at once,
  // dropping what was not written. Once; later calls do nothing.
  void Close(const grpc::Status& status);
  // Ends the call with `status` (an error) at once, whatever the export's
  // thread is doing: its waiting Write and its next ones fail, what was not
  // written is dropped, and the call is finished as soon as no write is in
  // flight and the export's side is done with the call's context
  // (SendHeaders or Close). False if the flow was closing already.
  bool Abort(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // After Close or Abort with an error: waits up to `finish_grace` for the
  // write in flight to be done (a client that reads nothing never lets it),
  // then cancels the call, so that it ends with no write left. At once if
  // the call is finished or ends OK.
  void Settle() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the call ended (cancelled, its client gone) or the flow closed.
  bool ended() const { return ended_.load(std::memory_order_relaxed); }
  // Bytes handed to the call so far.
  int64_t bytes_written() const;

  // The call's side.
  void WriteDone(bool ok);
  void Cancelled();

 private:
  // Hands `chunk` to the call, waiting for room.
  absl::Status Send(std::string chunk) ABSL_LOCKS_EXCLUDED(mu_);
  // The next step once a write is done or a message queued: true (and
  // `current_` set) if a write must start.
  bool NextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static absl::Status Ended();
  // The error of an export past its deadline; ends the call with it.
  absl::Status Expired() ABSL_LOCKS_EXCLUDED(mu_);
  // TryCancel, with no Finish until it has returned (TryCancel may run the
  // call's callbacks; Finish may delete the call).
  void CancelCall() ABSL_LOCKS_EXCLUDED(mu_);
  // The status to Finish with, if Finish must be called now (and marks it
  // called); nullopt otherwise.
  std::optional<grpc::Status> FinishNowLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CallOps ops_;
  const Options options_;
  std::string content_type_;
  std::string partial_;  // the export's side only: the chunk being filled
  bool sent_any_ = false;

  // Set with cancelled_: read by Write without the lock.
  std::atomic<bool> ended_{false};
  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  google::api::HttpBody current_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;  // in CancelCall
  // The export's side still uses the call's context (its headers): until
  // SendHeaders or Close, an Abort does not finish the call.
  bool held_ ABSL_GUARDED_BY(mu_) = true;
  grpc::Status final_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Exports that may run at once: a slot is taken before an export's thread
// starts and given back when it ends. Thread-safe.
class ExportSlots {
 public:
  explicit ExportSlots(int slots) : slots_(slots) {}
  // Takes a slot if one is free.
  bool TryTake() ABSL_LOCKS_EXCLUDED(mu_);
  void Give() ABSL_LOCKS_EXCLUDED(mu_);
  int in_use() const ABSL_LOCKS_EXCLUDED(mu_);
  int slots() const { return slots_; }
  // Waits until every slot is free.
  void AwaitIdle() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const int slots_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

// What the export service stands on. The references must outlive it.
struct ExportServiceDeps {
  // Admission, authorization, and `common.read_pool` for the newest
  // revision (a replica's, or the primary's).
  const CommonDeps& common;
  // Asked for the newest revision when a client's tag names one the read
  // pool has not replayed yet.
  store::ConnectionPool& primary;
  // Where each export opens its own snapshot: the read database's URL (a
  // replica's, or the primary's).
  std::string database_url;
  // Exports running at once (--max-concurrent-exports).
  int max_concurrent_exports = 2;
  // A client that takes nothing for this long while its export waits to
  // write is cancelled.
  absl::Duration stall_timeout = absl::Seconds(60);
  // An export still running this long after its call began is ended with
  // DEADLINE_EXCEEDED (--max-export-duration).
  absl::Duration max_export_duration = absl::Minutes(15);
};

// Starts `run` with `spawn` (which starts a thread, and may throw
// std::system_error when the process has no thread to give); if it throws,
// calls `undo` (which gives back what `run` would have) and returns
// UNAVAILABLE. What the start of an export does once it holds a slot.
grpc::Status SpawnOrUndo(
    const std::function<void(std::function<void()>)>& spawn,
    std::function<void()> run, const std::function<void()>& undo);

class ExportService final
    : public forumregistry::v1::ExportService::CallbackService {
 public:
  explicit ExportService(ExportServiceDeps deps);
  // Waits for the exports still running (after the server has shut down,
  // every call is cancelled, so each stops at its next write).
  ~ExportService() override;

  grpc::ServerWriteReactor<google::api::HttpBody>* ExportSessionsCalendar(
      grpc::CallbackServerContext* context,
      const forumregistry::v1::ExportSessionsCalendarRequest* request) override;
  grpc::ServerWriteReactor<google::api::HttpBody>* ExportPopolo(
      grpc::CallbackServerContext* context,
      const forumregistry::v1::ExportPopoloRequest* request) override;
  grpc::ServerWriteReactor<google::api::HttpBody>* ExportCsv(
      grpc::CallbackServerContext* context,
      const forumregistry::v1::ExportCsvRequest* request) override;

  // How long a refused export is asked to wait (grpc-retry-pushback-ms).
  static constexpr int kPushbackMs = 1000;

  // Exports running now (for tests and metrics).
  int running() const { return slots_.in_use(); }

  // The server drains: every running export ends now with UNAVAILABLE (its
  // client fetches it from another replica), and new ones are refused so.
  void Stop() ABSL_LOCKS_EXCLUDED(running_mu_);

 private:
  class Reactor;
  // One export's call, from its start on a worker.
  struct Job;

  // The start of every method: admission, then Begin on a worker.
  grpc::ServerWriteReactor<google::api::HttpBody>* Start(
      grpc::CallbackServerContext* context, const char* method,
      std::function<absl::StatusOr<exports::ExportOptions>()> options);
  // On a worker: authorize, check, answer a matching If-None-Match, take a
  // slot and start the export's thread.
  void Begin(
      Reactor* reactor, grpc::CallbackServerContext* context,
      const char* method,
      const std::function<absl::StatusOr<exports::ExportOptions>()>& options);
  // The newest revision, at least `at_least` if the primary has it: from
  // the read pool, else the primary.
  absl::StatusOr<int64_t> NewestRevision(int64_t at_least, absl::Time deadline);
  // The export's thread.
  void Run(std::shared_ptr<ChunkFlow> flow,
           grpc::CallbackServerContext* context, std::string method,
           exports::ExportOptions options);
  // Starts `run` on a thread of its own, joined later.
  void Spawn(std::function<void()> run) ABSL_LOCKS_EXCLUDED(threads_mu_);
  void JoinFinished() ABSL_LOCKS_EXCLUDED(threads_mu_);

  Dispatcher* const dispatcher_;
  const auth::Authorizer* const authorizer_;
  store::ConnectionPool* const read_pool_;
  store::ConnectionPool* const primary_;
  const std::string database_url_;
  const absl::Duration stall_timeout_;
  const absl::Duration max_export_duration_;
  ExportSlots slots_;

  // The flows of the exports holding a slot, for Stop.
  absl::Mutex running_mu_;
  bool stopping_ ABSL_GUARDED_BY(running_mu_) = false;
  std::set<std::shared_ptr<ChunkFlow>> running_ ABSL_GUARDED_BY(running_mu_);

  absl::Mutex threads_mu_;
  int64_t next_thread_ ABSL_GUARDED_BY(threads_mu_) = 0;
  std::map<int64_t, std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(threads_mu_);
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_EXPORT_SERVICE_H_
