#pragma once

#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/Router.h"

namespace tributary::api {

class EventHub;

// One client of GET .../sync/jobs/{job}/events, from the moment the server hands it the socket
// until it is closed. The hub's two threads share it only through its queue and the flags
// under its mutex: the reader decides what to send (the fields marked "reader"), the writer owns
// the socket, which is non-blocking.
//
// A client that reads slowly costs neither a thread nor unbounded memory: once kHighWater
// bytes wait for it, the reader stops reading for it and the events stay in the outbox, where
// it resumes once the writer has sent all but kLowWater. A client that takes no byte for
// api.request_timeout while some wait is dropped.
class EventFollower : public server::StreamBody, public std::enable_shared_from_this<EventFollower> {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;
  // The kernel's send buffer of a stream (Linux doubles it): left to itself it grows to
  // megabytes per socket for a client that reads nothing.
  static constexpr int kSendBuffer = 128 * 1024;

  EventFollower(std::weak_ptr<EventHub> hub, std::string workspaceId, std::string jobId, int64_t after);
  ~EventFollower() override;

  void start(Poco::Net::StreamSocket& socket) override;

  // Reader: whether kHighWater bytes wait (then the reader queues no more, and the writer
  // tells it when to go on: takeResumed).
  bool full();
  // Reader: queues `text`, whole events only (so that a keepalive never splits one). False
  // when the follower is dropped.
  bool enqueue(const std::string& text);
  // Reader: after what is queued, the server closes the stream.
  void finish();
  // Reader: whether it was full and has drained since (once).
  bool takeResumed();
  bool dropped() const;
  bool finishing() const;

  // Writer: the socket's descriptor, for poll().
  int fd() const { return fd_; }
  bool hasPending() const;
  // Writer: sends what the socket takes now. False when the client is gone.
  bool flush(std::chrono::steady_clock::time_point now);
  // Writer: whether the reader should be told to go on (see takeResumed).
  bool resumed() const;
  // Writer: the client closed its side (or sent something): false when it is gone.
  bool readable();
  // Closes the socket, marks the follower dropped (for the reader) and gives its place under
  // api.max_streams back. `why` is logged when not empty.
  void close(const std::string& why);
  // Writer: when bytes went out last, and since when queued bytes wait with none taken (when
  // some wait).
  std::chrono::steady_clock::time_point lastSent() const { return lastSent_; }
  std::chrono::steady_clock::time_point stalledSince() const;

  const std::string workspaceId;
  const std::string jobId;
  // Reader.
  int64_t position = 0;          // the last event queued
  bool greeted = false;          // the first `job` event is queued
  std::vector<std::string> ids;  // the job's and its children's ids (their events are the stream's)

 private:
  // Gives its place under api.max_streams back, once: when it is closed, or destroyed unstarted.
  void releasePlace();

  std::weak_ptr<EventHub> hub_;
  std::atomic<bool> released_{false};
  mutable std::mutex mutex_;
  std::string queue_;
  bool finishing_ = false;
  bool dropped_ = false;
  bool throttled_ = false;  // the reader stopped at kHighWater
  bool resumed_ = false;    // ... and the queue is down to kLowWater since
  std::chrono::steady_clock::time_point waitingSince_;
  Poco::Net::StreamSocket socket_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point lastSent_;
};

}  // namespace tributary::api
