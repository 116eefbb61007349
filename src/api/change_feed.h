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
// never on gRPC's. A live watcher holds at most `watcher_buffer` changes
// waiting to be written; a client that reads more slowly than that is ended
// with RESOURCE_EXHAUSTED naming the revision to resume from, and the
// others are unaffected.
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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "forumregistry/v1/change.grpc.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "src/store/change_log.h"
#include "src/store/pool.h"
#include "src/store/record_cache.h"

namespace forum_registry::api {

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
};

class ChangeFeed {
 public:
  // Reads the log and records for starting watchers from `primary`.
  ChangeFeed(ChangeFeedOptions options, store::ConnectionPool* primary);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Starts the feed thread and the workers.
  void Start();

  // Ends every watch with UNAVAILABLE, naming the revision to resume from
  // on another replica, and refuses new ones. Returns at once.
  void Stop();

  // The reactor for one WatchChanges call, writing encoded
  // WatchChangesResponse messages; bad requests end at once with
  // INVALID_ARGUMENT.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(
      const forumregistry::v1::WatchChangesRequest& request);

  // A reactor that ends the call at once with `status`.
  static grpc::ServerWriteReactor<grpc::ByteBuffer>* Refuse(
      grpc::Status status);

  struct Stats {
    int watchers = 0;       // open watches
    int64_t revision = 0;   // the newest revision the feed thread read
    int64_t delivered = 0;  // changes and bookmarks written, in all
    int64_t too_slow = 0;   // watches ended as RESOURCE_EXHAUSTED
  };
  Stats GetStats() const;

 private:
  class Watcher;
  struct Event;

  void FollowLog();
  void RunWorker();
  void Schedule(Watcher* watcher);
  void Fetch(Watcher* watcher);
  void FanOut(const std::vector<Event>& events);
  void SendBookmarks();
  void MarkReady(int64_t revision);

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

  std::thread follower_;
  std::vector<std::thread> workers_;
};

}  // namespace forum_registry::api

#endif  // FORUM_REGISTRY_API_CHANGE_FEED_H_
