#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "SimProcess.h"

using tributary::sim::testing::SimProcess;

// The window is configurable so the test waits well under a second of real time.
TEST(hubspot_e2e, RollingWindowAndRetryAfterFollowTheWallClock) {
  SimProcess sim("vendors:\n  hubspot:\n    rate_limits: {app: {max: 3, window_ms: 400}}\n");
  const std::string url = sim.baseUrl("hubspot") + "/crm/v3/objects/deals";
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer hubspot-test-token"}};
  for (int i = 0; i < 3; ++i) ASSERT_EQ(SimProcess::request("GET", url, "", auth).status, 200);
  const auto limited = SimProcess::request("GET", url, "", auth);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.at("Retry-After"), "1");
  EXPECT_EQ(limited.headers.at("X-HubSpot-RateLimit-Remaining"), "0");
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(SimProcess::request("GET", url, "", auth).status, 200);
  const auto log = SimProcess::request("GET", sim.adminUrl("hubspot") + "/requests?path_prefix=/crm").json();
  ASSERT_EQ(log["requests"].size(), 5u);
  EXPECT_EQ(log["requests"][3]["status"], 429);
  EXPECT_GE(log["requests"][4]["time_ms"].get<int64_t>() - log["requests"][0]["time_ms"].get<int64_t>(), 400);
}

TEST(salesforce_e2e, EveryResponseCarriesSforceLimitInfo) {
  SimProcess sim("vendors:\n  salesforce:\n    limits: {daily_api_requests: 2}\n");
  const std::string base = sim.baseUrl("salesforce") + "/services/data/v60.0";
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer salesforce-test-token"}};
  EXPECT_EQ(SimProcess::request("GET", base + "/limits", "", auth).headers.at("Sforce-Limit-Info"), "api-usage=1/2");
  EXPECT_EQ(SimProcess::request("GET", base + "/query?q=SELECT+Id+FROM+Nope", "", auth).headers.at("Sforce-Limit-Info"),
            "api-usage=2/2");
  const auto over = SimProcess::request("GET", base + "/limits", "", auth);
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.json()[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(over.headers.at("Sforce-Limit-Info"), "api-usage=2/2");
}
