// http::RetryRules: how the vendor client reads a response (the connector's rules, then the
// defaults), an error code in a body, Retry-After, and the backoff's full jitter.
#include "http/RetryRules.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

using namespace tributary::http;
using std::chrono::milliseconds;

namespace {

HttpResponse response(int status, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

VendorRule rule(RuleAction action, int status, std::string code = "", std::string description = "") {
  VendorRule r;
  r.action = action;
  r.status = status;
  r.errorCode = std::move(code);
  r.description = std::move(description);
  return r;
}

// Wed, 21 Oct 2015 07:28:00 GMT
constexpr int64_t kDateMs = 1445412480000;
const char* const kDate = "Wed, 21 Oct 2015 07:28:00 GMT";

std::optional<milliseconds> retryAfterOf(const std::string& name, const std::string& value, int64_t nowMs = 0) {
  return retryAfter(response(429, "", {{name, value}}), nowMs);
}

}  // namespace

// --- bodyHolds ---

TEST(retry_rules, ACodeAsAJsonStringValueAtAnyDepthMatches) {
  EXPECT_TRUE(bodyHolds(R"({"errorCode":"REQUEST_LIMIT_EXCEEDED"})", "REQUEST_LIMIT_EXCEEDED"));
  EXPECT_TRUE(bodyHolds(R"([{"message":"limit","errorCode":"REQUEST_LIMIT_EXCEEDED"}])", "REQUEST_LIMIT_EXCEEDED"));
  EXPECT_TRUE(bodyHolds(R"({"errors":[{"extensions":{"code":["x","ComplexityException"]}}]})", "ComplexityException"));
  EXPECT_TRUE(bodyHolds(R"("DAILY")", "DAILY")) << "a body that is one JSON string";
}

TEST(retry_rules, TheSameTextAsAKeyOrInsideALongerStringDoesNotMatchAJsonBody) {
  EXPECT_FALSE(bodyHolds(R"({"REQUEST_LIMIT_EXCEEDED":true})", "REQUEST_LIMIT_EXCEEDED")) << "a key";
  EXPECT_FALSE(bodyHolds(R"({"message":"REQUEST_LIMIT_EXCEEDED: try later"})", "REQUEST_LIMIT_EXCEEDED"))
      << "inside a longer string";
  EXPECT_FALSE(bodyHolds(R"({"policyName":"SECONDLY_DAILY"})", "DAILY")) << "a suffix of a value";
  EXPECT_FALSE(bodyHolds(R"({"code":429})", "429")) << "a number is not a string value";
}

TEST(retry_rules, ANonJsonBodyMatchesByItsText) {
  EXPECT_TRUE(bodyHolds("<html>REQUEST_LIMIT_EXCEEDED for org</html>", "REQUEST_LIMIT_EXCEEDED"));
  EXPECT_TRUE(bodyHolds("{not json: DAILY", "DAILY"));
  EXPECT_FALSE(bodyHolds("<html>slow down</html>", "REQUEST_LIMIT_EXCEEDED"));
}

TEST(retry_rules, AnEmptyCodeMatchesAnyBody) {
  EXPECT_TRUE(bodyHolds("", ""));
  EXPECT_TRUE(bodyHolds(R"({"a":1})", ""));
}

// The contract says "a string value" of the JSON body: the value, not the bytes that spell it.
TEST(retry_rules, ACodeWrittenWithJsonEscapesStillMatchesItsValue) {
  EXPECT_TRUE(bodyHolds(R"({"error":"rate\/limit"})", "rate/limit")) << "PHP's json_encode escapes '/'";
  EXPECT_TRUE(bodyHolds(R"({"code":"D\u0041ILY"})", "DAILY"));
}

// --- retryAfter ---

TEST(retry_rules, RetryAfterInDelaySecondsIsThatDelay) {
  EXPECT_EQ(retryAfterOf("Retry-After", "120"), milliseconds(120000));
  EXPECT_EQ(retryAfterOf("Retry-After", "0"), milliseconds(0));
  EXPECT_EQ(retryAfterOf("Retry-After", " 3 "), milliseconds(3000)) << "surrounding blanks";
}

TEST(retry_rules, RetryAfterAsAnHttpDateIsTheTimeLeftUntilIt) {
  EXPECT_EQ(retryAfterOf("Retry-After", kDate, kDateMs - 5000), milliseconds(5000)) << "in the future";
  EXPECT_EQ(retryAfterOf("Retry-After", kDate, kDateMs + 5000), milliseconds(0)) << "in the past: no delay";
}

TEST(retry_rules, RetryAfterAbsentOrUnreadableIsNone) {
  EXPECT_EQ(retryAfter(response(429), 0), std::nullopt);
  EXPECT_EQ(retryAfter(response(429, "", {{"X-RateLimit-Reset", "5"}}), 0), std::nullopt);
  EXPECT_EQ(retryAfterOf("Retry-After", ""), std::nullopt);
  EXPECT_EQ(retryAfterOf("Retry-After", "soon"), std::nullopt);
  EXPECT_EQ(retryAfterOf("Retry-After", "-5"), std::nullopt);
  EXPECT_EQ(retryAfterOf("Retry-After", "1.5"), std::nullopt);
  EXPECT_EQ(retryAfterOf("Retry-After", "Wed, 32 Foo 2015 07:28:00 GMT"), std::nullopt);
}

TEST(retry_rules, RetryAfterHeaderNameIsCaseInsensitive) {
  EXPECT_EQ(retryAfterOf("retry-after", "7"), milliseconds(7000));
  EXPECT_EQ(retryAfterOf("RETRY-AFTER", "7"), milliseconds(7000));
  EXPECT_EQ(retryAfterOf("Retry-after", kDate, kDateMs - 1000), milliseconds(1000));
}

// --- classify ---

TEST(retry_rules, AConnectorRuleIsTriedBeforeTheDefaults) {
  std::vector<VendorRule> rules = {rule(RuleAction::Quota, 429, "DAILY", "HubSpot's daily limit")};
  auto daily = response(429, R"({"status":"error","policyName":"DAILY"})");
  Verdict v = classify(daily, rules);
  EXPECT_EQ(v.kind, Verdict::Kind::Quota);
  EXPECT_EQ(v.rule, &rules[0]);
  EXPECT_EQ(v.why, "429 DAILY (HubSpot's daily limit)");

  // Another 429 the rule does not match: the default.
  v = classify(response(429, R"({"policyName":"SECONDLY"})"), rules);
  EXPECT_EQ(v.kind, Verdict::Kind::RateLimit);
  EXPECT_EQ(v.rule, nullptr);
  EXPECT_EQ(v.why, "429");
}

TEST(retry_rules, TheFirstMatchingRuleWins) {
  std::vector<VendorRule> rules = {rule(RuleAction::RateLimit, 403, "userRateLimitExceeded"),
                                   rule(RuleAction::Quota, 403, "REQUEST_LIMIT_EXCEEDED"),
                                   rule(RuleAction::Retry, 403)};
  auto body = R"({"errors":["REQUEST_LIMIT_EXCEEDED","userRateLimitExceeded"]})";
  Verdict v = classify(response(403, body), rules);
  EXPECT_EQ(v.kind, Verdict::Kind::RateLimit);
  EXPECT_EQ(v.rule, &rules[0]);
  v = classify(response(403, R"({"errorCode":"REQUEST_LIMIT_EXCEEDED"})"), rules);
  EXPECT_EQ(v.kind, Verdict::Kind::Quota);
  EXPECT_EQ(v.rule, &rules[1]);
  v = classify(response(403, "Forbidden"), rules);
  EXPECT_EQ(v.kind, Verdict::Kind::Retry);
  EXPECT_EQ(v.rule, &rules[2]);
}

TEST(retry_rules, ARuleWithoutACodeMatchesAnyBodyOfItsStatusOnly) {
  std::vector<VendorRule> rules = {rule(RuleAction::RateLimit, 423, "", "HubSpot's 423")};
  Verdict v = classify(response(423, "whatever"), rules);
  EXPECT_EQ(v.kind, Verdict::Kind::RateLimit);
  EXPECT_EQ(v.rule, &rules[0]);
  EXPECT_EQ(v.why, "423 (HubSpot's 423)");
  EXPECT_EQ(classify(response(424, "whatever"), rules).kind, Verdict::Kind::Return) << "another status";
}

TEST(retry_rules, ARuleCanFindARateLimitInsideA200) {
  std::vector<VendorRule> rules = {rule(RuleAction::RateLimit, 200, "ComplexityException")};
  EXPECT_EQ(classify(response(200, R"({"errors":[{"code":"ComplexityException"}]})"), rules).kind,
            Verdict::Kind::RateLimit);
  EXPECT_EQ(classify(response(200, R"({"data":{"items":[]}})"), rules).kind, Verdict::Kind::Return);
}

TEST(retry_rules, Defaults429RateLimitsAnd502To504RetryEverythingElseReturns) {
  EXPECT_EQ(classify(response(429), {}).kind, Verdict::Kind::RateLimit);
  for (int status : {502, 503, 504}) {
    Verdict v = classify(response(status), {});
    EXPECT_EQ(v.kind, Verdict::Kind::Retry) << status;
    EXPECT_EQ(v.rule, nullptr);
    EXPECT_EQ(v.why, std::to_string(status));
  }
  for (int status : {200, 201, 204, 301, 400, 401, 403, 404, 409, 500, 501, 505}) {
    Verdict v = classify(response(status), {});
    EXPECT_EQ(v.kind, Verdict::Kind::Return) << status;
    EXPECT_EQ(v.rule, nullptr);
  }
}

// --- fullJitter ---

TEST(retry_rules, FullJitterStaysWithinZeroAndTheCappedExponential) {
  std::mt19937_64 rng(42);
  const milliseconds base(100), cap(1000);
  for (int retry = 1; retry <= 8; ++retry) {
    const int64_t ceiling = std::min<int64_t>(cap.count(), base.count() << (retry - 1));
    int64_t lo = INT64_MAX, hi = -1;
    for (int i = 0; i < 2000; ++i) {
      const int64_t d = fullJitter(retry, base, cap, rng).count();
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    EXPECT_GE(lo, 0) << "retry " << retry;
    EXPECT_LE(hi, ceiling) << "retry " << retry;
    // 2000 uniform draws come within 2% of both ends.
    EXPECT_LE(lo, ceiling / 50) << "retry " << retry;
    EXPECT_GE(hi, ceiling - ceiling / 50) << "retry " << retry;
  }
}

TEST(retry_rules, FullJitterVariesAndNeverGoesNegativeForAnyRetry) {
  std::mt19937_64 rng(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(fullJitter(3, milliseconds(500), milliseconds(30000), rng).count());
  EXPECT_GT(seen.size(), 50u) << "100 draws in [0, 2000] are mostly different";
  for (int retry : {0, 1, 31, 64, 1000}) {
    for (int i = 0; i < 200; ++i) {
      const int64_t d = fullJitter(retry, milliseconds(500), milliseconds(30000), rng).count();
      EXPECT_GE(d, 0) << "retry " << retry;
      EXPECT_LE(d, 30000) << "retry " << retry;
    }
  }
  EXPECT_EQ(fullJitter(5, milliseconds(0), milliseconds(1000), rng), milliseconds(0)) << "no base, no wait";
}
