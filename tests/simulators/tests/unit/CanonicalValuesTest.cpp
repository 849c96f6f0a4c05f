#include <gtest/gtest.h>

#include "framework/CanonicalDigest.h"
#include "framework/CanonicalValues.h"

using nlohmann::json;
using tributary::sim::CanonicalDigest;
using tributary::sim::CanonicalValues;

TEST(canonical, BlankStringsAreNullForEveryType) {
  for (const json& blank : {json(nullptr), json(""), json("   "), json("\t\n")}) {
    EXPECT_FALSE(CanonicalValues::text(blank));
    EXPECT_FALSE(CanonicalValues::numeric(blank).value);
    EXPECT_FALSE(CanonicalValues::numeric(blank).invalid);
    EXPECT_FALSE(CanonicalValues::date(blank));
    EXPECT_FALSE(CanonicalValues::email(blank));
    EXPECT_FALSE(CanonicalValues::domain(blank));
  }
}

TEST(canonical, NumericIsShortestDecimal) {
  EXPECT_EQ(CanonicalValues::numeric("1500.50").value, "1500.5");
  EXPECT_EQ(CanonicalValues::numeric("  1500.00 ").value, "1500");
  EXPECT_EQ(CanonicalValues::numeric("0001500").value, "1500");
  EXPECT_EQ(CanonicalValues::numeric(json(1500.0)).value, "1500");
  EXPECT_EQ(CanonicalValues::numeric(json(1234.56)).value, "1234.56");
  EXPECT_EQ(CanonicalValues::numeric("-0.0").value, "0");
  EXPECT_EQ(CanonicalValues::numeric(".5").value, "0.5");
  EXPECT_TRUE(CanonicalValues::numeric("TBD").invalid);
  EXPECT_TRUE(CanonicalValues::numeric("1,500").invalid);
  EXPECT_TRUE(CanonicalValues::numeric("1e3").invalid);
}

TEST(canonical, DatesAreCutToTheirUtcDate) {
  EXPECT_EQ(CanonicalValues::date("2024-06-30T22:30:00-05:00"), "2024-07-01");
  EXPECT_EQ(CanonicalValues::date("2024-06-30T00:00:00Z"), "2024-06-30");
  EXPECT_EQ(CanonicalValues::date("2024-06-30"), "2024-06-30");
  EXPECT_EQ(CanonicalValues::date("1719705600000"), "2024-06-30");
  EXPECT_EQ(CanonicalValues::date(json(1719705600000LL)), "2024-06-30");
  EXPECT_FALSE(CanonicalValues::date("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(CanonicalValues::date("not a date"));
}

TEST(canonical, TruncationCountsCharactersNotBytes) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "é";
  const auto cut = CanonicalValues::truncated(json(text));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->size(), 255u * 2);
  EXPECT_EQ(CanonicalValues::truncated(json("short")), "short");
}

TEST(canonical, EmailIsTrimmedAndLowercasedAndDomainIsAHost) {
  EXPECT_EQ(CanonicalValues::email("  Contact12@EXAMPLE.com "), "contact12@example.com");
  EXPECT_TRUE(CanonicalValues::looksLikeEmail("a@b.com"));
  EXPECT_FALSE(CanonicalValues::looksLikeEmail("a@b@c.com"));
  EXPECT_FALSE(CanonicalValues::looksLikeEmail("n/a"));
  EXPECT_EQ(CanonicalValues::domain("https://www.Acme.com/about"), "acme.com");
  EXPECT_EQ(CanonicalValues::domain("HTTP://WWW.ACME.COM"), "acme.com");
  EXPECT_EQ(CanonicalValues::domain("http://acme.com:8080/x?y=1"), "acme.com");
  EXPECT_EQ(CanonicalValues::domain("acme.com/contact-us"), "acme.com");
}

TEST(canonical, DigestJoinsWithUnitSeparatorAndBackslashN) {
  // sha256("Acme\x1f" "1500.5\x1f\\N\x1f" "2024-07-01"), computed independently.
  EXPECT_EQ(CanonicalDigest::of({"Acme", "1500.5", std::nullopt, "2024-07-01"}),
            "72f7508b75bd05ba97ddbc16690c6f80cccca693c8017ae150c6921ffdaa1406");
  EXPECT_NE(CanonicalDigest::of({"a", std::nullopt}), CanonicalDigest::of({"a", ""}));
}
