#include "scheduler/CronExpression.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace tributary::scheduler;
using TimePoint = CronExpression::TimePoint;

namespace {

// "2024-01-15T10:30:00Z" or "2024-01-15T10:30:59.500Z".
TimePoint at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  int n = std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms);
  if (n < 6) throw std::runtime_error("bad test time " + iso);
  auto day =
      date::sys_days{date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)}};
  return TimePoint(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) +
         std::chrono::milliseconds(ms);
}

std::string iso(std::optional<TimePoint> tp) {
  if (!tp) return "never";
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(*tp));
}

CronExpression cron(const std::string& expr, const std::string& zone = "UTC") {
  CronError error;
  auto c = CronExpression::parse(expr, zone, &error);
  if (!c) throw std::runtime_error("\"" + expr + "\" did not parse: " + error.message());
  return *c;
}

std::string parseError(const std::string& expr, const std::string& zone = "UTC") {
  CronError error;
  auto c = CronExpression::parse(expr, zone, &error);
  if (c) return "parsed";
  return error.message();
}

struct NextCase {
  const char* expression;
  const char* zone;
  const char* after;
  const char* expected;
};

}  // namespace

// 2024-01-15 is a Monday.
TEST(CronExpression, NextFireTimesFollowTheTable) {
  const std::vector<NextCase> cases = {
      {"* * * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T10:31:00Z"},
      {"* * * * *", "UTC", "2024-01-15T10:30:59.500Z", "2024-01-15T10:31:00Z"},
      {"0 2 * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-16T02:00:00Z"},
      {"0 2 * * *", "UTC", "2024-01-16T01:59:59Z", "2024-01-16T02:00:00Z"},
      {"0 2 * * *", "UTC", "2024-01-16T02:00:00Z", "2024-01-17T02:00:00Z"},
      {"0 2 * * *", "UTC", "2024-01-16T01:59:59.999Z", "2024-01-16T02:00:00Z"},
      {"*/15 * * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T10:45:00Z"},
      {"1-30/5 * * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T11:01:00Z"},
      {"5/15 * * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T10:35:00Z"},
      {"0 9-17/4 * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T13:00:00Z"},
      {"0 0 * * MON-FRI", "UTC", "2024-01-19T12:00:00Z", "2024-01-22T00:00:00Z"},
      {"0 0 * * 0", "UTC", "2024-01-15T10:30:00Z", "2024-01-21T00:00:00Z"},
      {"0 0 * * 7", "UTC", "2024-01-15T10:30:00Z", "2024-01-21T00:00:00Z"},
      {"0 0 * * sun", "UTC", "2024-01-15T10:30:00Z", "2024-01-21T00:00:00Z"},
      {"0 0 * * 5-7", "UTC", "2024-01-15T10:30:00Z", "2024-01-19T00:00:00Z"},
      {"0 12 1 jul *", "UTC", "2024-01-15T10:30:00Z", "2024-07-01T12:00:00Z"},
      {"0 12 1 JAN,JUL *", "UTC", "2024-01-15T10:30:00Z", "2024-07-01T12:00:00Z"},
      {"0 0 29 2 *", "UTC", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"0 0 31 * *", "UTC", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"},
      // Both days restricted: either matches (Friday the 19th comes before the 13th of February).
      {"0 0 13 * FRI", "UTC", "2024-01-15T10:30:00Z", "2024-01-19T00:00:00Z"},
      {"0 0 1 * MON", "UTC", "2024-01-15T10:30:00Z", "2024-01-22T00:00:00Z"},
      // A stepped day-of-month is a restriction too: odd days or Mondays.
      {"0 0 */2 * 1", "UTC", "2024-01-15T10:30:00Z", "2024-01-17T00:00:00Z"},
      {"59 23 31 12 *", "UTC", "2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z"},
      {"0 0 1 1 *", "UTC", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"},
      {"30 */2 * * * *", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T10:30:30Z"},
      {"*/10 * * * * *", "UTC", "2024-01-15T10:30:05Z", "2024-01-15T10:30:10Z"},
      {"* * * * * *", "UTC", "2024-01-15T10:30:05.250Z", "2024-01-15T10:30:06Z"},
      {"0 0 0 * * *", "UTC", "2024-01-15T10:30:05Z", "2024-01-16T00:00:00Z"},
      {"@hourly", "UTC", "2024-01-15T10:30:00Z", "2024-01-15T11:00:00Z"},
      {"@daily", "UTC", "2024-01-15T10:30:00Z", "2024-01-16T00:00:00Z"},
      {"@midnight", "UTC", "2024-01-15T10:30:00Z", "2024-01-16T00:00:00Z"},
      {"@weekly", "UTC", "2024-01-15T10:30:00Z", "2024-01-21T00:00:00Z"},
      {"@monthly", "UTC", "2024-01-15T10:30:00Z", "2024-02-01T00:00:00Z"},
      {"@yearly", "UTC", "2024-01-15T10:30:00Z", "2025-01-01T00:00:00Z"},
      {"@annually", "UTC", "2024-01-15T10:30:00Z", "2025-01-01T00:00:00Z"},
      {"  0   2 * *\t* ", "UTC", "2024-01-15T10:30:00Z", "2024-01-16T02:00:00Z"},
      {"0 2 * * *", "America/New_York", "2024-01-15T10:30:00Z", "2024-01-16T07:00:00Z"},
      {"0 2 * * *", "Europe/Berlin", "2024-01-15T10:30:00Z", "2024-01-16T01:00:00Z"},
      {"0 2 * * *", "Europe/Berlin", "2024-07-15T10:30:00Z", "2024-07-16T00:00:00Z"},
      {"0 2 * * *", "", "2024-01-15T10:30:00Z", "2024-01-16T02:00:00Z"},
      {"0 2 * * *", "Etc/UTC", "2024-01-15T10:30:00Z", "2024-01-16T02:00:00Z"},
      // Friday the 13th in Tokyo's Friday, not UTC's.
      {"0 0 * * FRI", "Asia/Tokyo", "2024-01-15T10:30:00Z", "2024-01-18T15:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(iso(cron(c.expression, c.zone).next(at(c.after))), c.expected)
        << "\"" << c.expression << "\" in " << c.zone << " after " << c.after;
  }
}

// Europe/Berlin springs forward on 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
TEST(CronExpression, BerlinSpringGapFiresOnceWhenTheClocksJump) {
  auto daily = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(iso(daily.next(at("2024-03-30T12:00:00Z"))), "2024-03-31T01:00:00Z");
  EXPECT_EQ(iso(daily.next(at("2024-03-31T01:00:00Z"))), "2024-04-01T00:30:00Z");
  EXPECT_EQ(iso(daily.next(at("2024-03-29T12:00:00Z"))), "2024-03-30T01:30:00Z");

  // 02:00 is skipped and 03:00 falls on the same instant: one firing, not two.
  auto hourly = cron("0 * * * *", "Europe/Berlin");
  EXPECT_EQ(iso(hourly.next(at("2024-03-31T00:00:00Z"))), "2024-03-31T01:00:00Z");
  EXPECT_EQ(iso(hourly.next(at("2024-03-31T01:00:00Z"))), "2024-03-31T02:00:00Z");

  // Every skipped quarter hour fires together, once.
  auto quarters = cron("*/15 2 * * *", "Europe/Berlin");
  EXPECT_EQ(iso(quarters.next(at("2024-03-30T23:00:00Z"))), "2024-03-31T01:00:00Z");
  EXPECT_EQ(iso(quarters.next(at("2024-03-31T01:00:00Z"))), "2024-04-01T00:00:00Z");

  EXPECT_EQ(iso(cron("0 3 * * *", "Europe/Berlin").next(at("2024-03-30T12:00:00Z"))), "2024-03-31T01:00:00Z");
}

// Europe/Berlin falls back on 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00 UTC, so 02:00-02:59
// happens twice.
TEST(CronExpression, BerlinFallOverlapFiresTheFirstOccurrenceOnly) {
  auto daily = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(iso(daily.next(at("2024-10-26T12:00:00Z"))), "2024-10-27T00:30:00Z");
  EXPECT_EQ(iso(daily.next(at("2024-10-27T00:30:00Z"))), "2024-10-28T01:30:00Z");
  // From inside the second pass, the repeated 02:30 does not fire again.
  EXPECT_EQ(iso(daily.next(at("2024-10-27T01:10:00Z"))), "2024-10-28T01:30:00Z");

  auto hourly = cron("0 * * * *", "Europe/Berlin");
  EXPECT_EQ(iso(hourly.next(at("2024-10-26T23:30:00Z"))), "2024-10-27T00:00:00Z");
  EXPECT_EQ(iso(hourly.next(at("2024-10-27T00:00:00Z"))), "2024-10-27T02:00:00Z");

  auto halves = cron("*/30 * * * *", "Europe/Berlin");
  EXPECT_EQ(iso(halves.next(at("2024-10-27T00:45:00Z"))), "2024-10-27T02:00:00Z");
  EXPECT_EQ(iso(halves.next(at("2024-10-27T00:15:00Z"))), "2024-10-27T00:30:00Z");
}

// America/New_York springs forward on 2024-03-10 (02:00 EST -> 03:00 EDT at 07:00 UTC) and falls
// back on 2024-11-03 (02:00 EDT -> 01:00 EST at 06:00 UTC).
TEST(CronExpression, NewYorkSpringGapAndFallOverlap) {
  auto twoThirty = cron("30 2 * * *", "America/New_York");
  EXPECT_EQ(iso(twoThirty.next(at("2024-03-09T12:00:00Z"))), "2024-03-10T07:00:00Z");
  EXPECT_EQ(iso(twoThirty.next(at("2024-03-10T07:00:00Z"))), "2024-03-11T06:30:00Z");
  EXPECT_EQ(iso(cron("0 3 * * *", "America/New_York").next(at("2024-03-09T12:00:00Z"))), "2024-03-10T07:00:00Z");
  EXPECT_EQ(iso(cron("0 2 * * *", "America/New_York").next(at("2024-03-10T07:00:00Z"))), "2024-03-11T06:00:00Z");

  auto oneThirty = cron("30 1 * * *", "America/New_York");
  EXPECT_EQ(iso(oneThirty.next(at("2024-11-02T12:00:00Z"))), "2024-11-03T05:30:00Z");
  EXPECT_EQ(iso(oneThirty.next(at("2024-11-03T05:30:00Z"))), "2024-11-04T06:30:00Z");

  auto halves = cron("0,30 * * * *", "America/New_York");
  EXPECT_EQ(iso(halves.next(at("2024-11-03T05:00:00Z"))), "2024-11-03T05:30:00Z");
  EXPECT_EQ(iso(halves.next(at("2024-11-03T05:30:00Z"))), "2024-11-03T07:00:00Z");

  // Seconds go through the same rule: every second of the repeated hour fired in its first pass.
  auto everySecond = cron("* * * * * *", "America/New_York");
  EXPECT_EQ(iso(everySecond.next(at("2024-11-03T05:59:58Z"))), "2024-11-03T05:59:59Z");
  EXPECT_EQ(iso(everySecond.next(at("2024-11-03T05:59:59Z"))), "2024-11-03T07:00:00Z");
}

TEST(CronExpression, PreviousIsTheLastFireAtOrBefore) {
  EXPECT_EQ(iso(cron("0 2 * * *").previous(at("2024-01-16T02:00:00Z"))), "2024-01-16T02:00:00Z");
  EXPECT_EQ(iso(cron("0 2 * * *").previous(at("2024-01-16T01:59:59Z"))), "2024-01-15T02:00:00Z");
  EXPECT_EQ(iso(cron("0 2 * * *").previous(at("2024-01-16T02:00:00.900Z"))), "2024-01-16T02:00:00Z");
  EXPECT_EQ(iso(cron("*/15 * * * *").previous(at("2024-01-01T00:07:00Z"))), "2024-01-01T00:00:00Z");
  EXPECT_EQ(iso(cron("*/15 * * * *").previous(at("2024-01-01T00:00:00Z"))), "2024-01-01T00:00:00Z");
  EXPECT_EQ(iso(cron("0 0 1 1 *").previous(at("2024-01-01T00:00:00Z"))), "2024-01-01T00:00:00Z");
  EXPECT_EQ(iso(cron("0 0 1 1 *").previous(at("2023-12-31T23:59:59Z"))), "2023-01-01T00:00:00Z");
  EXPECT_EQ(iso(cron("0 0 29 2 *").previous(at("2027-01-01T00:00:00Z"))), "2024-02-29T00:00:00Z");
  EXPECT_EQ(iso(cron("*/10 * * * * *").previous(at("2024-01-15T10:30:05Z"))), "2024-01-15T10:30:00Z");
  // A skipped local time counts at the instant it fired.
  EXPECT_EQ(iso(cron("30 2 * * *", "America/New_York").previous(at("2024-03-10T07:00:30Z"))), "2024-03-10T07:00:00Z");
  // In the second pass of an overlap, the last firing was late in the first pass (01:45 EDT).
  EXPECT_EQ(iso(cron("*/15 * * * *", "America/New_York").previous(at("2024-11-03T06:10:00Z"))), "2024-11-03T05:45:00Z");
  EXPECT_EQ(iso(cron("*/15 * * * *", "Europe/Berlin").previous(at("2024-10-27T01:20:00Z"))), "2024-10-27T00:45:00Z");
}

// next() and previous() agree with each other everywhere, DST transitions included.
TEST(CronExpression, NextAndPreviousAgreeAroundTheYear) {
  const std::vector<std::pair<const char*, const char*>> schedules = {
      {"0 2 * * *", "Europe/Berlin"},    {"30 2 * * *", "America/New_York"},
      {"*/20 * * * *", "Europe/Berlin"}, {"0 * * * *", "America/New_York"},
      {"0 0 13 * FRI", "UTC"},           {"15 1-3 * * *", "Europe/Berlin"},
      {"*/7 */5 * * * *", "UTC"},        {"0 30 1 * * *", "America/New_York"},
  };
  for (const auto& [expr, zone] : schedules) {
    auto c = cron(expr, zone);
    // Every 7 hours and 13 minutes through 2024, which crosses both transitions in both zones.
    for (auto t = at("2024-01-01T00:00:00Z"); t < at("2025-01-01T00:00:00Z"); t += std::chrono::minutes(7 * 60 + 13)) {
      auto n = c.next(t);
      ASSERT_TRUE(n) << expr;
      ASSERT_GT(*n, t) << expr;
      EXPECT_EQ(iso(c.previous(*n)), iso(n)) << expr << " in " << zone << " at " << iso(t);
      auto p = c.previous(t);
      ASSERT_TRUE(p) << expr;
      ASSERT_LE(*p, t);
      EXPECT_EQ(iso(c.next(*p)), iso(n)) << expr << " in " << zone << " at " << iso(t);
    }
  }
}

// Against predicates written out by hand, minute by minute over 40 days.
TEST(CronExpression, UtcAgreesWithHandWrittenPredicates) {
  struct Civil {
    int month, day, weekday, hour, minute;
  };
  auto civil = [](TimePoint t) {
    auto dp = date::floor<date::days>(t);
    date::year_month_day ymd{dp};
    date::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - dp)};
    return Civil{static_cast<int>(static_cast<unsigned>(ymd.month())),
                 static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(date::weekday{dp}.c_encoding()),
                 static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count())};
  };
  const std::vector<std::pair<const char*, std::function<bool(const Civil&)>>> schedules = {
      {"*/13 3-7 * * *", [](const Civil& c) { return c.minute % 13 == 0 && c.hour >= 3 && c.hour <= 7; }},
      {"0 0 */3 * MON",
       [](const Civil& c) { return c.minute == 0 && c.hour == 0 && ((c.day - 1) % 3 == 0 || c.weekday == 1); }},
      {"5,10 * 2 * *", [](const Civil& c) { return (c.minute == 5 || c.minute == 10) && c.day == 2; }},
      {"0 12 * FEB-APR 1-5",
       [](const Civil& c) {
         return c.minute == 0 && c.hour == 12 && c.month >= 2 && c.month <= 4 && c.weekday >= 1 && c.weekday <= 5;
       }},
  };
  for (const auto& [expr, matches] : schedules) {
    auto c = cron(expr);
    auto t = at("2024-01-28T00:00:00Z");
    auto fire = c.next(t);
    for (int i = 0; i < 60 * 24 * 40; ++i) {
      t += std::chrono::minutes(1);
      if (matches(civil(t))) {
        ASSERT_EQ(iso(fire), iso(t)) << expr;
        fire = c.next(t);
      } else {
        ASSERT_GT(*fire, t) << expr;
      }
    }
  }
}

TEST(CronExpression, RemembersItsTextAndZone) {
  auto c = cron("*/5 * * * * *", "Europe/Berlin");
  EXPECT_EQ(c.text(), "*/5 * * * * *");
  EXPECT_EQ(c.timeZone(), "Europe/Berlin");
  EXPECT_TRUE(c.hasSeconds());
  EXPECT_EQ(cron("0 2 * * *", "").timeZone(), "UTC");
  EXPECT_FALSE(cron("0 2 * * *").hasSeconds());
}

TEST(CronExpression, InvalidExpressionsSayWhereAndWhy) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"",
       "position 1: the expression is empty; write five fields (minute hour day-of-month month "
       "day-of-week), six with a leading seconds field, or a macro such as @daily"},
      {"0 2 * *",
       "position 8: expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
       "with a leading seconds field, got 4"},
      {"0 0 0 2 * * *",
       "position 13: expected 5 fields (minute hour day-of-month month "
       "day-of-week) or 6 with a leading seconds field, got 7"},
      {"*/15 10,25 * * *", "position 9: hour 25 is out of range 0-23"},
      {"0 25 * * *", "position 3: hour 25 is out of range 0-23"},
      {"  0 25 * * *", "position 5: hour 25 is out of range 0-23"},
      {"60 * * * *", "position 1: minute 60 is out of range 0-59"},
      {"99999999999 * * * *", "position 1: minute 99999999999 is out of range 0-59"},
      {"* * 0 * *", "position 5: day-of-month 0 is out of range 1-31"},
      {"* * * 13 *", "position 7: month 13 is out of range 1-12"},
      {"* * * * 8", "position 9: day-of-week 8 is out of range 0-7"},
      {"61 * * * * *", "position 1: second 61 is out of range 0-59"},
      {"* * * FOO *", "position 7: month \"FOO\" is not a number or a month name (JAN-DEC)"},
      {"* * * MON *", "position 7: month \"MON\" is not a number or a month name (JAN-DEC)"},
      {"* * * * MONDAY", "position 9: day-of-week \"MONDAY\" is not a number or a day name (SUN-SAT)"},
      {"a * * * *", "position 1: minute \"a\" is not a number"},
      {"0 2 * * * ?", "position 11: day-of-week \"?\" is not a number or a day name (SUN-SAT)"},
      {"*/0 * * * *", "position 3: minute step 0 is out of range 1-60"},
      {"0 */25 * * *", "position 5: hour step 25 is out of range 1-24"},
      {"*/x * * * *", "position 3: minute step \"x\" is not a number"},
      {"*/2/3 * * * *", "position 3: minute step \"2/3\" is not a number"},
      {"30-10 * * * *", "position 1: minute range 30-10 runs backwards (its start is after its end)"},
      {"0 0 * * FRI-MON", "position 9: day-of-week range FRI-MON runs backwards (its start is after its end)"},
      {"1,,2 * * * *", "position 2: minute list \"1,,2\" has an empty item"},
      {"1, * * * *", "position 2: minute list \"1,\" has an empty item"},
      {",1 * * * *", "position 1: minute list \",1\" has an empty item"},
      {"-5 * * * *", "position 1: minute range \"-5\" is missing its start"},
      {"5- * * * *", "position 1: minute range \"5-\" is missing its end"},
      {"@fortnightly",
       "position 1: unknown macro \"@fortnightly\"; use @yearly, @annually, "
       "@monthly, @weekly, @daily, @midnight or @hourly"},
      {"@reboot",
       "position 1: @reboot is not supported: a connection syncs on a schedule or on "
       "demand"},
      {"@daily 5", "position 8: nothing may follow @daily"},
      {"0 0 30 2 *",
       "position 5: day-of-month 30 never occurs in month 2, so the schedule would "
       "never fire"},
      {"0 0 31 4,6 *",
       "position 5: day-of-month 31 never occurs in month 4,6, so the schedule "
       "would never fire"},
  };
  for (const auto& [expr, message] : cases) {
    EXPECT_EQ(parseError(expr), message) << "\"" << expr << "\"";
  }
}

TEST(CronExpression, ImpossibleDayWithAWeekdayStillFires) {
  // February 30 never comes, but with a weekday either matching is enough: Mondays in February.
  EXPECT_EQ(iso(cron("0 0 30 2 MON").next(at("2024-01-15T10:30:00Z"))), "2024-02-05T00:00:00Z");
}

TEST(CronExpression, UnknownTimeZoneIsRefusedWithASuggestion) {
  CronError error;
  EXPECT_FALSE(CronExpression::parse("0 2 * * *", "Europe/Berlni", &error));
  EXPECT_TRUE(error.inTimeZone());
  EXPECT_EQ(error.message(),
            "unknown time zone \"Europe/Berlni\"; use an IANA name such as Europe/Berlin or "
            "America/New_York (the names under /usr/share/zoneinfo) (did you mean "
            "\"Europe/Berlin\"?)");
  EXPECT_EQ(parseError("0 2 * * *", "Mars/Olympus_Mons"),
            "unknown time zone \"Mars/Olympus_Mons\"; use an IANA name such as Europe/Berlin or "
            "America/New_York (the names under /usr/share/zoneinfo)");
}
