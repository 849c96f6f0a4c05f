#include "config/Duration.h"

#include <charconv>

namespace tributary::config {

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0) return std::nullopt;
  std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  double ms;
  if (unit.empty() || unit == "s") ms = value * 1000;
  else if (unit == "ms") ms = value;
  else if (unit == "m" || unit == "min") ms = value * 60'000;
  else if (unit == "h") ms = value * 3'600'000;
  else if (unit == "d") ms = value * 86'400'000;
  else return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms + 0.5));
}

std::string formatDuration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 86'400'000 == 0 && ms) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0 && ms) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace tributary::config
