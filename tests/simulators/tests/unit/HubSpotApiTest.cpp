#include <gtest/gtest.h>

#include "VendorFixture.h"
#include "hubspot/HubSpotSearch.h"

using tributary::sim::HubSpotPropertyType;
using tributary::sim::HubSpotSearch;
using tributary::sim::testing::VendorFixture;

namespace {

const char* const kScenario = R"(
seed: 9
vendors:
  hubspot:
    objects: {deals: 250, contacts: 40, companies: 10}
    rate_limits: {app: {max: 5, window_ms: 10000}, daily: {max: 8}, search: {max: 2, window_ms: 1000}}
    search: {indexing_lag_ms: 2000}
)";
const char* const kToken = "hubspot-test-token";

std::string search(const std::string& extra) {
  return R"({"filterGroups":[],"sorts":[],"properties":[],"limit":10)" + extra + "}";
}

}  // namespace

TEST(hubspot_api, ListPagesByAfterWithTheLinkAndNoPagingOnTheLastPage) {
  VendorFixture hs(kScenario);
  auto page = hs.call("GET", "/crm/v3/objects/deals?limit=100", "", kToken);
  ASSERT_EQ(page.status, 200) << page.body;
  auto body = hs.json(page);
  EXPECT_EQ(body["results"].size(), 100u);
  EXPECT_EQ(body["paging"]["next"]["after"], "30000000100");
  EXPECT_NE(body["paging"]["next"]["link"].get<std::string>().find("after=30000000100"), std::string::npos);
  const auto& first = body["results"][0];
  EXPECT_EQ(first["id"], "30000000000");
  EXPECT_TRUE(first["properties"].contains("dealname"));
  EXPECT_FALSE(first["properties"].contains("hubspot_owner_id")) << "not a default property";
  EXPECT_EQ(first["createdAt"].get<std::string>().size(), 24u) << "ISO with milliseconds and Z";
  auto last = hs.json(
      hs.call("GET", "/crm/v3/objects/deals?limit=100&after=30000000200&properties=hubspot_owner_id", "", kToken));
  EXPECT_EQ(last["results"].size(), 50u);
  EXPECT_FALSE(last.contains("paging"));
  EXPECT_TRUE(last["results"][0]["properties"].contains("hubspot_owner_id"));
  EXPECT_TRUE(last["results"][0]["properties"].contains("hs_lastmodifieddate")) << "always returned";
}

TEST(hubspot_api, ErrorsCarryStatusMessageCorrelationIdAndCategory) {
  VendorFixture hs(kScenario);
  auto unauthenticated = hs.call("GET", "/crm/v3/objects/deals");
  EXPECT_EQ(unauthenticated.status, 401);
  auto body = hs.json(unauthenticated);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["category"], "INVALID_AUTHENTICATION");
  EXPECT_EQ(body["correlationId"].get<std::string>().size(), 36u);
  auto bad = hs.json(hs.call("GET", "/crm/v3/objects/deals?limit=500", "", kToken));
  EXPECT_EQ(bad["category"], "VALIDATION_ERROR");
}

TEST(hubspot, RateLimit429BodyHeadersAndRecovery) {
  VendorFixture hs(kScenario);
  for (int i = 0; i < 5; ++i) {
    auto ok = hs.call("GET", "/crm/v3/objects/companies", "", kToken);
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(ok.header("X-HubSpot-RateLimit-Max"), "5");
    EXPECT_EQ(ok.header("X-HubSpot-RateLimit-Remaining"), std::to_string(4 - i));
    EXPECT_EQ(ok.header("X-HubSpot-RateLimit-Interval-Milliseconds"), "10000");
  }
  *hs.wallMs += 4000;
  auto limited = hs.call("GET", "/crm/v3/objects/companies", "", kToken);
  EXPECT_EQ(limited.status, 429);
  auto body = hs.json(limited);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["errorType"], "RATE_LIMIT");
  EXPECT_EQ(body["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(body["message"], "You have reached your ten_secondly_rolling limit.");
  EXPECT_EQ(limited.header("Retry-After"), "6") << "the window frees 6 s later, by the wall clock";
  *hs.wallMs += 6000;
  EXPECT_EQ(hs.call("GET", "/crm/v3/objects/companies", "", kToken).status, 200);
}

TEST(hubspot, DailyLimitAnswersTheDailyBody) {
  VendorFixture hs(kScenario);
  for (int i = 0; i < 8; ++i) {
    *hs.wallMs += 20000;  // stay clear of the ten-second window
    ASSERT_EQ(hs.call("GET", "/crm/v3/objects/companies", "", kToken).status, 200);
  }
  auto limited = hs.call("GET", "/crm/v3/objects/companies", "", kToken);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(hs.json(limited)["policyName"], "DAILY");
  EXPECT_EQ(hs.json(limited)["message"], "You have reached your daily limit.");
  EXPECT_TRUE(hs.json(limited).contains("requestId"));
  hs.call("POST", "/admin/quotas/reset");
  EXPECT_EQ(hs.call("GET", "/crm/v3/objects/companies", "", kToken).status, 200);
}

TEST(hubspot, SearchHasItsOwnPerSecondLimitAndNoRateHeaders) {
  VendorFixture hs(kScenario);
  *hs.wallMs += 10000;
  for (int i = 0; i < 2; ++i) {
    auto ok = hs.call("POST", "/crm/v3/objects/deals/search", search(""), kToken);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.header("X-HubSpot-RateLimit-Max"), "");
  }
  auto limited = hs.call("POST", "/crm/v3/objects/deals/search", search(""), kToken);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(hs.json(limited)["errorType"], "RATE_LIMIT");
  EXPECT_EQ(limited.header("X-HubSpot-RateLimit-Max"), "");
  *hs.wallMs += 1000;
  EXPECT_EQ(hs.call("POST", "/crm/v3/objects/deals/search", search(""), kToken).status, 200);
}

TEST(hubspot_api, SearchSeesNewRecordsOnlyAfterTheIndexingLag) {
  VendorFixture hs(kScenario);
  *hs.wallMs += 10000;
  const std::string body = search("");
  const uint64_t before = hs.json(hs.call("POST", "/crm/v3/objects/deals/search", body, kToken))["total"];
  hs.call("POST", "/admin/records/deals", R"({"count":3})");
  *hs.wallMs += 1000;
  EXPECT_EQ(hs.json(hs.call("POST", "/crm/v3/objects/deals/search", body, kToken))["total"], before);
  *hs.wallMs += 1500;
  EXPECT_EQ(hs.json(hs.call("POST", "/crm/v3/objects/deals/search", body, kToken))["total"], before + 3);
}

TEST(hubspot_search, ValidatesTheRequestLimits) {
  HubSpotSearch::Request request;
  std::string error;
  auto groups = [](int groupCount, int filtersPerGroup) {
    nlohmann::json g = nlohmann::json::array();
    for (int i = 0; i < groupCount; ++i) {
      nlohmann::json filters = nlohmann::json::array();
      for (int j = 0; j < filtersPerGroup; ++j) {
        filters.push_back({{"propertyName", "amount"}, {"operator", "HAS_PROPERTY"}});
      }
      g.push_back({{"filters", filters}});
    }
    return nlohmann::json{{"filterGroups", g}}.dump();
  };
  EXPECT_TRUE(HubSpotSearch::parse(groups(3, 6), request, error)) << error;
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(groups(6, 1), request, error));
  EXPECT_NE(error.find("filter groups"), std::string::npos);
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(groups(1, 7), request, error));
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(groups(4, 5), request, error)) << "20 filters > 18";
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(R"({"sorts":["a","b"]})", request, error));
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(R"({"limit":201})", request, error));
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(R"({"after":"10000"})", request, error));
  EXPECT_NE(error.find("10000"), std::string::npos);
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(std::string(3001, ' '), request, error));
  request = {};
  EXPECT_FALSE(HubSpotSearch::parse(
      R"({"filterGroups":[{"filters":[{"propertyName":"a","operator":"LIKE","value":"x"}]}]})", request, error));
}

TEST(hubspot_search, OperatorsCompareByPropertyType) {
  auto f = [](std::string op, std::optional<std::string> value, std::vector<std::string> values = {},
              std::optional<std::string> high = std::nullopt) {
    return HubSpotSearch::Filter{"p", std::move(op), std::move(value), std::move(high), std::move(values)};
  };
  using T = HubSpotPropertyType;
  EXPECT_TRUE(HubSpotSearch::matches(f("GTE", "1579514400000"), "2020-01-20T10:00:00.000Z", T::DateTime));
  EXPECT_FALSE(HubSpotSearch::matches(f("GT", "1579514400000"), "2020-01-20T10:00:00.000Z", T::DateTime));
  EXPECT_TRUE(HubSpotSearch::matches(f("LT", "10"), "9.5", T::Number));
  EXPECT_FALSE(HubSpotSearch::matches(f("LT", "10"), "10", T::Number));
  EXPECT_TRUE(HubSpotSearch::matches(f("BETWEEN", "1", {}, "3"), "3", T::Number));
  EXPECT_TRUE(HubSpotSearch::matches(f("EQ", "acme"), "ACME", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("NEQ", "acme"), std::nullopt, T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("IN", std::nullopt, {"a", "closedwon"}), "closedwon", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("NOT_IN", std::nullopt, {"a"}), "b", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("HAS_PROPERTY", std::nullopt), "x", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("NOT_HAS_PROPERTY", std::nullopt), std::nullopt, T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("CONTAINS_TOKEN", "renewal"), "Acme - Renewal", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("CONTAINS_TOKEN", "ren*"), "Acme - Renewal", T::String));
  EXPECT_TRUE(HubSpotSearch::matches(f("NOT_CONTAINS_TOKEN", "upsell"), "Acme - Renewal", T::String));
}

TEST(hubspot_api, SearchSortsByOnePropertyWithTiesById) {
  VendorFixture hs(R"(
vendors:
  hubspot:
    objects: {deals: 0, contacts: 0, companies: 0}
    search: {indexing_lag_ms: 0}
)");
  // Three deals created at the same simulated instant tie on hs_lastmodifieddate.
  hs.call("POST", "/admin/records/deals", R"({"records":[{"amount":"30"},{"amount":"10"},{"amount":"30"}]})");
  auto body = hs.json(
      hs.call("POST", "/crm/v3/objects/deals/search",
              R"({"sorts":[{"propertyName":"amount","direction":"DESCENDING"}],"properties":["amount"]})", kToken));
  ASSERT_EQ(body["total"], 3);
  EXPECT_EQ(body["results"][0]["id"], "30000000000");
  EXPECT_EQ(body["results"][1]["id"], "30000000002");
  EXPECT_EQ(body["results"][2]["id"], "30000000001");
}
