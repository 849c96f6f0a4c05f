#include "RollingWindowLimiter.h"

namespace tributary::sim {

RollingWindowLimiter::RollingWindowLimiter(uint64_t max, int64_t windowMs, WallClock clock)
    : max_(max), windowMs_(windowMs), clock_(std::move(clock)) {}

void RollingWindowLimiter::expire(int64_t now) {
  while (!stamps_.empty() && stamps_.front() <= now - windowMs_) stamps_.pop_front();
}

RollingWindowLimiter::Decision RollingWindowLimiter::acquire() {
  if (max_ == 0) return {true, 0, 0};
  std::lock_guard lock(mutex_);
  const int64_t now = clock_();
  expire(now);
  if (stamps_.size() >= max_) {
    return {false, 0, stamps_.front() + windowMs_ - now};
  }
  stamps_.push_back(now);
  return {true, max_ - stamps_.size(), 0};
}

uint64_t RollingWindowLimiter::used() {
  std::lock_guard lock(mutex_);
  expire(clock_());
  return stamps_.size();
}

void RollingWindowLimiter::reset() {
  std::lock_guard lock(mutex_);
  stamps_.clear();
}

}  // namespace tributary::sim
