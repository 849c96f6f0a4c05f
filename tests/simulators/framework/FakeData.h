#pragma once

#include <cstdint>
#include <string>

#include "DeterministicRandom.h"

namespace tributary::sim {

// Realistic-looking values shared by the vendors: names (some non-ASCII), companies, domains,
// over-long text. Deterministic given the generator's state.
class FakeData {
 public:
  static std::string firstName(DeterministicRandom& random);
  static std::string lastName(DeterministicRandom& random);
  // "Northwind Traders 42": the index keeps names distinct.
  static std::string companyName(DeterministicRandom& random, uint64_t index);
  // "northwind-traders-42.com", matching companyName for the same draws.
  static std::string companySlug(const std::string& companyName);
  static std::string industry(DeterministicRandom& random);
  // 300 code points, some of them multi-byte, so truncation to 255 must count characters.
  static std::string overlongText(DeterministicRandom& random, const std::string& seedText);
  // A random ASCII-alphabetic string of `length`.
  static std::string word(DeterministicRandom& random, size_t length);
};

}  // namespace tributary::sim
