#include "tributary/sanitize.hpp"

#include <functional>

#include <gtest/gtest.h>

namespace s = tributary::sanitize;
using s::OnInvalid;
using tributary::InvalidValue;

namespace {
std::string invalidMessage(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidValue& e) {
    return e.what();
  }
  return "(no InvalidValue)";
}
}  // namespace

TEST(sanitize, BlankStringsAreNullForEveryType) {
  for (const char* blank : {"", " ", "\t\n ", "\r"}) {
    EXPECT_FALSE(s::blankToNull(blank)) << '"' << blank << '"';
    EXPECT_FALSE(s::text(blank));
    EXPECT_FALSE(s::integer(blank));
    EXPECT_FALSE(s::number(blank));
    EXPECT_FALSE(s::boolean(blank));
    EXPECT_FALSE(s::date(blank));
    EXPECT_FALSE(s::timestampMs(blank));
    EXPECT_FALSE(s::email(blank));
    EXPECT_FALSE(s::domain(blank));
  }
}

TEST(sanitize, NumbersArriveAsStringsAndBecomeCanonicalDecimals) {
  EXPECT_EQ(*s::number("1500"), "1500");
  EXPECT_EQ(*s::number("1500.50"), "1500.5");
  EXPECT_EQ(*s::number(" +007.000 "), "7");
  EXPECT_EQ(*s::number("-0.00"), "0");
  EXPECT_EQ(*s::number(".5"), "0.5");
  EXPECT_EQ(*s::number("5."), "5");
  EXPECT_EQ(*s::number("1e3"), "1000");
  EXPECT_EQ(*s::number("1.25E-2"), "0.0125");
  EXPECT_EQ(*s::number("-12345678901234567890.123456789"), "-12345678901234567890.123456789");
  EXPECT_EQ(invalidMessage([] { s::number("TBD"); }), "not a number: \"TBD\"");
  EXPECT_EQ(invalidMessage([] { s::number("1,000"); }), "not a number: \"1,000\"");
  EXPECT_EQ(invalidMessage([] { s::number("-"); }), "not a number: \"-\"");
  EXPECT_EQ(invalidMessage([] { s::number("1e"); }), "not a number: \"1e\"");
  EXPECT_EQ(invalidMessage([] { s::number("1e99999"); }), "not a number: \"1e99999\"");
}

TEST(sanitize, IntegersAndBooleans) {
  EXPECT_EQ(*s::integer(" 42 "), 42);
  EXPECT_EQ(*s::integer("-7"), -7);
  EXPECT_EQ(*s::integer("+7"), 7);
  EXPECT_EQ(invalidMessage([] { s::integer("42.0"); }), "not an integer: \"42.0\"");
  EXPECT_EQ(invalidMessage([] { s::integer("99999999999999999999"); }), "not an integer: \"99999999999999999999\"");
  EXPECT_EQ(*s::boolean("TRUE"), true);
  EXPECT_EQ(*s::boolean("yes"), true);
  EXPECT_EQ(*s::boolean("1"), true);
  EXPECT_EQ(*s::boolean("False"), false);
  EXPECT_EQ(*s::boolean("off"), false);
  EXPECT_EQ(invalidMessage([] { s::boolean("maybe"); }), "not a boolean: \"maybe\"");
}

TEST(sanitize, TimestampsFromIso8601AndEpochMilliseconds) {
  EXPECT_EQ(*s::timestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*s::timestampMs("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*s::timestampMs("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(*s::timestampMs("2023-11-14T22:13:20.1234567Z"), 1700000000123);
  EXPECT_EQ(*s::timestampMs("2023-11-15T00:13:20+02:00"), 1700000000000);
  EXPECT_EQ(*s::timestampMs("2023-11-14T17:13:20-0500"), 1700000000000);
  EXPECT_EQ(*s::timestampMs("2023-11-14 22:13:20"), 1700000000000);  // no zone: UTC
  EXPECT_EQ(*s::timestampMs("20231114T221320Z"), 1700000000000);
  EXPECT_EQ(*s::timestampMs("2023-11-14"), 1699920000000);
  EXPECT_EQ(*s::timestampMs("20231114"), 1699920000000);  // 8 digits: a basic date, not ms
  EXPECT_EQ(*s::timestampMs("1700000000000"), 1700000000000);
  EXPECT_EQ(*s::timestampMs("-1000"), -1000);
  EXPECT_EQ(*s::timestampMs("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(*s::timestampMs("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(invalidMessage([] { s::timestampMs("2023-02-29"); }),
            "not an ISO 8601 time or epoch milliseconds: \"2023-02-29\"");
  EXPECT_EQ(invalidMessage([] { s::timestampMs("TBD"); }), "not an ISO 8601 time or epoch milliseconds: \"TBD\"");
  EXPECT_EQ(invalidMessage([] { s::timestampMs("2023-11-14T25:00:00Z"); }),
            "not an ISO 8601 time or epoch milliseconds: \"2023-11-14T25:00:00Z\"");
  EXPECT_EQ(invalidMessage([] { s::timestampMs("2023-11-14T10:00:00Zjunk"); }),
            "not an ISO 8601 time or epoch milliseconds: \"2023-11-14T10:00:00Zjunk\"");
  EXPECT_FALSE(s::timestampMs("garbage", OnInvalid::Null));
}

TEST(sanitize, DatesAreCutToTheirUtcDate) {
  EXPECT_EQ(*s::date("2024-03-05"), "2024-03-05");
  EXPECT_EQ(*s::date("2024-03-05T23:30:00-02:00"), "2024-03-06");
  EXPECT_EQ(*s::date("2024-03-05T00:30:00+02:00"), "2024-03-04");
  EXPECT_EQ(*s::date("1700000000000"), "2023-11-14");
  EXPECT_EQ(*s::date("-1"), "1969-12-31");
  EXPECT_EQ(invalidMessage([] { s::date("next week"); }), "not a date: \"next week\"");
  // The canonical rule for deals.close_date: an unparseable date is null.
  EXPECT_FALSE(s::date("next week", OnInvalid::Null));
}

TEST(sanitize, FormatsDatesAndTimestamps) {
  EXPECT_EQ(s::formatDate(0), "1970-01-01");
  EXPECT_EQ(s::formatDate(-1), "1969-12-31");
  EXPECT_EQ(s::formatDate(19787), "2024-03-05");
  EXPECT_EQ(s::formatTimestamp(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(s::formatTimestamp(-1), "1969-12-31T23:59:59.999Z");
  for (int64_t ms : {int64_t{0}, int64_t{1700000000123}, int64_t{-86400001}, int64_t{951782400000}}) {
    EXPECT_EQ(*s::timestampMs(s::formatTimestamp(ms)), ms);
  }
}

TEST(sanitize, TextIsTruncatedByCharactersNeverRejected) {
  EXPECT_EQ(*s::text("hello", 3), "hel");
  EXPECT_EQ(*s::text("héllo", 2), "h\xC3\xA9");        // é is two bytes, one character
  EXPECT_EQ(*s::text("日本語テキスト", 3), "日本語");  // never splits a character
  EXPECT_EQ(*s::text("  kept as given  "), "  kept as given  ");
  EXPECT_EQ(s::truncate("abc", 0), "");
  EXPECT_EQ(s::truncate("abc", 10), "abc");
  std::string longName(300, 'x');
  EXPECT_EQ(s::text(longName)->size(), 255u);
}

TEST(sanitize, EmailsAreTrimmedAndLowercased) {
  EXPECT_EQ(*s::email("  Ada.Lovelace@Example.COM "), "ada.lovelace@example.com");
}

TEST(sanitize, DomainFromUrlOrHost) {
  EXPECT_EQ(*s::domain("https://WWW.Acme.com:8080/about?x=1"), "acme.com");
  EXPECT_EQ(*s::domain("acme.com"), "acme.com");
  EXPECT_EQ(*s::domain("www.acme.co.uk/"), "acme.co.uk");
  EXPECT_EQ(*s::domain("http://user:pw@shop.acme.com"), "shop.acme.com");
  EXPECT_EQ(*s::domain("//cdn.acme.com/x"), "cdn.acme.com");
  EXPECT_EQ(*s::domain("ACME.COM."), "acme.com");
  EXPECT_FALSE(s::domain("https://"));
  EXPECT_FALSE(s::domain("http://[::1]:80/"));
  EXPECT_EQ(invalidMessage([] { s::domain("not a url"); }), "not a domain or URL: \"not a url\"");
}

TEST(sanitize, DurationsBecomeSeconds) {
  EXPECT_EQ(*s::durationSeconds("90500", s::Unit::Milliseconds), 91);
  EXPECT_EQ(*s::durationSeconds("42", s::Unit::Seconds), 42);
  EXPECT_EQ(*s::durationSeconds("1.5", s::Unit::Minutes), 90);
  EXPECT_FALSE(s::durationSeconds("", s::Unit::Seconds));
}

TEST(sanitize, LongInvalidValuesAreQuotedShort) {
  std::string junk(200, 'z');
  EXPECT_EQ(invalidMessage([&] { s::number(junk); }), "not a number: \"" + std::string(64, 'z') + "...\"");
}
