#include <gtest/gtest.h>

#include "VendorFixture.h"
#include "framework/ConfigError.h"
#include "framework/FaultInjector.h"
#include "framework/RollingWindowLimiter.h"
#include "framework/Scenario.h"

using namespace tributary::sim;
using tributary::sim::testing::VendorFixture;

TEST(ratelimit, SlidingWindowCountsByTheWallClock) {
  int64_t now = 1000;
  RollingWindowLimiter limiter(3, 1000, [&] { return now; });
  EXPECT_TRUE(limiter.acquire().allowed);
  now += 400;
  EXPECT_TRUE(limiter.acquire().allowed);
  EXPECT_EQ(limiter.acquire().remaining, 0u);
  const auto refused = limiter.acquire();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retryAfterMs, 600);
  now += 600;
  EXPECT_TRUE(limiter.acquire().allowed) << "the first request left the window";
  EXPECT_FALSE(limiter.acquire().allowed);
  limiter.reset();
  EXPECT_TRUE(limiter.acquire().allowed);
  RollingWindowLimiter off(0, 1000, [&] { return now; });
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.acquire().allowed);
}

TEST(faults, CountPathMethodAndSeededProbability) {
  FaultInjector injector;
  injector.add(FaultRule::fromJson(
      {{"kind", "server_error"}, {"status", 503}, {"count", 2}, {"path", "/crm/v3/objects/deals"}, {"method", "GET"}},
      "test"));
  const auto deals = SimRequest::make("GET", "/crm/v3/objects/deals");
  EXPECT_TRUE(injector.decide(SimRequest::make("GET", "/crm/v3/objects/contacts"), false).empty());
  EXPECT_TRUE(injector.decide(SimRequest::make("POST", "/crm/v3/objects/deals"), false).empty());
  EXPECT_EQ(injector.decide(deals, false).at(0).status, 503);
  EXPECT_EQ(injector.decide(deals, false).size(), 1u);
  EXPECT_TRUE(injector.decide(deals, false).empty()) << "retired after count";
  injector.clear();
  auto pattern = [&](uint64_t seed) {
    FaultInjector seeded;
    seeded.add(
        FaultRule::fromJson({{"kind", "latency"}, {"latency_ms", 1}, {"probability", 0.3}, {"seed", seed}}, "t"));
    std::string out;
    for (int i = 0; i < 200; ++i) out += seeded.decide(deals, false).empty() ? '.' : 'x';
    return out;
  };
  EXPECT_EQ(pattern(7), pattern(7));
  EXPECT_NE(pattern(7), pattern(8));
  const std::string seven = pattern(7);
  const auto hits = std::count(seven.begin(), seven.end(), 'x');
  EXPECT_NEAR(hits / 200.0, 0.3, 0.1);
  injector.add(FaultRule::fromJson({{"kind", "expired_cursor"}}, "t"));
  EXPECT_TRUE(injector.decide(deals, false).empty()) << "only requests that carry a cursor";
  EXPECT_EQ(injector.decide(deals, true).size(), 1u);
}

TEST(faults, BadRulesNameTheField) {
  auto message = [](const nlohmann::json& body) {
    try {
      FaultRule::fromJson(body, "faults[0]");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"kind", "server_error"}, {"status", 404}}), "faults[0].status: expected 500, 502, 503 or 504");
  EXPECT_EQ(message({{"kind", "latency"}}), "faults[0].latency_ms: required for a latency fault");
  EXPECT_EQ(message({{"kind", "rate_limit"}, {"probability", 2}}),
            "faults[0].probability: expected a number in [0, 1]");
  EXPECT_NE(message({{"kind", "rate_limit"}, {"colour", 1}}).find("faults[0].colour: unknown field"),
            std::string::npos);
}

TEST(faults, VendorShapedBodiesForEachReplacingFault) {
  VendorFixture hs(R"(
vendors:
  hubspot:
    objects: {deals: 5}
    faults:
      - {kind: rate_limit, count: 1}
)");
  const char* token = "hubspot-test-token";
  // Every rule with a count fires on the next matching requests, so set them one at a time.
  auto r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(hs.json(r)["policyName"], "TEN_SECONDLY_ROLLING");
  ASSERT_EQ(hs.call("POST", "/admin/faults", R"({"kind":"server_error","status":502,"count":1})").status, 200);
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(hs.json(r)["status"], "error");
  hs.call("POST", "/admin/faults", R"({"kind":"expired_token","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(hs.json(r)["category"], "EXPIRED_AUTHENTICATION");
  hs.call("POST", "/admin/faults", R"({"kind":"malformed_json","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(nlohmann::json::accept(r.body));
  hs.call("POST", "/admin/faults", R"({"kind":"expired_cursor","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 200) << "expired_cursor waits for a request with a cursor";
  r = hs.call("GET", "/crm/v3/objects/deals?after=30000000002", "", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(hs.json(r)["category"], "VALIDATION_ERROR");
  const auto log = hs.json(hs.call("GET", "/admin/requests"));
  EXPECT_EQ(log["requests"].size(), 6u);
  EXPECT_EQ(log["requests"][0]["faults"], "rate_limit");
  EXPECT_EQ(log["requests"][0]["token"], "hubspot-test-token");
  EXPECT_EQ(log["requests"][5]["query"], "after=30000000002");

  VendorFixture sf(R"(
vendors:
  salesforce:
    faults: [{kind: rate_limit, count: 1}]
)");
  const std::string q = "/services/data/v60.0/query?q=SELECT+Id+FROM+Account";
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(sf.json(r)[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
  sf.call("POST", "/admin/faults", R"({"kind":"expired_token","count":1})");
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(sf.json(r)[0]["errorCode"], "INVALID_SESSION_ID");
  sf.call("POST", "/admin/faults", R"({"kind":"server_error","status":503,"count":1})");
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.header("Sforce-Limit-Info"), "");
}

TEST(scenario, ErrorsNameFileLineAndKey) {
  auto message = [](const std::string& text) {
    try {
      VendorFixture fixture(text);
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("vendors:\n  hubspot:\n    objects: {dealz: 5}\n"),
            "test.yaml:3:15: vendors.hubspot.objects.dealz: unknown key (allowed: deals, contacts, "
            "companies)");
  EXPECT_EQ(message("vendors:\n  hubspot:\n    objects: {deals: many}\n"),
            "test.yaml:3:22: vendors.hubspot.objects.deals: expected a non-negative integer, got 'many'");
  EXPECT_EQ(message("vendors:\n  zendesk: {}\n"),
            "test.yaml:2:12: vendors.zendesk: unknown vendor (known: hubspot, salesforce)");
  EXPECT_EQ(message("seed: 1\n"), "test.yaml:1:1: missing key 'vendors' (a mapping of vendor name to its section)");
  EXPECT_EQ(message("clock: {start: yesterday}\nvendors: {hubspot: {}}\n"),
            "test.yaml:1:16: clock.start: expected an ISO 8601 time such as 2024-06-01T00:00:00Z");
  EXPECT_NE(message("vendors: [\n").find("test.yaml:2:1: not valid YAML"), std::string::npos);
  EXPECT_NE(message("vendors:\n  salesforce:\n    faults: [{kind: nope}]\n")
                .find("test.yaml: vendors.salesforce.faults[0].kind: unknown fault 'nope'"),
            std::string::npos);
}
