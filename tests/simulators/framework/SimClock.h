#pragma once

#include <atomic>
#include <cstdint>

namespace tributary::sim {

// Simulated time in epoch milliseconds. Record times, token and cursor expiry follow it; only
// the admin API moves it, and only forward, so tests never wait out real time.
class SimClock {
 public:
  explicit SimClock(int64_t startMs) : startMs_(startMs), nowMs_(startMs) {}

  int64_t startMs() const { return startMs_; }
  int64_t nowMs() const { return nowMs_.load(); }
  // Returns the new time.
  int64_t advance(int64_t deltaMs) { return nowMs_.fetch_add(deltaMs) + deltaMs; }

 private:
  const int64_t startMs_;
  std::atomic<int64_t> nowMs_;
};

}  // namespace tributary::sim
