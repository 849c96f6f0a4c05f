#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

#include "WallClock.h"

namespace tributary::sim {

// At most `max` requests in any `windowMs` of wall time (a sliding log). max == 0 disables it.
class RollingWindowLimiter {
 public:
  struct Decision {
    bool allowed = true;
    uint64_t remaining = 0;
    // When refused: until the oldest request in the window leaves it.
    int64_t retryAfterMs = 0;
  };

  RollingWindowLimiter(uint64_t max, int64_t windowMs, WallClock clock);

  Decision acquire();
  // Counts without consuming (for headers on responses that do not count).
  uint64_t used();
  void reset();
  uint64_t max() const { return max_; }
  int64_t windowMs() const { return windowMs_; }
  bool enabled() const { return max_ > 0; }

 private:
  void expire(int64_t now);

  const uint64_t max_;
  const int64_t windowMs_;
  WallClock clock_;
  std::mutex mutex_;
  std::deque<int64_t> stamps_;
};

}  // namespace tributary::sim
