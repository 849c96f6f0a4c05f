#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/Api.h"

namespace tributary::api {

class Follower;

// The server-sent event streams of GET .../sync/jobs/{job}/events. One hub serves every
// follower from one thread and one database session of its own, which LISTENs for the outbox's
// and the queue's notifications (migration 017): what is pushed is what was committed, read
// once per notification for every follower, never on a timer (a quiet stream gets a keepalive
// comment, and the hub looks again every few seconds in case a notification was lost with a
// broken session). A stream holds no request thread: the server hands it the socket
// (server::StreamBody). At most api.max_streams at once.
class EventHub : public std::enable_shared_from_this<EventHub> {
 public:
  EventHub(std::string conninfo, config::ApiConfig cfg);
  ~EventHub();

  void start();
  void stop();
  // Followers now (for the route's 503 past api.max_streams, and the tests).
  int followers() const { return count_.load(); }
  int capacity() const { return cfg_.maxStreams; }

  // A stream of `jobId` of `workspaceId` from after `afterPosition` (0: from the job's first
  // event); the route hands it to the server as the response's StreamBody.
  std::shared_ptr<server::StreamBody> follow(const std::string& workspaceId, const std::string& jobId,
                                             int64_t afterPosition);

 private:
  friend class Follower;
  void add(std::shared_ptr<Follower> f);
  void loop();
  void wake();
  // Sends what `f` has not seen; false when it is done (ended, or its client went away).
  bool serve(db::Connection& conn, Follower& f, bool checkState);

  std::string conninfo_;
  config::ApiConfig cfg_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Follower>> incoming_;
  std::atomic<int> count_{0};  // followers alive (Follower's destructor counts down)
  std::atomic<bool> stopping_{false};
  int wakePipe_[2] = {-1, -1};
};

void installEventRoutes(Api& api, server::Router& router, std::shared_ptr<EventHub> hub);

}  // namespace tributary::api
