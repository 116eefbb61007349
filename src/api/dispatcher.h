#ifndef FORUM_REGISTRY_API_DISPATCHER_H_
#define FORUM_REGISTRY_API_DISPATCHER_H_

// Runs the unary methods of the callback API on a fixed set of worker
// threads, with admission in front of them.
//
// Why: the synchronous server gives every call a thread for as long as the
// call lasts, including the time its answer waits for a client that does not
// read. A few thousand callers that never read held every thread, so a Get
// from anyone else was refused (docs/benchmarks.md, issue 12). Here a call
// holds a worker only while it works; its answer, once handed to gRPC, waits
// for the client without a thread, and the bytes of such answers are
// bounded.
//
// A call is admitted, or refused at once with RESOURCE_EXHAUSTED and a
// `grpc-retry-pushback-ms` trailer, by three bounds:
//   - calls queued or running, in all (`max_in_flight`);
//   - calls queued or running from one connection (`max_per_connection`):
//     one client resetting streams as fast as it can (HTTP/2 rapid reset)
//     fills its own share, not everyone's;
//   - bytes of answers handed to gRPC and not yet taken by their clients
//     (`max_unsent_bytes`): past it, calls that may answer with a page
//     (kLarge) are refused, the rest still run up to twice the bound, and
//     an answer that would pass twice the bound is replaced by
//     RESOURCE_EXHAUSTED. So unread answers cost at most twice the bound.
// Gets and writes are taken before Lists, and Lists run on at most 3/4 of
// the workers, so a burst of heavy pages does not queue a Get behind it. A
// call whose client gave up or whose deadline passed while it was queued is
// answered without running, and so is a List when the answers waiting
// filled the bound meanwhile.
//
// The work runs inside the call's store::CallScope (api/status.h ScopeOf).
//
//   Dispatcher dispatcher({.workers = 32, .max_in_flight = 256});
//   ... in a raw callback method:
//   return dispatcher.Start(context, Dispatcher::Answer::kSmall, response,
//                           [=](grpc::ByteBuffer* out) { ...; return status;
//                           });
//
// A connection that cancels more than `max_cancels_per_connection` calls in
// a second (HTTP/2 rapid reset) is closed (api/connection_cutter.h).
//
// Thread-safe. The destructor finishes what is queued, then joins the
// workers: destroy it after the server has shut down.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "src/api/connection_cutter.h"

namespace forum_registry::api {

class Dispatcher {
  class Call;  // a unary call (its reactor)

 public:
  struct Options {
    int workers = 32;
    int max_in_flight = 256;
    int max_per_connection = 100;
    int64_t max_unsent_bytes = int64_t{32} << 20;
    // Calls a connection may cancel in one second before the server closes
    // it (api/connection_cutter.h; 0: never).
    int max_cancels_per_connection = 200;
  };

  // How large a method's answer may be: a page (List) or one record.
  enum class Answer { kSmall, kLarge };

  // Runs on a worker; fills `response` (the call's) and says how the call
  // ends. The response is sent only with an OK status.
  using Work = std::function<grpc::Status(grpc::ByteBuffer* response)>;

  explicit Dispatcher(Options options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The reactor of one call: refused at once, or queued for a worker.
  // `response` is the call's (CallbackUnaryHandler's), and lives until the
  // reactor's OnDone.
  grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                  Answer answer, grpc::ByteBuffer* response,
                                  Work work);

  // The same for work that never blocks (an answer from memory): run at
  // once on the calling thread, gRPC's, with no worker and no place in
  // flight; its answer counts with the unsent answers as any other, and is
  // refused as any other while they are past their bound.
  grpc::ServerUnaryReactor* AnswerNow(grpc::CallbackServerContext* context,
                                      Answer answer, grpc::ByteBuffer* response,
                                      Work work);

  // The same for work that may find it cannot answer without blocking: it
  // says so by returning false (its status and response are then dropped),
  // and the call goes on as Start would take it, with `fallback` as its
  // work.
  using Attempt =
      std::function<bool(grpc::ByteBuffer* response, grpc::Status* status)>;
  grpc::ServerUnaryReactor* AnswerNowOr(grpc::CallbackServerContext* context,
                                        Answer answer,
                                        grpc::ByteBuffer* response,
                                        Attempt attempt, Work fallback);

  // A call that first waits for something that holds none of the server's
  // threads (the primary's revision, store/revision_check.h), then answers
  // where the wait ended or runs on a worker as any other. Admitted as
  // Start admits: counted in flight and against its connection from now
  // until it has run. Its Resume must be used exactly once.
  class Resume {
   public:
    Resume(Resume&& other) noexcept
        : dispatcher_(other.dispatcher_),
          call_(std::exchange(other.call_, nullptr)) {}
    Resume& operator=(Resume&&) = delete;
    Resume(const Resume&) = delete;

    // Runs `work` on this thread, now, as a worker would run it (a call
    // cancelled, late or past the answers' bound meanwhile is answered so
    // instead): work that never blocks.
    void Now(Work work) &&;
    // The same for work that may find it cannot answer here without
    // blocking: it says so by returning false (its status and response are
    // then dropped), and `fallback` is queued for a worker.
    void TryNow(Attempt attempt, Work fallback) &&;
    // Queues `work` for a worker.
    void Queue(Work work) &&;

   private:
    friend class Dispatcher;
    Resume(Dispatcher* dispatcher, Call* call)
        : dispatcher_(dispatcher), call_(call) {}
    Dispatcher* dispatcher_;
    Call* call_;
  };
  // `wait` is called at once, on the calling thread, unless the call is
  // refused (then never).
  using Wait = std::function<void(Resume resume)>;
  grpc::ServerUnaryReactor* StartAfter(grpc::CallbackServerContext* context,
                                       Answer answer,
                                       grpc::ByteBuffer* response, Wait wait);

  // How a stream's start is told it may begin: called once, on a worker
  // with OK when the start is admitted and runs (it is then counted in
  // flight, against its connection, until it returns), else with the
  // status that refused it (on the calling thread or a worker): the server
  // is stopping, the calls in flight are at their bound, the answers
  // waiting for their callers are past the bound for such a call, the
  // client cancelled, or the deadline passed. It must not throw.
  using StreamStart = std::function<void(grpc::Status admitted)>;

  // Streams (WatchChanges) run on no worker once started, but their start
  // (the caller's credentials checked, the request looked at) is admitted
  // and run like a unary call: `answer` kLarge for a stream that reads
  // pages for itself. The stream's reactor must not finish before `start`
  // has been called (it reads the call's context).
  void StartStream(grpc::CallbackServerContext* context, Answer answer,
                   StreamStart start) ABSL_LOCKS_EXCLUDED(mu_);

  // Bytes a stream holds for a client that has not taken them yet (a
  // watch's pages and changes waiting to be written): counted with the
  // answers waiting, `bytes` when held, minus as many when written or
  // dropped.
  void AddUnsent(int64_t bytes) {
    unsent_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }

  // Whether the answers waiting are past the bound: no page should be read
  // for a client now.
  bool UnsentPastBound() const { return !UnsentPast(Answer::kLarge).empty(); }

  // Why a call that answers `answer` should not go on for the answers
  // waiting for their callers (kLarge: at the bound; kSmall: at twice it),
  // or "". A stream's start asks once it knows what the stream will read.
  std::string UnsentPast(Answer answer) const;

  // How long a refused client is asked to wait (grpc-retry-pushback-ms).
  static constexpr int kPushbackMs = 100;

  // For /metrics.
  struct Counts {
    int64_t queued = 0;
    int64_t running = 0;
    int64_t unsent_bytes = 0;  // answers clients have not taken yet
    int64_t unsent_calls = 0;
    int64_t refused = 0;  // since the start
    // Calls started with StartAfter, by how they resumed (since the start).
    int64_t after_wait_now = 0;
    int64_t after_wait_queued = 0;
    // Calls AnswerNowOr took, by where they ran (since the start).
    int64_t in_place_now = 0;
    int64_t in_place_queued = 0;
    int64_t connections_cut = 0;  // since the start
  };
  Counts counts() const;

  // The ports the server listens on: only connections to them are cut.
  void set_ports(std::vector<int> ports) {
    cutter_.set_ports(std::move(ports));
  }

  // The status a refused call gets (tests read its message).
  static grpc::Status Refusal(const std::string& why);

  // A raw method's request parsed into `message` (INTERNAL, as gRPC says
  // it, if it is not one), and its answer serialized.
  static grpc::Status Parse(const grpc::ByteBuffer& bytes,
                            google::protobuf::Message* message);
  static grpc::Status Serialize(const google::protobuf::Message& message,
                                grpc::ByteBuffer* bytes);
  // An answer already encoded (spliced, store/wire.h).
  static grpc::Status Bytes(absl::string_view encoded, grpc::ByteBuffer* bytes);

 private:
  class Job;     // what is queued: a unary call, or a stream's start
  class Stream;  // a stream's start

  // Admits `job` (queues it unless `queue` is false) or says why not.
  std::string Admit(Job* job, bool queue = true) ABSL_LOCKS_EXCLUDED(mu_);
  // Queues an admitted job.
  void Enqueue(Job* job) ABSL_LOCKS_EXCLUDED(mu_);
  // An admitted job run on this thread: its status, once it has run or was
  // found cancelled, late, or past the answers' bound.
  grpc::Status RunAdmitted(Job* job);
  // Counts a refusal and asks the client to wait: the status to finish with.
  grpc::Status Refuse(Job* job, const std::string& why);
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a cancelled call against its connection (the cutter).
  void CountCancel(Job* job);
  void Run();  // one worker
  // A call reset before it reached us (a client resetting streams as fast
  // as it opens them): finished as CANCELLED here, without a worker, and
  // true.
  bool FinishIfCancelledAtStart(Call* call);
  // `job`'s work, run: what it throws becomes INTERNAL, as the synchronous
  // server made it, or the thread that ran it would end the process.
  static grpc::Status RunCatching(Job* job);
  // An admitted job has run (or will not): its place given back, and its
  // worker's when `on_worker`.
  void Release(Job* job, bool on_worker = true) ABSL_LOCKS_EXCLUDED(mu_);
  // A unary call's answer, counted with the answers waiting, or refused if
  // it would pass twice the bound.
  void Deliver(Call* call, grpc::Status status);
  void Done(Call* call);  // from the call's OnDone

  const Options options_;
  ConnectionCutter cutter_;
  // Lists run on at most this many workers (3/4): the rest are kept for
  // Gets and writes, which are also taken from their queue first.
  const int max_running_large_;
  mutable absl::Mutex mu_;
  std::deque<Job*> small_ ABSL_GUARDED_BY(mu_);
  std::deque<Job*> large_ ABSL_GUARDED_BY(mu_);
  int running_large_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // queued or running
  absl::flat_hash_map<std::string, int> per_connection_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> running_{0};
  std::atomic<int64_t> unsent_bytes_{0};
  std::atomic<int64_t> unsent_calls_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> after_wait_now_{0};
  std::atomic<int64_t> after_wait_queued_{0};
  std::atomic<int64_t> in_place_now_{0};
  std::atomic<int64_t> in_place_queued_{0};
  std::vector<std::thread> workers_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_DISPATCHER_H_
