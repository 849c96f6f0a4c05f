#include <gtest/gtest.h>

#include "framework/TimeFormat.h"

using tributary::sim::TimeFormat;

TEST(timeformat, FormatsHubSpotAndSalesforceShapes) {
  const int64_t ms = 1726258983333;  // 2024-09-13T20:23:03.333Z
  EXPECT_EQ(TimeFormat::isoMillisZ(ms), "2024-09-13T20:23:03.333Z");
  EXPECT_EQ(TimeFormat::salesforceDateTime(ms), "2024-09-13T20:23:03.333+0000");
  EXPECT_EQ(TimeFormat::isoDate(ms), "2024-09-13");
  EXPECT_EQ(TimeFormat::isoMillisZ(-1), "1969-12-31T23:59:59.999Z");
}

TEST(timeformat, ParsesIsoWithZonesAndFractions) {
  EXPECT_EQ(TimeFormat::parseIso("2024-09-13T20:23:03.333Z"), 1726258983333);
  EXPECT_EQ(TimeFormat::parseIso("2024-09-13T20:23:03.333+0000"), 1726258983333);
  EXPECT_EQ(TimeFormat::parseIso("2024-09-13T15:23:03.333-05:00"), 1726258983333);
  EXPECT_EQ(TimeFormat::parseIso("2024-09-13"), 1726185600000);
  EXPECT_EQ(TimeFormat::parseIso("2024-09-13T20:23"), 1726258980000);
}

TEST(timeformat, RejectsImpossibleDatesAndGarbage) {
  EXPECT_FALSE(TimeFormat::parseIso("2024-02-30"));
  EXPECT_FALSE(TimeFormat::parseIso("2023-02-29T00:00:00Z"));
  EXPECT_TRUE(TimeFormat::parseIso("2024-02-29T00:00:00Z"));
  EXPECT_FALSE(TimeFormat::parseIso("not a date"));
  EXPECT_FALSE(TimeFormat::parseIso("2024-06-30T25:00:00Z"));
  EXPECT_FALSE(TimeFormat::parseIso("2024-06-30T10:00:00X"));
  EXPECT_FALSE(TimeFormat::isPlainDate("2024-06-30T00:00:00Z"));
  EXPECT_TRUE(TimeFormat::isPlainDate("2024-06-30"));
}
