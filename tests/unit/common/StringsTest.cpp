#include "common/Strings.h"

#include <gtest/gtest.h>

#include "config/Duration.h"

using namespace tributary;

TEST(Strings, ClosestMatchFindsNearMisspellings) {
  EXPECT_EQ(strings::closestMatch("prot", {"bind", "port"}), "port");
  EXPECT_EQ(strings::closestMatch("concurency", {"processes", "concurrency"}), "concurrency");
  EXPECT_EQ(strings::closestMatch("zzzzzz", {"bind", "port"}), "");
}

TEST(Strings, QuotesForSqlAndConninfo) {
  EXPECT_EQ(strings::quoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(strings::quoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(strings::conninfoQuote("/tmp/a b'c"), "'/tmp/a b\\'c'");
}

TEST(Strings, SplitKeepsEmptyParts) {
  EXPECT_EQ(strings::split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
}

TEST(Duration, ParsesUnitsAndBareSeconds) {
  using namespace std::chrono;
  EXPECT_EQ(config::parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(config::parseDuration("30s"), seconds(30));
  EXPECT_EQ(config::parseDuration("5m"), minutes(5));
  EXPECT_EQ(config::parseDuration("2h"), hours(2));
  EXPECT_EQ(config::parseDuration("1d"), hours(24));
  EXPECT_EQ(config::parseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(config::parseDuration("12"), seconds(12));
  EXPECT_FALSE(config::parseDuration("5 parsecs"));
  EXPECT_FALSE(config::parseDuration("-1s"));
  EXPECT_FALSE(config::parseDuration(""));
}

TEST(Strings, ValidUtf8KeepsWellFormedTextAndReplacesEveryBadByteAndNul) {
  using tributary::strings::validUtf8;
  EXPECT_EQ(validUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(validUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(validUtf8("latin-1 caf\xE9!"), "latin-1 caf\xEF\xBF\xBD!");
  EXPECT_EQ(validUtf8(std::string("nul\0here", 8)), "nul\xEF\xBF\xBDhere");
  EXPECT_EQ(validUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "an overlong form";
  EXPECT_EQ(validUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "a surrogate";
  EXPECT_EQ(validUtf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD") << "a sequence cut short";
}

TEST(Strings, IsUuidTakesTheCanonicalFormInEitherCaseAndNothingElse) {
  EXPECT_TRUE(strings::isUuid("0f3c2a9e-7b1d-4c8e-9a2f-1d2e3f4a5b6c"));
  EXPECT_TRUE(strings::isUuid("0F3C2A9E-7B1D-4C8E-9A2F-1D2E3F4A5B6C"));
  EXPECT_FALSE(strings::isUuid(""));
  EXPECT_FALSE(strings::isUuid("x"));
  EXPECT_FALSE(strings::isUuid("0f3c2a9e7b1d4c8e9a2f1d2e3f4a5b6c")) << "no dashes";
  EXPECT_FALSE(strings::isUuid("{0f3c2a9e-7b1d-4c8e-9a2f-1d2e3f4a5b6c}")) << "braces";
  EXPECT_FALSE(strings::isUuid("0f3c2a9e-7b1d-4c8e-9a2f-1d2e3f4a5b6g"));
  EXPECT_FALSE(strings::isUuid("0f3c2a9e-7b1d-4c8e-9a2f1-d2e3f4a5b6c")) << "a dash out of place";
}
