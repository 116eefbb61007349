#include "src/api/change_feed.h"

#include <deque>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "spdlog/spdlog.h"
#include "src/api/status.h"
#include "src/domain/change_filter.h"
#include "src/domain/resource_registry.h"

namespace forum_registry::api {

namespace v1 = forumregistry::v1;
using Response = v1::WatchChangesResponse;
using google::protobuf::internal::WireFormatLite;

namespace {

// Changes or records read from the database at a time.
constexpr int kPage = 500;

// What the record cache applies for `change`: its name and revision, and
// with `with_record` the record it wrote (`written`: a create or an update
// whose record the feed read), which the cache then holds as current.
store::RecordCache::Change CacheChangeOf(
    const v1::Change& change, const store::ChangeBatch::Written& written,
    bool with_record) {
  store::RecordCache::Change applied{.name = change.resource(),
                                     .revision = change.revision()};
  if (with_record && written.record != nullptr) {
    applied.record = written.record;
    applied.version = written.version;
    applied.update_micros = written.update_micros;
  }
  return applied;
}

// How long a worker's read may wait for a connection and run.
constexpr absl::Duration kReadTimeout = absl::Seconds(30);

absl::CivilDay UtcDay(const google::protobuf::Timestamp& time) {
  return absl::ToCivilDay(
      absl::FromUnixMicros(
          google::protobuf::util::TimeUtil::TimestampToMicroseconds(time)),
      absl::UTCTimeZone());
}

// The changes after `after` were purged (--change-retention): from a
// request's after_revision (`field` "after_revision: ") or while catching up.
grpc::Status NoLongerKept(absl::string_view field, int64_t after,
                          int64_t oldest) {
  return grpc::Status(
      grpc::StatusCode::OUT_OF_RANGE,
      absl::StrCat(field, "the changes after revision ", after,
                   " are no longer kept; the oldest kept is revision ", oldest,
                   "; start again with initial_state"));
}

// What waits in a watcher's queue: a change, or a bookmark.
//
// A change is kept encoded as it goes on the wire: one element of
// WatchChangesResponse.changes (field 1: tag, length, the Change). Encoded
// once, it is shared by every watcher it matches (grpc::Slice counts
// references), and a message is the concatenation of its changes and a
// short tail with `revision` and `initial_state_end` — protobuf's encoding
// of a message is the concatenation of its fields', so no watcher copies or
// encodes a change again.
struct Item {
  grpc::Slice encoded;   // empty for a bookmark
  int64_t revision = 0;  // the change's (0 in the initial state), or the
                         // bookmark's
  bool initial_state_end = false;
  // Read for this watcher alone (initial state, catch-up), not shared with
  // others: its bytes are counted against the unsent bound while held.
  bool owned = false;
  bool is_change() const { return encoded.size() > 0; }
  int64_t owned_bytes() const {
    return owned ? static_cast<int64_t>(encoded.size()) : 0;
  }
};

Item BookmarkAt(int64_t revision, bool initial_state_end) {
  return {.revision = revision, .initial_state_end = initial_state_end};
}

Item ChangeItem(const v1::Change& change) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(
        WireFormatLite::MakeTag(Response::kChangesFieldNumber,
                                WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<uint32_t>(change.ByteSizeLong()));
    change.SerializeWithCachedSizes(&coded);
  }
  return {.encoded = grpc::Slice(std::move(out)),
          .revision = change.revision()};
}

bool HasActors(const v1::Change& change) {
  return !change.actor().empty() || !change.request_id().empty();
}

}  // namespace

void HideActors(v1::Change* change) {
  change->clear_actor();
  change->clear_request_id();
}

namespace {

// The tail of a message: the fields that are not changes.
grpc::Slice EncodeTail(int64_t revision, bool initial_state_end) {
  Response tail;
  tail.set_revision(revision);
  tail.set_initial_state_end(initial_state_end);
  return grpc::Slice(tail.SerializeAsString());
}

// A message carries at most this many changes, and this many bytes of them
// (or one larger change), well below any message size limit.
constexpr int kBatchChanges = 256;
constexpr size_t kBatchBytes = 1 << 20;

}  // namespace

// A change, encoded once for every watcher, and what filters look at. With
// `hidden_too`, also encoded once without its actor and request id (if it
// has either), for the watchers who may not see them (`change` loses them
// then): a second encoding of the changes that have them, once each, not
// one per watcher.
struct ChangeFeed::Event {
  Event(v1::Change& change, bool hidden_too)
      : revision(change.revision()),
        resource(change.resource()),
        operation(v1::ChangeOperation_Name(change.operation())),
        day(UtcDay(change.change_time())),
        item(ChangeItem(change)),
        hidden(item) {
    if (hidden_too && HasActors(change)) {
      HideActors(&change);
      hidden = ChangeItem(change);
    }
  }
  // The encoding for a watcher who sees the actors or not.
  const Item& For(bool sees_actors) const {
    return sees_actors ? item : hidden;
  }
  domain::ChangeFacts Facts() const {
    return {.resource = resource,
            .operation = operation,
            .revision = revision,
            .change_day = day};
  }

  int64_t revision;
  std::string resource;
  std::string operation;
  absl::CivilDay day;
  Item item;
  Item hidden;  // without actor and request id; `item`'s bytes if it has none
};

// One WatchChanges call, as a state machine. Its phase says what it reads
// and who feeds it; To() is the one place a phase changes:
//
//   kStarting ─┬─> kInitial ──> kCatchingUp <──> kWaitingForFeed
//              └──────────────> kCatchingUp ──┬─> kLive
//              (and kStarting or kWaitingForFeed straight to kLive)
//   any of these ──> kEnding ──> kFinishing ──> kDone
//
// Before kStarting reads anything, the watcher waits for its start
// (awaiting_start_): the dispatcher admits it and authorizes its caller,
// reading the call's context, so the call must not finish meanwhile; a
// cancellation then ends it (kEnding) and Finish waits for Begin or Refuse.
// Besides its phase, a watcher may have one write in flight (writing_) and
// one database read (read_). It is deleted by the last of its holders to
// let go (Release): gRPC until OnDone, a worker while it reads for it, and
// Housekeep while it cancels it. Every member but the constants is guarded
// by the feed's mutex; gRPC operations are started outside it (Perform).
class ChangeFeed::Watcher final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  enum class Phase {
    kStarting,        // reads the log's bounds, to check after_revision
    kInitial,         // reads the records as they stand, kind by kind
    kCatchingUp,      // reads the log after cursor_, a page at a time
    kWaitingForFeed,  // caught up before the feed thread was ready
    kLive,            // fed by the feed thread (FanOut)
    kEnding,          // ends with final_ once the write in flight is done
    kFinishing,       // Finish was called; gRPC calls OnDone
    kDone,            // OnDone was called
  };
  // The database read of a reading phase.
  enum class Read { kIdle, kRunning, kWaitingForBytes };
  // Where the bookmark that ends the initial state is.
  enum class InitialEnd { kNotQueued, kQueued, kTaken, kSent };

  // What to do once the mutex is released.
  struct Step {
    enum class Kind { kNone, kWrite, kFinish, kFetch } kind = Kind::kNone;
    grpc::Status status;  // for kFinish
  };

  // Where a read starts, copied under the mutex for a worker.
  struct ReadAt {
    Phase phase = Phase::kStarting;
    int64_t cursor = 0;
    size_t kind = 0;
    std::string after_name;
  };

  Watcher(ChangeFeed* feed, grpc::ServerContextBase* context)
      : feed_(feed), context_(context) {}

  // What it watches, and for whom: set once, when its start has been
  // admitted (before it reads or is fed anything), and not changed after.
  void SetRequestLocked(std::optional<domain::filter::Node> filter,
                        int64_t after_revision, bool initial_state,
                        WatchOrigin origin)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    filter_ = std::move(filter);
    after_revision_ = after_revision;
    initial_state_ = initial_state;
    origin_ = std::move(origin);
    resume_from_ = after_revision;
  }

  // The start has been decided (Begin or Refuse): the call may end.
  void StartDecidedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    awaiting_start_ = false;
  }

  void OnWriteDone(bool ok) override {
    Step step;
    {
      absl::MutexLock lock(&feed_->mu_);
      writing_ = false;
      if (ok) {
        int changes = 0;
        for (const Item& item : batch_) changes += item.is_change() ? 1 : 0;
        feed_->delivered_ += std::max(1, changes);
        last_write_ = absl::Now();
        if (batch_revision_ > 0) resume_from_ = batch_revision_;
        if (batch_.back().initial_state_end) initial_end_ = InitialEnd::kSent;
      } else {
        End(grpc::Status(grpc::StatusCode::CANCELLED, "the client left"));
      }
      for (const Item& item : batch_) Hold(-item.owned_bytes());
      batch_.clear();
      step = NextLocked();
    }
    Perform(step);
  }

  void OnCancel() override {
    Step step;
    {
      absl::MutexLock lock(&feed_->mu_);
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client left"));
      step = NextLocked();
    }
    Perform(step);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&feed_->mu_);
      if (feed_->watchers_.erase(this) > 0) {
        const auto forget = [](absl::flat_hash_map<std::string, int>& counts,
                               const std::string& key) {
          auto it = counts.find(key);
          if (it != counts.end() && --it->second <= 0) counts.erase(it);
        };
        forget(feed_->per_connection_, origin_.connection);
        forget(feed_->per_caller_, origin_.caller);
      }
      Hold(-held_bytes_);
      To(Phase::kDone);
    }
    Release();
  }

  // One more holder (a worker, Housekeep), until its Release.
  void RetainLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) { ++refs_; }

  // A holder lets go; the last deletes the watcher.
  void Release() ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    bool last = false;
    {
      absl::MutexLock lock(&feed_->mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

  Phase phase() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    return phase_;
  }

  // Whether the phase is one that reads the database.
  bool Reading() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    return phase_ == Phase::kStarting || phase_ == Phase::kInitial ||
           phase_ == Phase::kCatchingUp;
  }

  bool Ended() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    return phase_ >= Phase::kEnding;
  }

  // `bytes` more (or fewer) of this watcher's own pages held for its
  // client.
  void Hold(int64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (bytes == 0) return;
    held_bytes_ += bytes;
    feed_->held_bytes_ += bytes;
    int64_t& callers = feed_->held_per_caller_[origin_.caller];
    callers += bytes;
    if (callers <= 0) feed_->held_per_caller_.erase(origin_.caller);
    if (feed_->options_.admission != nullptr) {
      feed_->options_.admission->AddUnsent(bytes);
    }
  }

  // Whether a page read now would pass the bound of bytes waiting for
  // clients, or this caller's share of it: it waits (Housekeep looks
  // again).
  bool PagesMustWaitLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    return feed_->Starved() || feed_->CallerStarved(origin_.caller);
  }

  // Ends the call with `status` once the write in flight is done; what is
  // still queued is dropped. The first status set wins. With `resume`, the
  // message ends with where to resume from, as it stands once that write is
  // done.
  void End(grpc::Status status, bool resume = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (!Ended()) {
      final_ = std::move(status);
      final_resume_ = resume;
      To(Phase::kEnding);
    }
    DropQueueLocked();
  }

  bool Matches(const domain::ChangeFacts& facts) const {
    return !filter_.has_value() || domain::MatchesChange(*filter_, facts);
  }

  // Picks the next step and marks it taken.
  Step NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    Step step;
    if (awaiting_start_ || writing_ || phase_ == Phase::kFinishing ||
        phase_ == Phase::kDone) {
      return step;
    }
    if (!Ended() && !queue_.empty() &&
        queue_.front().encoded.size() > MaxBatchBytes()) {
      // Cannot be sent: skip it, and say so.
      End(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("the change at revision ", queue_.front().revision,
                       " is larger than the message limit "
                       "(--max-message-bytes); resume with after_revision=",
                       queue_.front().revision, " to go on after it")));
    }
    if (phase_ == Phase::kEnding) {
      To(Phase::kFinishing);
      step.kind = Step::Kind::kFinish;
      step.status = final_resume_
                        ? grpc::Status(final_->error_code(),
                                       absl::StrCat(final_->error_message(),
                                                    "; ", ResumeHint()))
                        : *final_;
    } else if (!queue_.empty()) {
      TakeBatchLocked();
      writing_ = true;
      write_started_ = absl::Now();
      step.kind = Step::Kind::kWrite;
    } else if (Reading() && read_ != Read::kRunning) {
      // Pages wait while the bytes waiting for clients are past their
      // bound, or this caller holds its share (Housekeep looks again).
      if (phase_ != Phase::kStarting && PagesMustWaitLocked()) {
        read_ = Read::kWaitingForBytes;
      } else {
        read_ = Read::kRunning;
        RetainLocked();  // the worker's, until EndRead
        step.kind = Step::Kind::kFetch;
      }
    }
    return step;
  }

  // Adds the next step to `steps` unless there is none: a watcher with
  // nothing to do may be finished and deleted by gRPC as soon as the mutex
  // is released.
  void NextInto(std::vector<std::pair<Watcher*, Step>>* steps)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    Step step = NextLocked();
    if (step.kind != Step::Kind::kNone) steps->emplace_back(this, step);
  }

  void Perform(const Step& step) ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    switch (step.kind) {
      case Step::Kind::kNone:
        return;
      case Step::Kind::kWrite:
        // current_ is the writer's alone until OnWriteDone.
        StartWrite(&current_);
        return;
      case Step::Kind::kFinish:
        Finish(step.status);
        return;
      case Step::Kind::kFetch:
        feed_->Schedule(this);
        return;
    }
  }

  // A worker's read: kRead with where it starts; kNothing when the watch
  // ended meanwhile; kWait when the page must wait for the bytes waiting for
  // clients to fall, in which case the read is no longer the worker's
  // (Housekeep takes it up) and the worker only lets go (Release), never
  // EndRead.
  enum class Begin { kRead, kNothing, kWait };
  Begin BeginRead(ReadAt* at) ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    absl::MutexLock lock(&feed_->mu_);
    if (!Reading()) return Begin::kNothing;
    if (phase_ != Phase::kStarting && PagesMustWaitLocked()) {
      read_ = Read::kWaitingForBytes;
      return Begin::kWait;
    }
    *at = {.phase = phase_,
           .cursor = cursor_,
           .kind = kind_,
           .after_name = after_name_};
    return Begin::kRead;
  }

  // The log's bounds, read in kStarting: after_revision checked, then the
  // initial state, or catching up from after_revision (or from now).
  void Started(const absl::StatusOr<store::RevisionBounds>& bounds)
      ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    absl::MutexLock lock(&feed_->mu_);
    if (phase_ != Phase::kStarting) return;  // ended meanwhile
    if (!bounds.ok()) return CannotRead(bounds.status());
    const int64_t after = after_revision_;
    if (after > bounds->newest) {
      End(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                       absl::StrCat("after_revision: ", after,
                                    " is newer than the newest revision, ",
                                    bounds->newest)));
    } else if (after > 0 && after < bounds->oldest - 1) {
      End(NoLongerKept("after_revision: ", after, bounds->oldest));
    } else {
      // The watch has begun: its headers go now, before any message, so a
      // client learns at once that it began and after which revision (the
      // HTTP door answers 200 on them), not at the first change or
      // bookmark. No write is started before the phase below.
      context()->AddInitialMetadata(
          std::string(kWatchStartHeader),
          absl::StrCat(after == 0 ? bounds->newest : after));
      StartSendInitialMetadata();
      Begun(after, *bounds);
    }
  }

  // After Started: the initial state, or the changes after `after`.
  void Begun(int64_t after, const store::RevisionBounds& bounds)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (initial_state_) {
      To(Phase::kInitial);
    } else {
      cursor_ = after == 0 ? bounds.newest : after;
      resume_from_ = cursor_;
      // A watch from now says at once which revision "now" is.
      if (after == 0) queue_.push_back(BookmarkAt(cursor_, /*end=*/false));
      CaughtUpLocked();
    }
  }

  // A page of records, read in kInitial; after the last kind, the changes
  // made while they were read are replayed (kCatchingUp).
  void ReadRecords(absl::StatusOr<store::RecordBatch> records)
      ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    std::vector<Item> matched;
    if (records.ok()) {
      for (const v1::Change& record : records->records) {
        const domain::ChangeFacts facts = {
            .resource = record.resource(),
            .operation = "CHANGE_OPERATION_CREATE",
            .revision = 0,
            .change_day = UtcDay(record.change_time())};
        if (!Matches(facts)) continue;
        matched.push_back(ChangeItem(record));
        matched.back().owned = true;
      }
    }
    absl::MutexLock lock(&feed_->mu_);
    if (phase_ != Phase::kInitial) return;
    if (!records.ok()) return CannotRead(records.status());
    if (kind_ == 0 && after_name_.empty()) initial_from_ = records->newest;
    Enqueue(&matched);
    if (static_cast<int>(records->records.size()) == kPage || records->cut) {
      after_name_ = records->records.back().resource();
    } else if (++kind_ < domain::Resources().size()) {
      after_name_.clear();
    } else {
      // Every record read: replay what changed while they were.
      cursor_ = initial_from_;
      To(Phase::kCatchingUp);
    }
  }

  // A page of the log after cursor_, read in kCatchingUp.
  void ReadChanges(absl::StatusOr<store::ChangeBatch> changes)
      ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    std::vector<Item> matched;
    if (changes.ok()) {
      for (v1::Change& change : changes->changes) {
        if (!origin_.sees_actors) HideActors(&change);
        Event event(change, /*hidden_too=*/false);
        if (Matches(event.Facts())) {
          matched.push_back(std::move(event.item));
          matched.back().owned = true;
        }
      }
    }
    absl::MutexLock lock(&feed_->mu_);
    if (phase_ != Phase::kCatchingUp) return;
    if (!changes.ok()) return CannotRead(changes.status());
    if (cursor_ < changes->oldest - 1) {
      // Purged (--change-retention) while this watcher caught up.
      return End(NoLongerKept("", cursor_, changes->oldest));
    }
    Enqueue(&matched);
    if (!changes->changes.empty()) {
      cursor_ = changes->changes.back().revision();
    }
    if (static_cast<int>(changes->changes.size()) < kPage && !changes->cut) {
      // Nothing else had committed in that snapshot.
      cursor_ = std::max(cursor_, changes->newest);
    }
    CaughtUpLocked();
  }

  // The worker is done with the read it was given (BeginRead's kRead or
  // kNothing): the next step, then its hold let go.
  void EndRead() ABSL_LOCKS_EXCLUDED(feed_->mu_) {
    Step step;
    {
      absl::MutexLock lock(&feed_->mu_);
      read_ = Read::kIdle;
      step = NextLocked();
    }
    Perform(step);
    Release();
  }

  // Enters the live phase if the feed thread has read as far as this
  // watcher; else goes on catching up, or waits for the feed thread to be
  // ready (MarkReady).
  void CaughtUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (!feed_->ready_) return To(Phase::kWaitingForFeed);
    if (cursor_ < feed_->head_) return To(Phase::kCatchingUp);
    To(Phase::kLive);
    enqueued_through_ = cursor_;
    if (initial_state_ && initial_end_ == InitialEnd::kNotQueued) {
      initial_end_ = InitialEnd::kQueued;
      queue_.push_back(BookmarkAt(cursor_, /*end=*/true));
    }
  }

  // Live: the feed thread's events after enqueued_through_ that match; a
  // client too far behind is ended, to resume.
  void FeedLocked(const std::vector<Event>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    for (const Event& event : events) {
      if (event.revision <= enqueued_through_) continue;
      if (Matches(event.Facts())) {
        queue_.push_back(event.For(origin_.sees_actors));
      }
      enqueued_through_ = event.revision;
    }
    int64_t waiting_bytes = 0;
    for (const Item& item : queue_) {
      waiting_bytes += static_cast<int64_t>(item.encoded.size());
    }
    const ChangeFeedOptions& options = feed_->options_;
    if (static_cast<int>(queue_.size()) > options.watcher_buffer ||
        waiting_bytes > options.watcher_buffer_bytes) {
      ++feed_->too_slow_;
      End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       absl::StrCat("the client reads too slowly: more than ",
                                    options.watcher_buffer, " changes or ",
                                    options.watcher_buffer_bytes,
                                    " bytes were waiting for it")),
          /*resume=*/true);
    }
  }

  // Live and idle for the bookmark interval: a bookmark, and true.
  bool BookmarkIfIdleLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (phase_ != Phase::kLive || writing_ || !queue_.empty() ||
        now - last_write_ < feed_->options_.bookmark_interval) {
      return false;
    }
    queue_.push_back(BookmarkAt(enqueued_through_, /*end=*/false));
    return true;
  }

  // A page that waited for the bytes to fall may be read now: true if it
  // was waiting and may.
  bool WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (read_ != Read::kWaitingForBytes || !Reading() ||
        PagesMustWaitLocked()) {
      return false;
    }
    read_ = Read::kIdle;
    return true;
  }

  // Whether its client has taken nothing for `timeout` while pages wait for
  // it; true once per watcher.
  bool StalledLocked(absl::Time now, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (timeout <= absl::ZeroDuration() || !writing_ || held_bytes_ <= 0 ||
        stall_cancelled_ || now - write_started_ <= timeout) {
      return false;
    }
    stall_cancelled_ = true;
    return true;
  }

  grpc::ServerContextBase* context() const { return context_; }

 private:
  ~Watcher() override = default;

  // The one place a phase changes. A transition the diagram above lacks is
  // a bug of the feed's, not a client's doing: it stops the program, since
  // a watcher in a phase it cannot be in may write after its call ended.
  void To(Phase next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (next == phase_) return;
    bool allowed = false;
    switch (phase_) {
      case Phase::kStarting:
        allowed = next != Phase::kFinishing && next != Phase::kDone;
        break;
      case Phase::kInitial:
        allowed = next == Phase::kCatchingUp || next == Phase::kEnding;
        break;
      case Phase::kCatchingUp:
      case Phase::kWaitingForFeed:
        allowed = next == Phase::kCatchingUp ||
                  next == Phase::kWaitingForFeed || next == Phase::kLive ||
                  next == Phase::kEnding;
        break;
      case Phase::kLive:
        allowed = next == Phase::kEnding;
        break;
      case Phase::kEnding:
        allowed = next == Phase::kFinishing;
        break;
      case Phase::kFinishing:
        allowed = next == Phase::kDone;
        break;
      case Phase::kDone:
        break;
    }
    if (!allowed) {
      spdlog::critical("watch: no transition from phase {} to {}",
                       static_cast<int>(phase_), static_cast<int>(next));
      std::abort();
    }
    phase_ = next;
  }

  // A read failed: the client resumes elsewhere or later.
  void CannotRead(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     absl::StrCat("cannot read the change log (",
                                  status.message(), ")")),
        /*resume=*/true);
  }

  // Moves pages read for this watcher into its queue, held for its client.
  void Enqueue(std::vector<Item>* items)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    for (Item& item : *items) {
      Hold(item.owned_bytes());
      queue_.push_back(std::move(item));
    }
  }

  // Drops what waits in the queue.
  void DropQueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    for (const Item& item : queue_) Hold(-item.owned_bytes());
    queue_.clear();
  }

  // Where a client resumes: "after_revision=N", or from scratch while the
  // initial state is not complete.
  std::string ResumeHint() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    if (initial_state_ && initial_end_ != InitialEnd::kSent) {
      return "start again with initial_state";
    }
    if (resume_from_ == 0) return "start again";
    return absl::StrCat("resume with after_revision=", resume_from_);
  }

  // The most bytes of changes in one message: below the message limit, with
  // room for the tail.
  size_t MaxBatchBytes() const {
    return std::min(
        kBatchBytes,
        static_cast<size_t>(feed_->options_.max_message_bytes) - 64);
  }

  // Moves the head of the queue into batch_ and encodes the message in
  // current_: changes up to a size, and a bookmark ends a batch.
  // batch_revision_ is where a client resumes after it: the last revision
  // in it, or, when the queue is drained, everything read so far; 0 during
  // the initial state.
  void TakeBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) {
    size_t bytes = 0;
    int64_t revision = 0;
    while (!queue_.empty()) {
      Item& next = queue_.front();
      if (next.is_change() && !batch_.empty() &&
          (static_cast<int>(batch_.size()) >= kBatchChanges ||
           bytes + next.encoded.size() > MaxBatchBytes())) {
        break;
      }
      bytes += next.encoded.size();
      revision = std::max(revision, next.revision);
      batch_.push_back(std::move(next));
      queue_.pop_front();
      if (!batch_.back().is_change()) break;  // a bookmark
    }
    if (queue_.empty()) {
      if (phase_ == Phase::kLive) {
        revision = std::max(revision, enqueued_through_);
      } else if (phase_ == Phase::kCatchingUp ||
                 phase_ == Phase::kWaitingForFeed) {
        revision = std::max(revision, cursor_);
      }
    }
    if (batch_.back().initial_state_end) initial_end_ = InitialEnd::kTaken;
    batch_revision_ =
        initial_state_ && initial_end_ < InitialEnd::kTaken ? 0 : revision;
    std::vector<grpc::Slice> slices;
    slices.reserve(batch_.size() + 1);
    for (const Item& item : batch_) {
      if (item.is_change()) slices.push_back(item.encoded);
    }
    slices.push_back(
        feed_->TailLocked(batch_revision_, batch_.back().initial_state_end));
    current_ = grpc::ByteBuffer(slices.data(), slices.size());
  }

  ChangeFeed* const feed_;
  // Set once by SetRequestLocked, before the watcher reads or is fed
  // (under the mutex, which every later reader took since), then only read.
  std::optional<domain::filter::Node> filter_;
  int64_t after_revision_ = 0;
  bool initial_state_ = false;
  WatchOrigin origin_;
  grpc::ServerContextBase* const context_;  // the call's, until OnDone

  Phase phase_ ABSL_GUARDED_BY(feed_->mu_) = Phase::kStarting;
  // Until Begin or Refuse (PendingWatch): the call must not finish.
  bool awaiting_start_ ABSL_GUARDED_BY(feed_->mu_) = true;
  Read read_ ABSL_GUARDED_BY(feed_->mu_) = Read::kIdle;
  bool writing_ ABSL_GUARDED_BY(feed_->mu_) = false;  // until OnWriteDone
  // gRPC's hold, until OnDone, and the others' (RetainLocked).
  int refs_ ABSL_GUARDED_BY(feed_->mu_) = 1;

  // The revisions. Read from the database (starting, initial, catch-up)
  // up to cursor_; live, every change up to enqueued_through_ was matched
  // against the filter; the initial state's records were read from
  // initial_from_ on; resume_from_ was the last written to the client.
  int64_t cursor_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  int64_t enqueued_through_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  int64_t initial_from_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  int64_t resume_from_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  // Initial state: the kind and the last name read, and its closing
  // bookmark.
  size_t kind_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  std::string after_name_ ABSL_GUARDED_BY(feed_->mu_);
  InitialEnd initial_end_ ABSL_GUARDED_BY(feed_->mu_) = InitialEnd::kNotQueued;

  std::deque<Item> queue_ ABSL_GUARDED_BY(feed_->mu_);
  // Being written: the items, where they resume, and the message made of
  // them (the writer's alone from TakeBatchLocked to OnWriteDone).
  std::vector<Item> batch_ ABSL_GUARDED_BY(feed_->mu_);
  int64_t batch_revision_ ABSL_GUARDED_BY(feed_->mu_) = 0;
  grpc::ByteBuffer current_;
  absl::Time last_write_ ABSL_GUARDED_BY(feed_->mu_) = absl::Now();
  absl::Time write_started_ ABSL_GUARDED_BY(feed_->mu_) = absl::InfinitePast();
  bool stall_cancelled_ ABSL_GUARDED_BY(feed_->mu_) = false;
  int64_t held_bytes_ ABSL_GUARDED_BY(feed_->mu_) = 0;  // of owned items
  // How the call ends (kEnding on), and whether its message says where to
  // resume.
  std::optional<grpc::Status> final_ ABSL_GUARDED_BY(feed_->mu_);
  bool final_resume_ ABSL_GUARDED_BY(feed_->mu_) = false;
};

ChangeFeed::ChangeFeed(ChangeFeedOptions options,
                       store::ConnectionPool* primary)
    : options_(std::move(options)), log_(primary) {}

ChangeFeed::~ChangeFeed() {
  Stop();
  // The follower first: it may still hand work to the workers.
  {
    absl::MutexLock lock(&mu_);
    follower_exiting_ = true;
  }
  if (follower_.joinable()) follower_.join();
  {
    absl::MutexLock lock(&mu_);
    exiting_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void ChangeFeed::Start() {
  follower_ = std::thread([this] { FollowLog(); });
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { RunWorker(); });
  }
}

void ChangeFeed::Stop() {
  std::vector<std::pair<Watcher*, Watcher::Step>> steps;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    for (Watcher* watcher : watchers_) {
      watcher->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "the server is shutting down: watch on "
                                "another replica"),
                   /*resume=*/true);
      watcher->NextInto(&steps);
    }
  }
  for (const auto& [watcher, step] : steps) watcher->Perform(step);
}

bool ChangeFeed::Starved() const {
  return options_.admission != nullptr && options_.admission->UnsentPastBound();
}

bool ChangeFeed::CallerStarved(const std::string& caller) const {
  if (options_.held_bytes_per_caller <= 0) return false;
  const auto it = held_per_caller_.find(caller);
  return it != held_per_caller_.end() &&
         it->second >= options_.held_bytes_per_caller;
}

std::string ChangeFeed::PastBound(const WatchOrigin& origin) const {
  const auto count = [](const absl::flat_hash_map<std::string, int>& counts,
                        const std::string& key) {
    const auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
  };
  if (static_cast<int>(watchers_.size()) >= options_.max_watchers) {
    return absl::StrCat("the server has ", watchers_.size(),
                        " watches open, the most it serves (--max-watches)");
  }
  if (const int open = count(per_connection_, origin.connection);
      open >= options_.max_watchers_per_connection) {
    return absl::StrCat("this connection has ", open,
                        " watches open, the most one connection may have "
                        "(--max-watches-per-connection)");
  }
  if (const int open = count(per_caller_, origin.caller);
      open >= options_.max_watchers_per_caller) {
    return absl::StrCat(origin.caller, " has ", open,
                        " watches open, the most one caller may have "
                        "(--max-watches-per-caller)");
  }
  return "";
}

ChangeFeed::PendingWatch ChangeFeed::Prepare(grpc::ServerContextBase* context) {
  return PendingWatch(this, new Watcher(this, context));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ChangeFeed::PendingWatch::reactor()
    const {
  return watcher_;
}

void ChangeFeed::PendingWatch::Refuse(grpc::Status status) const {
  Watcher::Step step;
  {
    absl::MutexLock lock(&feed_->mu_);
    watcher_->StartDecidedLocked();
    watcher_->End(std::move(status));
    step = watcher_->NextLocked();
  }
  watcher_->Perform(step);
}

void ChangeFeed::PendingWatch::Begin(const v1::WatchChangesRequest& request,
                                     const WatchOrigin& origin) const {
  if (request.after_revision() < 0) {
    return Refuse(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "after_revision: must not be negative"));
  }
  if (request.initial_state() && request.after_revision() != 0) {
    return Refuse(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "after_revision: must be 0 with initial_state, which starts at the "
        "current revision"));
  }
  absl::StatusOr<std::optional<domain::filter::Node>> filter =
      domain::ParseChangeFilter(request.filter());
  if (!filter.ok()) return Refuse(ToGrpcStatus(filter.status()));

  Watcher* const watcher = watcher_;
  ChangeFeed* const feed = feed_;
  Watcher::Step step;
  {
    absl::MutexLock lock(&feed->mu_);
    watcher->StartDecidedLocked();
    if (watcher->Ended()) {
      // Cancelled while its start waited: it finishes now.
    } else if (feed->stopped_) {
      watcher->End(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          "the server is shutting down; watch on another replica"));
    } else if (const std::string why = feed->PastBound(origin); !why.empty()) {
      ++feed->refused_;
      watcher->context()->AddTrailingMetadata("grpc-retry-pushback-ms", "1000");
      watcher->End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                absl::StrCat("too many watches: ", why)));
    } else {
      watcher->SetRequestLocked(*std::move(filter), request.after_revision(),
                                request.initial_state(), origin);
      feed->watchers_.insert(watcher);
      ++feed->per_connection_[origin.connection];
      ++feed->per_caller_[origin.caller];
    }
    step = watcher->NextLocked();
  }
  watcher->Perform(step);
}

ChangeFeed::Stats ChangeFeed::GetStats() const {
  absl::MutexLock lock(&mu_);
  return {.watchers = static_cast<int>(watchers_.size()),
          .revision = head_,
          .delivered = delivered_,
          .too_slow = too_slow_,
          .refused = refused_,
          .held_bytes = held_bytes_};
}

void ChangeFeed::Schedule(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(watcher);
}

void ChangeFeed::RunWorker() {
  for (;;) {
    Watcher* watcher = nullptr;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ChangeFeed* feed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed->mu_) {
            return !feed->tasks_.empty() || feed->exiting_;
          },
          this));
      if (tasks_.empty()) return;
      watcher = tasks_.front();
      tasks_.pop_front();
    }
    Fetch(watcher);
  }
}

// One database read for a watcher that is starting or catching up; the
// watcher takes what it found under the mutex.
void ChangeFeed::Fetch(Watcher* watcher) {
  using Phase = Watcher::Phase;
  Watcher::ReadAt at;
  const Watcher::Begin begin = watcher->BeginRead(&at);
  if (begin == Watcher::Begin::kWait) {
    // Housekeep reads the page once the bytes fall.
    watcher->Release();
    return;
  }
  if (begin == Watcher::Begin::kRead) {
    const absl::Time deadline = absl::Now() + kReadTimeout;
    switch (at.phase) {
      case Phase::kStarting:
        watcher->Started(log_.Bounds(deadline));
        break;
      case Phase::kInitial:
        watcher->ReadRecords(log_.ReadRecords(domain::Resources()[at.kind],
                                              at.after_name, kPage, deadline,
                                              options_.page_bytes));
        break;
      case Phase::kCatchingUp:
        watcher->ReadChanges(
            log_.ReadAfter(at.cursor, kPage, deadline, options_.page_bytes));
        break;
      default:
        break;  // BeginRead returns only reading phases
    }
  }
  watcher->EndRead();
}

void ChangeFeed::MarkReady(int64_t revision) {
  std::vector<std::pair<Watcher*, Watcher::Step>> steps;
  {
    absl::MutexLock lock(&mu_);
    ready_ = true;
    head_ = revision;
    for (Watcher* watcher : watchers_) {
      if (watcher->phase() != Watcher::Phase::kWaitingForFeed) continue;
      watcher->CaughtUpLocked();
      watcher->NextInto(&steps);
    }
  }
  for (const auto& [watcher, step] : steps) watcher->Perform(step);
}

grpc::Slice ChangeFeed::TailLocked(int64_t revision, bool initial_state_end) {
  // The live watchers a change reaches all end their messages with the
  // same revision: one encoding, shared by reference.
  if (tail_.size() == 0 || tail_revision_ != revision ||
      tail_end_ != initial_state_end) {
    tail_ = EncodeTail(revision, initial_state_end);
    tail_revision_ = revision;
    tail_end_ = initial_state_end;
  }
  return tail_;
}

void ChangeFeed::FanOut(const std::vector<Event>& events) {
  std::vector<std::pair<Watcher*, Watcher::Step>> steps;
  {
    absl::MutexLock lock(&mu_);
    for (Watcher* watcher : watchers_) {
      if (watcher->phase() != Watcher::Phase::kLive) continue;
      watcher->FeedLocked(events);
      watcher->NextInto(&steps);
    }
    head_ = events.back().revision;
  }
  for (const auto& [watcher, step] : steps) watcher->Perform(step);
}

void ChangeFeed::Housekeep() {
  std::vector<std::pair<Watcher*, Watcher::Step>> steps;
  std::vector<Watcher*> stalled;
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    for (Watcher* watcher : watchers_) {
      // A page that waited for the bytes to fall is read now.
      if (watcher->WakeLocked()) {
        watcher->NextInto(&steps);
        continue;
      }
      // A client that takes nothing while pages wait for it: cancelled,
      // which ends the write in flight and gives the pages back. Held
      // until TryCancel has returned (it may run the reactor's callbacks,
      // which take the mutex, so it is called without it).
      if (watcher->StalledLocked(now, options_.stall_timeout)) {
        ++too_slow_;
        watcher->RetainLocked();
        stalled.push_back(watcher);
      }
    }
  }
  for (Watcher* watcher : stalled) {
    watcher->context()->TryCancel();
    watcher->Release();
  }
  for (const auto& [watcher, step] : steps) watcher->Perform(step);
}

void ChangeFeed::SendBookmarks() {
  std::vector<std::pair<Watcher*, Watcher::Step>> steps;
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    for (Watcher* watcher : watchers_) {
      if (watcher->BookmarkIfIdleLocked(now)) watcher->NextInto(&steps);
    }
  }
  for (const auto& [watcher, step] : steps) watcher->Perform(step);
}

void ChangeFeed::FollowLog() {
  store::ChangeListener listener(options_.database_url);
  const auto exiting = [this] {
    absl::MutexLock lock(&mu_);
    return follower_exiting_;
  };
  bool ready = false;
  int64_t head = 0;
  bool failing = false;
  while (!exiting()) {
    absl::Status status =
        listener.Wait(ready ? options_.poll_interval : absl::ZeroDuration());
    if (status.ok() && !ready) {
      // Listening: every change committed from here on will be notified, so
      // the newest revision now is where reading starts.
      absl::StatusOr<store::ChangeBatch> newest =
          listener.ReadAfter(std::numeric_limits<int64_t>::max(), 1);
      status = newest.status();
      if (newest.ok()) {
        head = newest->newest;
        ready = true;
        if (options_.cache != nullptr) options_.cache->Follow(head);
        if (options_.lists != nullptr) options_.lists->Follow(head);
        MarkReady(head);
      }
    }
    while (status.ok()) {
      absl::StatusOr<store::ChangeBatch> batch =
          listener.ReadAfter(head, kPage);
      status = batch.status();
      if (!batch.ok()) break;
      if (batch->oldest > head + 1) {
        // Changes after `head` were purged while the feed was away: what
        // the caches hold may be older than they were.
        if (options_.cache != nullptr)
          options_.cache->Follow(batch->oldest - 1);
        if (options_.lists != nullptr)
          options_.lists->Follow(batch->oldest - 1);
      }
      if (batch->changes.empty()) {
        // Caught up: reads may wait for the cache again.
        if (options_.cache != nullptr) options_.cache->Apply({}, head);
        if (options_.lists != nullptr) options_.lists->Apply({}, head);
        break;
      }
      std::vector<Event> events;
      events.reserve(batch->changes.size());
      std::vector<store::RecordCache::Change> applied;
      applied.reserve(batch->changes.size());
      std::vector<store::ListCache::Change> listed;
      if (options_.lists != nullptr) listed.reserve(batch->changes.size());
      for (size_t i = 0; i < batch->changes.size(); ++i) {
        v1::Change& change = batch->changes[i];
        applied.push_back(CacheChangeOf(change, batch->written[i],
                                        options_.cache != nullptr));
        if (options_.lists != nullptr) {
          listed.push_back(
              {.name = change.resource(),
               .revision = change.revision(),
               .record = batch->written[i].record,
               .deleted = change.operation() == v1::CHANGE_OPERATION_DELETE});
        }
        events.emplace_back(change, /*hidden_too=*/true);
      }
      head = events.back().revision;
      // The cache first: a read told of `head` may then answer from it.
      if (options_.cache != nullptr) options_.cache->Apply(applied, head);
      if (options_.lists != nullptr) options_.lists->Apply(listed, head);
      FanOut(events);
      if (static_cast<int>(events.size()) < kPage && !batch->cut) break;
    }
    if (!status.ok()) {
      if (options_.cache != nullptr) options_.cache->StopFollowing();
      if (options_.lists != nullptr) options_.lists->StopFollowing();
      if (!failing) {
        spdlog::warn("the change feed cannot follow the log: {}",
                     status.ToString());
      }
      failing = true;
      Housekeep();
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&follower_exiting_),
                           absl::Seconds(1));
      continue;
    }
    if (failing) spdlog::info("the change feed follows the log again");
    failing = false;
    SendBookmarks();
    Housekeep();
  }
  if (options_.cache != nullptr) options_.cache->StopFollowing();
  if (options_.lists != nullptr) options_.lists->StopFollowing();
}

}  // namespace forum_registry::api
