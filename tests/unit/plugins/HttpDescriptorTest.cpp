// ABI 1.1 http in the descriptor: the rate-limit classes and vendor rules the loader reads
// (fixture_http_vendor.cpp, on sdk.hpp), every refusal with its exact message, and the probe's
// JSON of them read back.
#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "plugins/DescriptorReader.h"

namespace tributary::plugins {
namespace {

using testing::loadPlugin;

std::filesystem::path httpFixture() {
  return std::filesystem::path(TRIBUTARY_TEST_HTTP_FIXTURE_DIR) / "fixture_http_vendor.so";
}

TEST(http_descriptor, TheFixtureLoadsWithItsThreeClassesAndThreeRules) {
  auto p = loadPlugin(httpFixture());
  EXPECT_EQ(p->name(), "tributary.fixture_http");
  ASSERT_EQ(p->rateLimits().size(), 3u);
  const RateLimitDescriptor& rest = p->rateLimits()[0];
  EXPECT_EQ(rest.name, "rest");
  EXPECT_EQ(rest.requests, 100u);
  EXPECT_EQ(rest.perMs, 10'000);
  EXPECT_FALSE(rest.points || rest.quota || rest.everyRequest);
  EXPECT_EQ(rest.description, "HubSpot's 100 requests per 10 s");
  EXPECT_EQ(p->rateLimits()[1].name, "search");
  EXPECT_EQ(p->rateLimits()[1].requests, 5u);
  EXPECT_EQ(p->rateLimits()[1].perMs, 1'000);
  const RateLimitDescriptor* daily = p->findRateLimit("daily");
  ASSERT_TRUE(daily);
  EXPECT_EQ(daily->requests, 250'000u);
  EXPECT_EQ(daily->perMs, 86'400'000);
  EXPECT_FALSE(daily->points);
  EXPECT_TRUE(daily->quota);
  EXPECT_TRUE(daily->everyRequest);
  EXPECT_EQ(p->findRateLimit("hourly"), nullptr);

  ASSERT_EQ(p->httpRules().size(), 3u);
  const HttpRuleDescriptor& hubspot = p->httpRules()[0];
  EXPECT_EQ(hubspot.action, HttpRuleAction::Quota);
  EXPECT_EQ(hubspot.status, 429);
  EXPECT_EQ(hubspot.errorCode, "DAILY");
  EXPECT_EQ(hubspot.limitClass, "daily");
  EXPECT_EQ(hubspot.waitMs, 0);
  EXPECT_EQ(hubspot.description, "HubSpot's daily limit");
  EXPECT_EQ(p->httpRules()[1].action, HttpRuleAction::Quota);
  EXPECT_EQ(p->httpRules()[1].status, 403);
  EXPECT_EQ(p->httpRules()[1].errorCode, "REQUEST_LIMIT_EXCEEDED");
  const HttpRuleDescriptor& complexity = p->httpRules()[2];
  EXPECT_EQ(complexity.action, HttpRuleAction::RateLimit);
  EXPECT_EQ(complexity.status, 200);
  EXPECT_EQ(complexity.errorCode, "ComplexityException");
  EXPECT_EQ(complexity.limitClass, "");
}

TEST(http_descriptor, ToJsonListsClassesAndRulesAndFromJsonReadsThemBack) {
  auto p = loadPlugin(httpFixture());
  const nlohmann::json j = p->toJson();
  ASSERT_EQ(j["rate_limits"].size(), 3u);
  EXPECT_EQ(j["rate_limits"][2], (nlohmann::json{{"name", "daily"},
                                                 {"requests", 250000},
                                                 {"per_ms", 86400000},
                                                 {"points", false},
                                                 {"quota", true},
                                                 {"every_request", true},
                                                 {"description", "A day's requests, every class"}}));
  ASSERT_EQ(j["http_rules"].size(), 3u);
  EXPECT_EQ(j["http_rules"][0]["action"], "quota");
  EXPECT_EQ(j["http_rules"][2], (nlohmann::json{{"action", "rate_limit"},
                                                {"status", 200},
                                                {"error_code", "ComplexityException"},
                                                {"limit_class", nullptr},
                                                {"wait_ms", 0},
                                                {"description", "a rate limit inside a 200"}}));

  auto back = ConnectorPlugin::fromJson(j);
  EXPECT_FALSE(back->hasCode());
  ASSERT_EQ(back->rateLimits().size(), p->rateLimits().size());
  for (size_t i = 0; i < p->rateLimits().size(); ++i) {
    const auto &a = p->rateLimits()[i], &b = back->rateLimits()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_EQ(a.perMs, b.perMs);
    EXPECT_EQ(a.points, b.points);
    EXPECT_EQ(a.quota, b.quota);
    EXPECT_EQ(a.everyRequest, b.everyRequest);
    EXPECT_EQ(a.description, b.description);
  }
  ASSERT_EQ(back->httpRules().size(), p->httpRules().size());
  for (size_t i = 0; i < p->httpRules().size(); ++i) {
    const auto &a = p->httpRules()[i], &b = back->httpRules()[i];
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.errorCode, b.errorCode);
    EXPECT_EQ(a.limitClass, b.limitClass);
    EXPECT_EQ(a.waitMs, b.waitMs);
    EXPECT_EQ(a.description, b.description);
  }
  EXPECT_EQ(back->toJson(), j);
}

TEST(http_descriptor, FromJsonRefusesABadClassOrRuleNamingTheField) {
  nlohmann::json j = loadPlugin(httpFixture())->toJson();
  auto refusal = [](const nlohmann::json& bad) {
    try {
      ConnectorPlugin::fromJson(bad);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  nlohmann::json bad = j;
  bad["rate_limits"][1]["requests"] = 0;
  EXPECT_EQ(refusal(bad), "plugin.rate_limits[1].requests is not a positive integer");
  bad = j;
  bad["http_rules"][0]["action"] = "backoff";
  EXPECT_EQ(refusal(bad), "plugin.http_rules[0].action is not retry, rate_limit, quota or refresh_auth");
  bad = j;
  bad["http_rules"][1].erase("wait_ms");
  EXPECT_EQ(refusal(bad), "plugin.http_rules[1] has no \"wait_ms\"");
  // A probe of a host before 1.1 http listed neither: none.
  bad = j;
  bad.erase("rate_limits");
  bad.erase("http_rules");
  auto older = ConnectorPlugin::fromJson(bad);
  EXPECT_TRUE(older->rateLimits().empty());
  EXPECT_TRUE(older->httpRules().empty());
}

// The descriptor checks for classes and rules, each with its message: the loader refuses such a
// plugin (see PluginLoaderTest for how a reason is worded around it).
class http_descriptor_checks : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin = loadPlugin(httpFixture());
    d = plugin->descriptor();
    limits.assign(d.rate_limits, d.rate_limits + d.rate_limit_count);
    rules.assign(d.http_rules, d.http_rules + d.http_rule_count);
  }
  std::string validate() {
    d.rate_limits = limits.data();
    d.rate_limit_count = static_cast<uint32_t>(limits.size());
    d.http_rules = rules.data();
    d.http_rule_count = static_cast<uint32_t>(rules.size());
    return DescriptorReader(d).validate();
  }
  std::shared_ptr<const ConnectorPlugin> plugin;
  tributary_connector_v1 d{};
  std::vector<tributary_rate_limit_v1> limits;
  std::vector<tributary_http_rule_v1> rules;
};

TEST_F(http_descriptor_checks, TheFixtureIsValid) { EXPECT_EQ(validate(), ""); }

TEST_F(http_descriptor_checks, RefusesAClassDeclaredTwice) {
  limits[1].name = "rest";
  EXPECT_EQ(validate(), "rate-limit class 'rest' is declared twice");
}

TEST_F(http_descriptor_checks, RefusesAnUnknownClassFlagBit) {
  limits[0].flags = TRIBUTARY_RATE_LIMIT_QUOTA | 0x8u;
  EXPECT_EQ(validate(),
            "rate-limit class 'rest' has unknown flag bits 0x8 (known: TRIBUTARY_RATE_LIMIT_POINTS 0x1, "
            "TRIBUTARY_RATE_LIMIT_QUOTA 0x2, TRIBUTARY_RATE_LIMIT_EVERY_REQUEST 0x4)");
}

TEST_F(http_descriptor_checks, RefusesAClassOfNoRequestsOrNoWindow) {
  limits[1].requests = 0;
  EXPECT_EQ(validate(), "rate-limit class 'search' allows 0 requests (at least 1)");
  limits[1].requests = 5;
  limits[1].per_ms = 0;
  EXPECT_EQ(validate(), "rate-limit class 'search' has the window 0 ms (at least 1)");
  limits[1].per_ms = -1000;
  EXPECT_EQ(validate(), "rate-limit class 'search' has the window -1000 ms (at least 1)");
}

TEST_F(http_descriptor_checks, RefusesAClassNamedAsTheRateLimitConfigurationsOwnKeys) {
  limits[1].name = "account";
  EXPECT_EQ(validate(),
            "rate-limit class 'account' takes a name the rate_limit: configuration uses for itself; rename it");
  limits[1].name = "headroom";
  EXPECT_EQ(validate(),
            "rate-limit class 'headroom' takes a name the rate_limit: configuration uses for itself; rename it");
  limits[1].name = "Search";
  EXPECT_EQ(validate(), "rate-limit class 1 has the name 'Search', which is not lowercase [a-z0-9_]");
  limits[1].name = nullptr;
  EXPECT_EQ(validate(), "rate-limit class 1 has the name '(null)', which is not lowercase [a-z0-9_]");
}

TEST_F(http_descriptor_checks, RefusesARuleWithAnUnknownActionOrAStatusOutOfRange) {
  rules[0].action = 0;
  EXPECT_EQ(validate(),
            "HTTP rule 0 has the action 0 (known: TRIBUTARY_HTTP_RULE_RETRY 1, RATE_LIMIT 2, QUOTA 3, REFRESH_AUTH 4)");
  rules[0].action = 5;
  EXPECT_EQ(validate(),
            "HTTP rule 0 has the action 5 (known: TRIBUTARY_HTTP_RULE_RETRY 1, RATE_LIMIT 2, QUOTA 3, REFRESH_AUTH 4)");
  rules[0].action = TRIBUTARY_HTTP_RULE_QUOTA;
  rules[1].status = 99;
  EXPECT_EQ(validate(), "HTTP rule 1 matches the status 99 (100..599)");
  rules[1].status = 600;
  EXPECT_EQ(validate(), "HTTP rule 1 matches the status 600 (100..599)");
}

TEST_F(http_descriptor_checks, RefusesARuleNamingAnUndeclaredClassOrARetryRuleNamingOne) {
  rules[0].limit_class = "hourly";
  EXPECT_EQ(validate(), "HTTP rule 0 names the class 'hourly', which the connector does not declare");
  rules[0].limit_class = "daily";
  rules[0].action = TRIBUTARY_HTTP_RULE_RETRY;
  EXPECT_EQ(validate(), "HTTP rule 0 names the class 'daily', which a RETRY rule cannot");
  rules[0].limit_class = "";
  EXPECT_EQ(validate(), "") << "a RETRY rule with an empty class";
  rules[0].limit_class = nullptr;
  EXPECT_EQ(validate(), "") << "or none";
}

TEST_F(http_descriptor_checks, RefusesARuleWithReservedBitsOrANegativeWait) {
  rules[2].reserved = 1;
  EXPECT_EQ(validate(), "HTTP rule 2 has reserved 0x1 (reserved: 0)");
  rules[2].reserved = 0;
  rules[2].wait_ms = -1;
  EXPECT_EQ(validate(), "HTTP rule 2 has the wait -1 ms (0 or more)");
}

TEST_F(http_descriptor_checks, RefusesTruncatedEntriesAndCountsWithoutArrays) {
  limits[0].struct_size = 8;
  EXPECT_EQ(validate(), "its rate-limit entries are truncated (struct_size 8, ABI 1.1 needs at least " +
                            std::to_string(sizeof(tributary_rate_limit_v1)) + ")");
  limits[0].struct_size = sizeof(tributary_rate_limit_v1);
  rules[0].struct_size = 8;
  EXPECT_EQ(validate(), "its HTTP rule entries are truncated (struct_size 8, ABI 1.1 needs at least " +
                            std::to_string(sizeof(tributary_http_rule_v1)) + ")");
  rules[0].struct_size = sizeof(tributary_http_rule_v1);
  d.rate_limit_count = 2;
  d.rate_limits = nullptr;
  EXPECT_EQ(DescriptorReader(d).validate(), "rate_limit_count is 2 but rate_limits is NULL");
}

}  // namespace
}  // namespace tributary::plugins
