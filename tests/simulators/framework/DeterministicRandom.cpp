#include "DeterministicRandom.h"

namespace tributary::sim {

uint64_t DeterministicRandom::mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

uint64_t DeterministicRandom::combine(uint64_t seed, std::string_view label, uint64_t a, uint64_t b) {
  // FNV-1a over the label keeps the derivation stable across platforms and builds.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : label) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return mix(mix(mix(seed ^ hash) ^ a) ^ (b * 0x9e3779b97f4a7c15ULL));
}

uint64_t DeterministicRandom::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double DeterministicRandom::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

int64_t DeterministicRandom::between(int64_t low, int64_t high) {
  const uint64_t span = static_cast<uint64_t>(high - low) + 1;
  if (span == 0) return static_cast<int64_t>(next());
  return low + static_cast<int64_t>(next() % span);
}

bool DeterministicRandom::chance(double probability) { return uniform() < probability; }

}  // namespace tributary::sim
