#include "src/api/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "src/api/status.h"
#include "src/auth/edge.h"

namespace forum_registry::api {
namespace {

// Work that always answers, as an attempt.
Dispatcher::Attempt Always(const Dispatcher::Work& work) {
  return [&work](grpc::ByteBuffer* response, grpc::Status* status) {
    *status = work(response);
    return true;
  };
}

// An attempt as a call's work, noting in `answered` whether it answered
// (left true when it is not run: a call cancelled or late meanwhile).
Dispatcher::Work Attempting(const Dispatcher::Attempt& attempt,
                            bool* answered) {
  *answered = true;
  return [&attempt, answered](grpc::ByteBuffer* response) {
    grpc::Status status;
    *answered = attempt(response, &status);
    return status;
  };
}

}  // namespace

// What the dispatcher queues and runs: a unary call, or a stream's start.
class Dispatcher::Job {
 public:
  Job(grpc::CallbackServerContext* context, Answer answer)
      : context_(context),
        answer_(answer),
        connection_(auth::ConnectionKey(*context)) {}
  virtual ~Job() = default;

  // On a worker, admitted, neither cancelled nor late: the work.
  virtual grpc::Status Run() = 0;
  // The job leaves the dispatcher with `status` (the work's, or why it did
  // not run); its place in flight, if it had one, is given back.
  virtual void Leave(grpc::Status status) = 0;

  grpc::CallbackServerContext* const context_;
  const Answer answer_;
  const std::string connection_;
};

// One unary call: its reactor, and what the dispatcher keeps of it.
class Dispatcher::Call final : public grpc::ServerUnaryReactor, public Job {
 public:
  Call(Dispatcher* dispatcher, grpc::CallbackServerContext* context,
       Answer answer, grpc::ByteBuffer* response, Work work)
      : Job(context, answer),
        dispatcher_(dispatcher),
        response_(response),
        work_(std::move(work)) {}

  grpc::Status Run() override {
    // What the work captured goes when it returns, not at OnDone.
    const Work work = std::move(work_);
    return work(response_);
  }
  void Leave(grpc::Status status) override {
    work_ = nullptr;  // and when it did not run, now too
    dispatcher_->Deliver(this, std::move(status));
  }

  void OnDone() override {
    dispatcher_->Done(this);
    delete this;
  }

  // The client reset the stream, or the deadline passed, before the answer.
  void OnCancel() override {
    if (!cancelled_at_start_) dispatcher_->CountCancel(this);
  }

  // OnDone and OnCancel only count, at most cut a connection, and free: they
  // wait for nothing. gRPC then runs them on the thread that ends the call,
  // as it runs its own default reactor's, instead of handing every call's
  // end to its executor thread (a thread hop a call; decisions §77).
  bool InternalInlineable() override { return true; }

  Dispatcher* const dispatcher_;
  grpc::ByteBuffer* const response_;
  Work work_;
  // The bytes of the answer handed to gRPC, until OnDone.
  int64_t unsent_bytes_ = 0;
  bool counted_ = false;  // in unsent_bytes_ and unsent_calls_
  bool cancelled_at_start_ = false;
};

// A stream's start: `start_` is told, once, whether it runs.
class Dispatcher::Stream final : public Job {
 public:
  Stream(grpc::CallbackServerContext* context, Answer answer, StreamStart start)
      : Job(context, answer), start_(std::move(start)) {}

  grpc::Status Run() override {
    ran_ = true;
    start_(grpc::Status::OK);
    return grpc::Status::OK;
  }
  void Leave(grpc::Status status) override {
    if (!ran_) start_(std::move(status));
    delete this;
  }

 private:
  StreamStart start_;
  bool ran_ = false;
};

grpc::Status Dispatcher::Refusal(const std::string& why) {
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("the server is busy: ", why, "; retry after a short wait"));
}

grpc::Status Dispatcher::Parse(const grpc::ByteBuffer& bytes,
                               google::protobuf::Message* message) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; the reader consumes it
  return grpc::GenericDeserialize<grpc::ProtoBufferReader,
                                  google::protobuf::Message>(&copy, message);
}

grpc::Status Dispatcher::Serialize(const google::protobuf::Message& message,
                                   grpc::ByteBuffer* bytes) {
  bool own = false;
  return grpc::SerializationTraits<google::protobuf::Message>::Serialize(
      message, bytes, &own);
}

grpc::Status Dispatcher::Bytes(absl::string_view encoded,
                               grpc::ByteBuffer* bytes) {
  grpc::Slice slice(encoded.data(), encoded.size());
  grpc::ByteBuffer buffer(&slice, 1);
  bytes->Swap(&buffer);
  return grpc::Status::OK;
}

Dispatcher::Dispatcher(Options options)
    : options_(options),
      cutter_(options.max_cancels_per_connection),
      max_running_large_(std::max(1, options.workers - options.workers / 4)) {
  const int workers = std::max(1, options_.workers);
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Run(); });
}

Dispatcher::~Dispatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

grpc::ServerUnaryReactor* Dispatcher::Start(
    grpc::CallbackServerContext* context, Answer answer,
    grpc::ByteBuffer* response, Work work) {
  auto* call = new Call(this, context, answer, response, std::move(work));
  if (FinishIfCancelledAtStart(call)) return call;
  if (const std::string why = Admit(call); !why.empty()) {
    call->Finish(Refuse(call, why));
  }
  return call;
}

grpc::ServerUnaryReactor* Dispatcher::AnswerNow(
    grpc::CallbackServerContext* context, Answer answer,
    grpc::ByteBuffer* response, Work work) {
  return AnswerNowOr(context, answer, response, Always(work), nullptr);
}

grpc::ServerUnaryReactor* Dispatcher::AnswerNowOr(
    grpc::CallbackServerContext* context, Answer answer,
    grpc::ByteBuffer* response, Attempt attempt, Work fallback) {
  auto* call = new Call(this, context, answer, response, nullptr);
  if (FinishIfCancelledAtStart(call)) return call;
  std::string why = UnsentPast(answer);
  if (why.empty()) {
    absl::MutexLock lock(&mu_);
    if (stopping_) why = "it is shutting down";
  }
  if (!why.empty()) {
    call->Finish(Refuse(call, why));
    return call;
  }
  bool answered;  // also when the attempt throws
  call->work_ = Attempting(attempt, &answered);
  grpc::Status status = RunCatching(call);
  if (answered) {
    in_place_now_.fetch_add(1, std::memory_order_relaxed);
    Deliver(call, std::move(status));
    return call;
  }
  // As Start takes a call.
  call->response_->Clear();
  call->work_ = std::move(fallback);
  if (const std::string refused = Admit(call); !refused.empty()) {
    call->Finish(Refuse(call, refused));
  } else {
    in_place_queued_.fetch_add(1, std::memory_order_relaxed);
  }
  return call;
}

grpc::ServerUnaryReactor* Dispatcher::StartAfter(
    grpc::CallbackServerContext* context, Answer answer,
    grpc::ByteBuffer* response, Wait wait) {
  auto* call = new Call(this, context, answer, response, nullptr);
  if (FinishIfCancelledAtStart(call)) return call;
  if (const std::string why = Admit(call, /*queue=*/false); !why.empty()) {
    call->Finish(Refuse(call, why));
    return call;
  }
  wait(Resume(this, call));
  return call;
}

void Dispatcher::Resume::Now(Work work) && {
  std::move(*this).TryNow(Always(work), nullptr);
}

void Dispatcher::Resume::TryNow(Attempt attempt, Work fallback) && {
  bool answered;
  call_->work_ = Attempting(attempt, &answered);
  Job* const job = call_;
  grpc::Status status = dispatcher_->RunAdmitted(job);
  if (!answered) {
    call_->response_->Clear();
    std::move(*this).Queue(std::move(fallback));
    return;
  }
  dispatcher_->after_wait_now_.fetch_add(1, std::memory_order_relaxed);
  dispatcher_->Release(job, /*on_worker=*/false);
  job->Leave(std::move(status));
}

void Dispatcher::Resume::Queue(Work work) && {
  dispatcher_->after_wait_queued_.fetch_add(1, std::memory_order_relaxed);
  call_->work_ = std::move(work);
  dispatcher_->Enqueue(call_);
}

bool Dispatcher::FinishIfCancelledAtStart(Call* call) {
  if (!call->context_->IsCancelled()) return false;
  call->cancelled_at_start_ = true;
  CountCancel(call);
  call->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                            "the call was cancelled before it ran"));
  return true;
}

grpc::Status Dispatcher::RunCatching(Job* job) {
  try {
    return job->Run();
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("unexpected error: ", e.what()));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unexpected error");
  }
}

void Dispatcher::StartStream(grpc::CallbackServerContext* context,
                             Answer answer, StreamStart start) {
  auto* stream = new Stream(context, answer, std::move(start));
  if (context->IsCancelled()) {
    CountCancel(stream);
    stream->Leave(grpc::Status(grpc::StatusCode::CANCELLED,
                               "the call was cancelled before it ran"));
    return;
  }
  if (const std::string why = Admit(stream); !why.empty()) {
    stream->Leave(Refuse(stream, why));
  }
}

void Dispatcher::CountCancel(Job* job) {
  // Only the client's own cancellations count against its connection, not
  // a deadline that passed.
  if (job->context_->deadline() > std::chrono::system_clock::now()) {
    cutter_.Cancelled(job->connection_, absl::Now());
  }
}

namespace {

std::string UnsentMessage(int64_t unsent) {
  return absl::StrCat(unsent, " bytes of answers wait for their callers");
}

}  // namespace

std::string Dispatcher::UnsentPast(Answer answer) const {
  const int64_t unsent = unsent_bytes_.load(std::memory_order_relaxed);
  const int64_t bound = options_.max_unsent_bytes;
  if (bound > 0 &&
      (unsent >= 2 * bound || (answer == Answer::kLarge && unsent >= bound))) {
    return UnsentMessage(unsent);
  }
  return "";
}

grpc::Status Dispatcher::Refuse(Job* job, const std::string& why) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  job->context_->AddTrailingMetadata("grpc-retry-pushback-ms",
                                     std::to_string(kPushbackMs));
  return Refusal(why);
}

std::string Dispatcher::Admit(Job* job, bool queue) {
  if (std::string past = UnsentPast(job->answer_); !past.empty()) {
    return past;
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) return "it is shutting down";
  if (in_flight_ >= options_.max_in_flight) {
    return absl::StrCat(in_flight_, " calls are in flight");
  }
  int& mine = per_connection_[job->connection_];
  if (mine >= options_.max_per_connection) {
    return absl::StrCat(mine, " calls of this connection are in flight");
  }
  ++mine;
  ++in_flight_;
  if (queue) (job->answer_ == Answer::kLarge ? large_ : small_).push_back(job);
  return "";
}

void Dispatcher::Enqueue(Job* job) {
  absl::MutexLock lock(&mu_);
  (job->answer_ == Answer::kLarge ? large_ : small_).push_back(job);
}

bool Dispatcher::Ready() const {
  return !small_.empty() ||
         (!large_.empty() && running_large_ < max_running_large_) ||
         (stopping_ && large_.empty());
}

void Dispatcher::Run() {
  for (;;) {
    Job* job = nullptr;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Dispatcher::Ready));
      if (!small_.empty()) {
        job = small_.front();
        small_.pop_front();
      } else if (!large_.empty() && running_large_ < max_running_large_) {
        job = large_.front();
        large_.pop_front();
        ++running_large_;
      } else {
        return;  // stopping, nothing left
      }
    }
    grpc::Status status = RunAdmitted(job);
    Release(job);
    job->Leave(std::move(status));
  }
}

grpc::Status Dispatcher::RunAdmitted(Job* job) {
  running_.fetch_add(1, std::memory_order_relaxed);
  grpc::Status status;
  if (job->context_->IsCancelled()) {
    status = grpc::Status(grpc::StatusCode::CANCELLED,
                          "the call was cancelled before it ran");
  } else if (job->context_->deadline() <= std::chrono::system_clock::now()) {
    status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "the deadline passed before the call ran");
  } else if (std::string past = UnsentPast(job->answer_); !past.empty()) {
    // Answers filled the bound while this call waited: it would only add
    // to them.
    status = Refuse(job, past);
  } else {
    // The store reads the call's scope: a cancelled call's waits and
    // statements end (store/watchdog.h).
    const store::CallScope scope = ScopeOf(job->context_);
    status = RunCatching(job);
  }
  running_.fetch_sub(1, std::memory_order_relaxed);
  return status;
}

void Dispatcher::Release(Job* job, bool on_worker) {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  if (on_worker && job->answer_ == Answer::kLarge) --running_large_;
  auto it = per_connection_.find(job->connection_);
  if (it != per_connection_.end() && --it->second == 0) {
    per_connection_.erase(it);
  }
}

void Dispatcher::Deliver(Call* call, grpc::Status status) {
  if (status.ok()) {
    const int64_t bytes = static_cast<int64_t>(call->response_->Length());
    const int64_t bound = options_.max_unsent_bytes;
    const int64_t before =
        unsent_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (bound > 0 && before + bytes > 2 * bound && before > 0) {
      unsent_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      call->response_->Clear();
      status = Refuse(call, UnsentMessage(before));
    } else {
      call->unsent_bytes_ = bytes;
      call->counted_ = true;
      unsent_calls_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  call->Finish(std::move(status));
}

void Dispatcher::Done(Call* call) {
  if (!call->counted_) return;
  unsent_bytes_.fetch_sub(call->unsent_bytes_, std::memory_order_relaxed);
  unsent_calls_.fetch_sub(1, std::memory_order_relaxed);
}

Dispatcher::Counts Dispatcher::counts() const {
  Counts counts;
  {
    absl::MutexLock lock(&mu_);
    counts.queued = static_cast<int64_t>(small_.size() + large_.size());
  }
  counts.running = running_.load(std::memory_order_relaxed);
  counts.unsent_bytes = unsent_bytes_.load(std::memory_order_relaxed);
  counts.unsent_calls = unsent_calls_.load(std::memory_order_relaxed);
  counts.refused = refused_.load(std::memory_order_relaxed);
  counts.after_wait_now = after_wait_now_.load(std::memory_order_relaxed);
  counts.after_wait_queued = after_wait_queued_.load(std::memory_order_relaxed);
  counts.in_place_now = in_place_now_.load(std::memory_order_relaxed);
  counts.in_place_queued = in_place_queued_.load(std::memory_order_relaxed);
  counts.connections_cut = cutter_.cut();
  return counts;
}

}  // namespace forum_registry::api
