#pragma once

#include <stdexcept>
#include <string>

namespace tributary::sim {

// A bad scenario file or admin request body. The message names the file (or endpoint), the
// key path and what was expected, so whoever reads it can fix the input without the source.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tributary::sim
