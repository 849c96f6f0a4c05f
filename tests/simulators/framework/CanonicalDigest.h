#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tributary::sim {

// The canonical digest of docs/canonical-model.md: lowercase hex SHA-256 of the rendered
// fields joined by 0x1F, null rendered as \N.
class CanonicalDigest {
 public:
  static std::string of(const std::vector<std::optional<std::string>>& fields);
  static std::string sha256Hex(const std::string& data);
};

}  // namespace tributary::sim
