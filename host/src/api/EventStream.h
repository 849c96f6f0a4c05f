#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/Api.h"

namespace tributary::db {
class Connection;
}

namespace tributary::api {

class EventFollower;

// The server-sent event streams of GET .../sync/jobs/{job}/events, served by a pool of their
// own: two threads for every follower, whatever their number (at most api.max_streams).
//
// The reader has one database session of its own, which LISTENs for the outbox's and the
// queue's notifications (migration 017): what is pushed is what was committed, read when a
// notification says something changed, never on a timer (it looks again every kRecheck in case
// one was lost with a broken session). Followers of one job share its reads. It queues events
// on the followers and never touches a socket.
//
// The writer owns the sockets, non-blocking, in one poll(): it sends what is queued, a
// `: keepalive` comment on a quiet stream every api.stream_heartbeat, notices a client that went
// away at once, and drops one that takes no byte for api.request_timeout, without ever waiting
// for it. A slow client's events wait in the outbox, not in memory (EventFollower::kHighWater).
//
// A stream holds no request thread: the server hands it the socket (server::StreamBody).
class EventHub : public std::enable_shared_from_this<EventHub> {
 public:
  // How often the reader looks again with no notification.
  static constexpr std::chrono::seconds kRecheck{30};

  EventHub(std::string conninfo, config::ApiConfig cfg);
  ~EventHub();

  void start();
  // Closes every stream (clients resume with Last-Event-ID elsewhere or later) and joins both
  // threads.
  void stop();
  // Followers now, counted from the route's answer until the stream is closed.
  int followers() const { return count_.load(); }
  int capacity() const { return cfg_.maxStreams; }

  // A stream of `jobId` of `workspaceId` from after `afterPosition` (0: from the job's first
  // event), which the route hands to the server as its response's StreamBody; none when
  // api.max_streams are open already.
  std::shared_ptr<server::StreamBody> follow(const std::string& workspaceId, const std::string& jobId,
                                             int64_t afterPosition);

 private:
  friend class EventFollower;
  // The server handed `f` its socket. False when the hub is stopping (`f` then closes it).
  bool add(std::shared_ptr<EventFollower> f);
  void release() { --count_; }

  void readLoop();
  void writeLoop();
  void wake(int pipe[2]);
  // Reads for followers of one job what they have not had and queues it; `withState`: the job's
  // state too (its first `job` event, and the end when it is final).
  void serve(db::Connection& conn, const std::vector<std::shared_ptr<EventFollower>>& group, bool withState);

  std::string conninfo_;
  config::ApiConfig cfg_;
  std::thread reader_;
  std::thread writer_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<EventFollower>> incoming_;  // for the reader: not read for yet
  std::vector<std::shared_ptr<EventFollower>> sockets_;   // for the writer: every open stream
  std::atomic<int> count_{0};
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;  // under mutex_: add() refuses from here on
  int readerWake_[2] = {-1, -1};
  int writerWake_[2] = {-1, -1};
};

void installEventRoutes(Api& api, server::Router& router, std::shared_ptr<EventHub> hub);

}  // namespace tributary::api
