#pragma once

#include <cstdint>
#include <string_view>

namespace tributary::sim {

// A small, fast, seedable generator (splitmix64). Datasets are pure functions of their seeds,
// so everything random in the simulator goes through this class, never std::random_device.
class DeterministicRandom {
 public:
  explicit DeterministicRandom(uint64_t seed) : state_(seed) {}

  // Derives a seed from parts, so record i of object O at version v gets its own stream.
  static uint64_t combine(uint64_t seed, std::string_view label, uint64_t a = 0, uint64_t b = 0);
  static uint64_t mix(uint64_t value);

  uint64_t next();
  // In [0, 1).
  double uniform();
  // In [low, high] inclusive; low <= high.
  int64_t between(int64_t low, int64_t high);
  bool chance(double probability);
  template <typename Container>
  const auto& pick(const Container& items) {
    return items[static_cast<size_t>(between(0, static_cast<int64_t>(std::size(items)) - 1))];
  }

 private:
  uint64_t state_;
};

}  // namespace tributary::sim
