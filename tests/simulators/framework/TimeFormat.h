#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::sim {

// The wire formats of times, and a strict ISO 8601 reader. Pure functions.
class TimeFormat {
 public:
  // 2024-01-17T19:55:04.281Z (HubSpot, ground truth).
  static std::string isoMillisZ(int64_t epochMs);
  // 2024-05-01T12:00:00.000+0000 (Salesforce REST).
  static std::string salesforceDateTime(int64_t epochMs);
  // 2024-06-30
  static std::string isoDate(int64_t epochMs);
  // 2024-05-01T12:00:00Z, seconds precision (Salesforce deleted/updated feeds are minute-based).
  static int64_t floorToMinute(int64_t epochMs);

  // YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.fff]] followed by Z, +hh:mm, +hhmm or nothing (UTC).
  // Calendar-checked: 2024-02-30 is rejected.
  static std::optional<int64_t> parseIso(std::string_view text);
  // True when text is exactly YYYY-MM-DD and a real calendar date.
  static bool isPlainDate(std::string_view text);

  static int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);
  static bool validCivil(int64_t year, unsigned month, unsigned day);
};

}  // namespace tributary::sim
