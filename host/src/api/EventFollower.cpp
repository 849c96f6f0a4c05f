#include "api/EventFollower.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "api/EventStream.h"
#include "common/Log.h"

namespace tributary::api {

EventFollower::EventFollower(std::weak_ptr<EventHub> hub, std::string workspaceId, std::string jobId, int64_t after)
    : workspaceId(std::move(workspaceId)), jobId(std::move(jobId)), position(after), hub_(std::move(hub)) {}

EventFollower::~EventFollower() { releasePlace(); }

void EventFollower::releasePlace() {
  // Counted from the answer on (EventHub::follow) until the stream is closed, however it ends.
  if (released_.exchange(true)) return;
  if (auto hub = hub_.lock()) hub->release();
}

void EventFollower::start(Poco::Net::StreamSocket& socket) {
  socket_ = socket;
  socket_.setNoDelay(true);
  socket_.setSendBufferSize(kSendBuffer);
  socket_.setBlocking(false);
  fd_ = socket_.impl()->sockfd();
  lastSent_ = std::chrono::steady_clock::now();
  auto hub = hub_.lock();
  if (!hub || !hub->add(shared_from_this())) close("");
}

bool EventFollower::full() {
  std::lock_guard lock(mutex_);
  if (queue_.size() < kHighWater) return false;
  throttled_ = true;
  return true;
}

bool EventFollower::enqueue(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (dropped_) return false;
  if (queue_.empty()) waitingSince_ = std::chrono::steady_clock::now();
  queue_ += text;
  return true;
}

bool EventFollower::takeResumed() {
  std::lock_guard lock(mutex_);
  return std::exchange(resumed_, false);
}

bool EventFollower::resumed() const {
  std::lock_guard lock(mutex_);
  return resumed_;
}

void EventFollower::finish() {
  std::lock_guard lock(mutex_);
  finishing_ = true;
}

bool EventFollower::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

bool EventFollower::finishing() const {
  std::lock_guard lock(mutex_);
  return finishing_;
}

bool EventFollower::hasPending() const {
  std::lock_guard lock(mutex_);
  return !queue_.empty();
}

std::chrono::steady_clock::time_point EventFollower::stalledSince() const {
  std::lock_guard lock(mutex_);
  return waitingSince_;
}

bool EventFollower::flush(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  size_t sent = 0;
  while (sent < queue_.size()) {
    // Non-blocking, and no SIGPIPE for a client that went away.
    const ssize_t n = ::send(fd_, queue_.data() + sent, queue_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    queue_.erase(0, sent);
    return false;
  }
  if (sent > 0) {
    queue_.erase(0, sent);
    lastSent_ = now;
    waitingSince_ = now;  // the client takes bytes: it stalls only from here on
    if (throttled_ && queue_.size() < kLowWater) {
      throttled_ = false;
      resumed_ = true;
    }
  }
  return true;
}

bool EventFollower::readable() {
  // A client of an event stream sends nothing once its request is read: what arrives now is
  // its end (0), a reset (an error), or bytes that mean nothing here.
  char buf[512];
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void EventFollower::close(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    dropped_ = true;
    queue_.clear();
  }
  if (!why.empty()) log::info("api", "event stream of job {} dropped: {}", jobId, why);
  try {
    socket_.shutdownSend();
  } catch (const std::exception&) {
  }
  try {
    socket_.close();
  } catch (const std::exception&) {
  }
  fd_ = -1;
  releasePlace();
}

}  // namespace tributary::api
