#include "WallClock.h"

#include <chrono>

namespace tributary::sim {

WallClock systemWallClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

}  // namespace tributary::sim
