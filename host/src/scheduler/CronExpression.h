#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace tributary::scheduler {

// Why an expression or a time zone was refused. `position` is the 1-based character of the
// expression where the problem is; 0 when the problem is the time zone.
struct CronError {
  int position = 0;
  std::string reason;

  // "position 9: hour 25 is out of range 0-23", or the reason alone for a time zone.
  std::string message() const;
  bool inTimeZone() const { return position == 0; }
};

// A cron schedule in a time zone.
//
// Syntax: five fields, `minute hour day-of-month month day-of-week`, or six with a leading
// `second` field. Each field is `*`, a value, a range `a-b`, any of those with a step (`*/15`,
// `1-30/5`, `5/15` = 5 to the field's end every 15), or a comma-separated list of them. Months
// take JAN-DEC and weekdays SUN-SAT (any case); Sunday is 0 or 7. Macros: @yearly (@annually),
// @monthly, @weekly, @daily (@midnight), @hourly. When both day-of-month and day-of-week are
// restricted (neither is a plain `*`), a day matching either fires, as POSIX cron does.
//
// Daylight saving time, in the schedule's zone:
//  - a local time that a spring-forward gap skips fires once, at the instant the clocks jump
//    (the first valid instant after it): `30 2 * * *` in Europe/Berlin on 2024-03-31 fires at
//    03:00 CEST. Several skipped times (`*/15 2 * * *`) fire once together at that instant.
//  - a local time that a fall-back overlap repeats fires once, at its first occurrence: `30 2 * *
//  *`
//    on 2024-10-27 fires at 02:30 CEST and not again at 02:30 CET. This holds for every field,
//    so `0 * * * *` does not fire at the repeated 02:00 either.
class CronExpression {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Parses `expression` for the IANA time zone `timeZone` (empty: UTC). On failure returns
  // nullopt and, when `error` is given, says where and why.
  static std::optional<CronExpression> parse(std::string_view expression, std::string_view timeZone = "UTC",
                                             CronError* error = nullptr);
  // The zone named `name`, or nullptr with `error` set (with a suggestion when one is close).
  static const date::time_zone* findTimeZone(std::string_view name, std::string& error);

  // The first fire time strictly after `after`; nullopt only when none falls in the next
  // 30 years (parse() refuses the expressions that can never fire).
  std::optional<TimePoint> next(TimePoint after) const;
  // The last fire time at or before `at`; nullopt when none in the 30 years before.
  std::optional<TimePoint> previous(TimePoint at) const;

  const std::string& text() const { return text_; }
  const std::string& timeZone() const { return zoneName_; }
  bool hasSeconds() const { return hasSeconds_; }

 private:
  using Seconds = std::chrono::seconds;
  CronExpression() = default;

  bool dayMatches(int year, int month, int day) const;
  // The earliest (latest) local wall time at or after (before) `from` that the fields match,
  // DST aside; as seconds since the local epoch.
  std::optional<int64_t> nextLocal(int64_t from) const;
  std::optional<int64_t> previousLocal(int64_t from) const;
  // The instant a matched local time fires at, under the DST rules above. `kind` tells which
  // case applied; `boundary` is the local time where the gap or overlap ends.
  enum class LocalKind { Unique, Skipped, Repeated };
  int64_t toInstant(int64_t local, LocalKind& kind, int64_t& boundary) const;
  int64_t toLocal(int64_t instant) const;

  uint64_t seconds_ = 0;  // bit n: second n
  uint64_t minutes_ = 0;
  uint32_t hours_ = 0;
  uint32_t daysOfMonth_ = 0;  // bits 1-31
  uint32_t months_ = 0;       // bits 1-12
  uint32_t daysOfWeek_ = 0;   // bits 0-6, 0 = Sunday
  bool domRestricted_ = false;
  bool dowRestricted_ = false;
  bool hasSeconds_ = false;
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC, without the zone lookups
  std::string text_;
  std::string zoneName_;
};

}  // namespace tributary::scheduler
