#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ConfigNode.h"

namespace tributary::sim {

// The scenario file (YAML, or JSON which YAML reads too): seed, clock, server and one section
// per vendor. Vendor sections are validated by the vendors themselves.
struct Scenario {
  std::string file;
  uint64_t seed = 1;
  int64_t clockStartMs = 0;
  int serverThreads = 4;
  size_t requestLogCapacity = 100000;
  std::vector<std::pair<std::string, ConfigNode>> vendors;

  // Throws ConfigError naming file:line:column and the key.
  static Scenario load(const std::string& path, const std::vector<std::string>& knownVendors);
  static Scenario parse(const std::string& text, const std::string& file, const std::vector<std::string>& knownVendors);
};

}  // namespace tributary::sim
