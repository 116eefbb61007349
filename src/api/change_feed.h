#ifndef FORUM_REGISTRY_API_CHANGE_FEED_H_
#define FORUM_REGISTRY_API_CHANGE_FEED_H_

// The live change feed behind ChangeService.WatchChanges.
//
// One thread per server process follows the change log: it LISTENs on a
// connection of its own to the primary (NOTIFY does not reach replicas),
// wakes when a change commits (or every poll interval, in case a
// notification was lost with a connection), reads every change after the
// last one it read, in revision order, and hands each to every watcher whose
// filter it matches. Revisions grow in commit order (migrations/0004), so
// "after the last one read" misses nothing and repeats nothing. Each change
// is decoded and encoded once; watchers share its bytes. The same thread
// keeps the record cache current (record_cache.h).
//
// A watcher is a gRPC callback reactor: no thread of its own. It moves
// through phases:
//   start     reads the log's bounds; checks after_revision (OUT_OF_RANGE)
//   initial   (initial_state) reads the records of every kind, a page at a
//             time, each page its own snapshot
//   catch-up  reads the log after its revision from the database, a page
//             at a time, until it reaches what the feed thread has read
//   live      gets changes from the feed thread, and a bookmark when idle
// Database reads of the first three run on a small pool of worker threads,
// never on gRPC's, through a pool of connections of the feed's own, so they
// never take a connection a write or a revision check needs. A live watcher
// holds at most `watcher_buffer` changes waiting to be written; a client
// that reads more slowly than that is ended with RESOURCE_EXHAUSTED naming
// the revision to resume from, and the others are unaffected.
//
// Bounds: watches open at once, in all, per connection and per caller
// (`max_watchers*`; past one, RESOURCE_EXHAUSTED naming it). The pages a
// watcher reads for itself (initial state, catch-up) are at most
// `page_bytes`, and count with the server's unsent answers (the
// dispatcher's --max-unsent-bytes) until written: while those are past
// their bound, no watcher reads another page; it waits, and goes on when
// they fall; nor while its caller's watchers hold `held_bytes_per_caller`,
// so that one caller who does not read cannot take the bound for itself.
// A watcher whose client takes no message for `stall_timeout` while it
// holds pages is cancelled. Changes of the live phase are encoded once and
// shared by every watcher, so they are not counted per watcher.
//
// Thread-safe. Destroy it after the gRPC server has shut down (so every
// watch is done): it stops its threads, which first finish what they were
// handed.

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "src/api/dispatcher.h"
#include "src/store/change_log.h"
#include "src/store/list_cache.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"

namespace forum_registry::api {

// The header a watch sends as it begins, before any message: the revision
// it sends the changes after (its after_revision, or the current revision
// for a watch from now on). A watch refused at its start never sends it.
inline constexpr absl::string_view kWatchStartHeader =
    "x-forum-registry-watch-after";

struct ChangeFeedOptions {
  // The primary database, for the feed thread's own connection.
  std::string database_url;
  // An idle watcher gets a bookmark this often.
  absl::Duration bookmark_interval = absl::Seconds(5);
  // Changes a live watcher may have waiting to be written before it is
  // ended as too slow.
  int watcher_buffer = 1000;
  // And bytes of them (encoded): large records fill a buffer long before
  // its count does.
  int64_t watcher_buffer_bytes = 64 << 20;
  // The longest the feed thread waits for a notification before it reads
  // the log anyway.
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Threads that read the database for watchers that start or catch up.
  int workers = 2;
  // The server's --max-message-bytes: a message never holds more.
  int max_message_bytes = 4 * 1024 * 1024;
  // Kept current: every change read is applied to it (null: none).
  store::RecordCache* cache = nullptr;
  // Every record of the kinds it holds, which the feed keeps current, and
  // loads again after a gap (store/list_cache.h); null: none.
  store::ListCache* lists = nullptr;
  // Watches open at once: in all, on one connection, of one caller.
  int max_watchers = 1000;
  int max_watchers_per_connection = 32;
  int max_watchers_per_caller = 100;
  // Bytes of records one read for a watcher returns (at least one record).
  size_t page_bytes = 1 << 20;
  // The most bytes of such pages the watchers of one caller may hold at
  // once: past it that caller's watchers read no page until theirs are
  // written, and the others' go on (0: no bound of its own).
  int64_t held_bytes_per_caller = 0;
  // A watcher whose client has taken no message for this long while the
  // watcher holds pages read for it is cancelled (0: never).
  absl::Duration stall_timeout = absl::Seconds(30);
  // Counts the bytes watchers hold for their clients, and says when no more
  // pages should be read (null: no such bound).
  Dispatcher* admission = nullptr;
};

// Where a watch comes from, for the per-connection and per-caller bounds.
struct WatchOrigin {
  std::string connection;  // gRPC's peer: the HTTP/2 connection
  std::string caller;      // who asks (auth/edge.h CallerKey)
  // Whether the caller sees Change.actor and Change.request_id
  // (auth::Caller::sees_actors); cleared for it otherwise.
  bool sees_actors = true;
};

class ChangeFeed {
  class Watcher;  // one watch (change_feed.cc)

 public:
  // Reads the log and records for starting watchers from `primary`: the
  // primary, through connections of the feed's own.
  ChangeFeed(ChangeFeedOptions options, store::ConnectionPool* primary);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Starts the feed thread and the workers.
  void Start();

  // Ends every watch with UNAVAILABLE, naming the revision to resume from
  // on another replica, and refuses new ones. Returns at once.
  void Stop();

  // One WatchChanges call whose start waits: its reactor writes nothing,
  // and the call does not end (a cancellation meanwhile is kept for
  // later), until Begin or Refuse is called, once, from any thread. Until
  // then the call's context is the caller's to read: the caller is
  // authorized on a worker of the dispatcher, under admission
  // (change_service.cc), while gRPC already holds the reactor.
  class PendingWatch {
   public:
    // gRPC's reactor for the call, writing encoded WatchChangesResponse
    // messages.
    grpc::ServerWriteReactor<grpc::ByteBuffer>* reactor() const;
    // Starts the watch of `request` from `origin`: a bad request ends at
    // once with INVALID_ARGUMENT, a watch past a bound with
    // RESOURCE_EXHAUSTED (and a retry pushback in the call's trailers).
    void Begin(const forumregistry::v1::WatchChangesRequest& request,
               const WatchOrigin& origin) const;
    // Ends the call with `status` (not OK) instead.
    void Refuse(grpc::Status status) const;

   private:
    friend class ChangeFeed;
    PendingWatch(ChangeFeed* feed, Watcher* watcher)
        : feed_(feed), watcher_(watcher) {}
    ChangeFeed* feed_;
    Watcher* watcher_;
  };
  PendingWatch Prepare(grpc::ServerContextBase* context);

  struct Stats {
    int watchers = 0;        // open watches
    int64_t revision = 0;    // the newest revision the feed thread read
    int64_t delivered = 0;   // changes and bookmarks written, in all
    int64_t too_slow = 0;    // watches ended as RESOURCE_EXHAUSTED
    int64_t refused = 0;     // watches refused at a bound
    int64_t held_bytes = 0;  // of pages read for watchers, not yet written
  };
  Stats GetStats() const;

 private:
  struct Event;

  void FollowLog();
  void RunWorker();
  void Schedule(Watcher* watcher);
  void Fetch(Watcher* watcher);
  void FanOut(const std::vector<Event>& events);
  // The end of a message: its revision and initial_state_end, encoded (the
  // last one encoded kept for the next watcher that ends the same way).
  grpc::Slice TailLocked(int64_t revision, bool initial_state_end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendBookmarks();
  // Reads the pages that waited for the bytes to fall, and cancels the
  // watchers whose clients stalled; runs every turn of the feed thread,
  // whether the log can be read or not.
  void Housekeep();
  void MarkReady(int64_t revision);
  // Whether the bytes waiting for clients are past their bound: watchers
  // read no page then.
  bool Starved() const;
  // Whether `caller`'s watchers hold their share of pages.
  bool CallerStarved(const std::string& caller) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why a watch from `origin` may not open, or "".
  std::string PastBound(const WatchOrigin& origin) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ChangeFeedOptions options_;
  store::ChangeLog log_;

  mutable absl::Mutex mu_;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  // The feed thread has read every change up to head_ (once ready_).
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool follower_exiting_ ABSL_GUARDED_BY(mu_) = false;
  bool exiting_ ABSL_GUARDED_BY(mu_) = false;  // the workers
  std::deque<Watcher*> tasks_ ABSL_GUARDED_BY(mu_);
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t too_slow_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_connection_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> per_caller_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> held_per_caller_
      ABSL_GUARDED_BY(mu_);

  grpc::Slice tail_ ABSL_GUARDED_BY(mu_);
  int64_t tail_revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool tail_end_ ABSL_GUARDED_BY(mu_) = false;

  std::thread follower_;
  std::vector<std::thread> workers_;
};

// Clears who made `change` and its request id, for a caller who may not
// see them (auth::Caller::sees_actors): ListChanges and WatchChanges alike.
void HideActors(forumregistry::v1::Change* change);

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CHANGE_FEED_H_
