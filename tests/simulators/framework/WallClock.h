#pragma once

#include <cstdint>
#include <functional>

namespace tributary::sim {

// Real time in epoch milliseconds. Rate-limit windows and Retry-After follow it; tests of the
// limiters inject a fake so they never sleep.
using WallClock = std::function<int64_t()>;

WallClock systemWallClock();

}  // namespace tributary::sim
