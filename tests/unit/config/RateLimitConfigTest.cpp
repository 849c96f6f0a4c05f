// A connection's rate_limit: {account?, headroom?, CLASS: {requests, per}...}, as the loader reads it.
// (Whether each class is one the connector declares is checked against the plugin: RateBudgetsTest.)
#include <gtest/gtest.h>

#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace rate_limit_config_test {

LoadResult load(const std::string& yaml) {
  auto noEnv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return ConfigLoader(noEnv).loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

// Lines 1-5; the connection's own keys follow from line 6.
const std::string kConnection =
    "workspaces:\n  - {slug: acme}\nconnections:\n  - workspace: acme\n    connector: tributary.hubspot\n";

LoadResult withRateLimit(const std::string& rateLimit) { return load(kConnection + "    rate_limit: " + rateLimit); }

TEST(RateLimitConfig, AbsentMeansTheDeclaredBudgetsAtHeadroom09AndTheCredentialsAccount) {
  auto r = load(kConnection);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& rl = r.config.connections[0].rateLimit;
  EXPECT_FALSE(rl.account.has_value());
  EXPECT_DOUBLE_EQ(rl.headroom, 0.9);
  EXPECT_TRUE(rl.classes.empty());
  EXPECT_EQ(rl.location.format(), "t.yaml:4:5") << "the connection's position";
}

TEST(RateLimitConfig, ReadsAccountHeadroomAndEachClassAtItsKey) {
  auto r = load(kConnection + R"(    rate_limit:
      account: acme-hubspot
      headroom: 1
      rest:
        requests: 190
        per: 10s
      daily: {requests: 1000000, per: 1d}
)");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& rl = r.config.connections[0].rateLimit;
  EXPECT_EQ(rl.account, "acme-hubspot");
  EXPECT_DOUBLE_EQ(rl.headroom, 1.0) << "1 is allowed: the whole budget";
  ASSERT_EQ(rl.classes.size(), 2u);
  const auto& rest = rl.classes.at("rest");
  EXPECT_EQ(rest.requests, 190u);
  EXPECT_EQ(rest.per, std::chrono::seconds(10));
  EXPECT_EQ(rest.path, "connections[0].rate_limit.rest");
  EXPECT_EQ(rest.location.format(), "t.yaml:9:7") << "the class's key, not its first inner key on the next line";
  EXPECT_EQ(rl.classes.at("daily").per, std::chrono::hours(24));
  EXPECT_EQ(rl.classes.at("daily").location.format(), "t.yaml:12:7");
}

TEST(RateLimitConfig, ANullAccountOrHeadroomIsTheDefault) {
  auto r = withRateLimit("{account: ~, headroom: ~}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_FALSE(r.config.connections[0].rateLimit.account.has_value());
  EXPECT_DOUBLE_EQ(r.config.connections[0].rateLimit.headroom, 0.9);
}

TEST(RateLimitConfig, AHeadroomOfZeroOrAboveOneIsRefusedNamingTheRange) {
  EXPECT_EQ(messages(withRateLimit("{headroom: 0}\n")),
            std::vector<std::string>{"t.yaml:6:28: connections[0].rate_limit.headroom: must be above 0 and at most 1 "
                                     "(the share of each budget used; default 0.9), got 0"});
  EXPECT_EQ(messages(withRateLimit("{headroom: 1.5}\n")),
            std::vector<std::string>{"t.yaml:6:28: connections[0].rate_limit.headroom: must be above 0 and at most 1 "
                                     "(the share of each budget used; default 0.9), got 1.5"});
  EXPECT_EQ(messages(withRateLimit("{headroom: -0.5}\n")),
            std::vector<std::string>{"t.yaml:6:28: connections[0].rate_limit.headroom: must be above 0 and at most 1 "
                                     "(the share of each budget used; default 0.9), got -0.5"});
  EXPECT_EQ(
      messages(withRateLimit("{headroom: most}\n")),
      std::vector<std::string>{"t.yaml:6:28: connections[0].rate_limit.headroom: expected a number, got \"most\""});
}

TEST(RateLimitConfig, AnEmptyAccountIsRefused) {
  const std::string msg =
      "connections[0].rate_limit.account: must not be empty: name the vendor account whose budgets this connection "
      "shares, or leave it out to share them with the connections that have the same credential";
  EXPECT_EQ(messages(withRateLimit("{account: \"\"}\n")), std::vector<std::string>{"t.yaml:6:27: " + msg});
  EXPECT_EQ(messages(withRateLimit("{account: \"  \"}\n")), std::vector<std::string>{"t.yaml:6:27: " + msg});
}

TEST(RateLimitConfig, AClassGivenAsAValueIsOneProblemNotAlsoAnUnknownKey) {
  EXPECT_EQ(messages(withRateLimit("{rest: 190}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest: a rate-limit class takes "
                                     "{requests: N, per: DURATION}, e.g. {requests: 190, per: 10s}"});
  EXPECT_EQ(messages(withRateLimit("{rest: [190, 10s]}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest: a rate-limit class takes "
                                     "{requests: N, per: DURATION}, e.g. {requests: 190, per: 10s}"});
}

TEST(RateLimitConfig, AClassMissingRequestsOrPerIsOneProblemAtTheMissingKey) {
  EXPECT_EQ(messages(withRateLimit("{rest: {per: 10s}}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest.requests: missing: how many "
                                     "requests (points, for a points class) each `per` allows, e.g. {requests: 190, "
                                     "per: 10s}"});
  EXPECT_EQ(messages(withRateLimit("{rest: {requests: 190}}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest.per: missing: the window that "
                                     "`requests` counts over, e.g. {requests: 190, per: 10s}"});
  EXPECT_EQ(messages(withRateLimit("{rest: {}}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest: a rate-limit class takes "
                                     "{requests: N, per: DURATION}, e.g. {requests: 190, per: 10s}"});
  EXPECT_EQ(messages(withRateLimit("{rest: ~}\n")),
            std::vector<std::string>{"t.yaml:6:24: connections[0].rate_limit.rest: a rate-limit class takes "
                                     "{requests: N, per: DURATION}, e.g. {requests: 190, per: 10s}"});
}

TEST(RateLimitConfig, AClassesValuesAreRangeCheckedAndItsUnknownKeysNamed) {
  EXPECT_EQ(messages(withRateLimit("{rest: {requests: 0, per: 0s}}\n")),
            (std::vector<std::string>{
                "t.yaml:6:35: connections[0].rate_limit.rest.requests: must be between 1 and 1099511627776, got 0",
                "t.yaml:6:43: connections[0].rate_limit.rest.per: must be at least 1ms, got 0s"}));
  EXPECT_EQ(messages(withRateLimit("{rest: {requests: 190, per: 10s, burst: 5}}\n")),
            std::vector<std::string>{"t.yaml:6:50: connections[0].rate_limit.rest.burst: unknown key"});
}

TEST(RateLimitConfig, ARateLimitThatIsNotAMappingIsReported) {
  EXPECT_EQ(messages(withRateLimit("100\n")),
            std::vector<std::string>{"t.yaml:6:17: connections[0].rate_limit: expected a mapping, got \"100\""});
}

}  // namespace rate_limit_config_test
