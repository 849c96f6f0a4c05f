#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::config {

// Parses "250ms", "30s", "5m", "2h", "1d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace tributary::config
