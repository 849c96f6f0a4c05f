#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::time {

using Clock = std::chrono::system_clock;

// 2026-11-21T23:00:00.123Z
std::string iso8601(Clock::time_point t);
std::string iso8601Ms(int64_t epochMs);
// Parses ISO 8601 / RFC 3339 ("2024-05-01T12:00:00Z", with fraction and offset, or a date).
std::optional<Clock::time_point> parseIso8601(std::string_view s);
int64_t toEpochMs(Clock::time_point t);
// The wall clock now, in milliseconds since the epoch.
inline int64_t nowEpochMs() { return toEpochMs(Clock::now()); }
Clock::time_point fromEpochMs(int64_t ms);

}  // namespace tributary::time
