#include <gtest/gtest.h>

#include <Poco/Exception.h>

#include <chrono>

#include "SimProcess.h"

using tributary::sim::testing::HttpResult;
using tributary::sim::testing::SimProcess;

namespace transport_faults_test {

const char* const kScenario = "vendors:\n  hubspot: {objects: {deals: 300}}\n";
const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer hubspot-test-token"}};

HttpResult deals(SimProcess& sim, const std::string& query = "") {
  return SimProcess::request("GET", sim.baseUrl("hubspot") + "/crm/v3/objects/deals" + query, "", kAuth);
}

void setFault(SimProcess& sim, const std::string& rule) {
  ASSERT_EQ(SimProcess::request("POST", sim.adminUrl("hubspot") + "/faults", rule).status, 200);
}

TEST(faults_e2e, ConnectionResetDropsTheConnectionWithoutAnAnswer) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"connection_reset","count":1})");
  EXPECT_THROW(deals(sim), Poco::Exception);
  EXPECT_EQ(deals(sim).status, 200) << "the next request is served";
  const auto log = SimProcess::request("GET", sim.adminUrl("hubspot") + "/requests").json();
  EXPECT_EQ(log["requests"][0]["status"], 0);
  EXPECT_EQ(log["requests"][0]["faults"], "connection_reset");
}

TEST(faults_e2e, TruncatedBodyEndsBeforeTheAnnouncedLength) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"truncated_body","count":1})");
  try {
    deals(sim, "?limit=100");
    FAIL() << "a truncated body must not read as complete";
  } catch (const std::exception& error) {
    SUCCEED() << error.what();
  }
  EXPECT_EQ(deals(sim).status, 200);
}

TEST(faults_e2e, LatencyDelaysTheAnswer) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"latency","latency_ms":300,"count":1})");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(deals(sim).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST(faults_e2e, MalformedJsonIsAnUnparseable200) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"malformed_json","count":1})");
  const auto response = deals(sim);
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(nlohmann::json::accept(response.body));
}

TEST(faults_e2e, RateLimitStormThenRecovery) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"rate_limit","count":3,"path":"/crm/v3/objects/deals"})");
  for (int i = 0; i < 3; ++i) {
    const auto response = deals(sim);
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(response.json()["policyName"], "TEN_SECONDLY_ROLLING");
    EXPECT_EQ(response.headers.at("Retry-After"), "10");
  }
  EXPECT_EQ(deals(sim).status, 200);
}

TEST(faults_e2e, ServerErrorsExpiredTokensAndCursorsOverHttp) {
  SimProcess sim(kScenario);
  setFault(sim, R"({"kind":"server_error","status":504,"count":1})");
  EXPECT_EQ(deals(sim).status, 504);
  setFault(sim, R"({"kind":"expired_token","count":1})");
  EXPECT_EQ(deals(sim).status, 401);
  setFault(sim, R"({"kind":"expired_cursor","count":1})");
  EXPECT_EQ(deals(sim).status, 200);
  EXPECT_EQ(deals(sim, "?after=30000000010").status, 400);
}

TEST(faults_e2e, ProbabilisticFailuresRepeatForTheSameSeed) {
  auto run = [](uint64_t seed) {
    SimProcess sim(kScenario);
    setFault(sim, R"({"kind":"server_error","status":503,"probability":0.4,"seed":)" + std::to_string(seed) +
                      R"(,"path":"/crm/v3/objects/deals"})");
    std::string pattern;
    for (int i = 0; i < 30; ++i) pattern += deals(sim).status == 503 ? 'x' : '.';
    return pattern;
  };
  const std::string first = run(21);
  EXPECT_EQ(first, run(21));
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

// A vendor's rate-limit error inside a 200 (GraphQL style), from the admin API.
TEST(faults_e2e, RespondSendsTheRuleStatusHeadersAndBodyAsGiven) {
  SimProcess sim(kScenario);
  const std::string body =
      R"({"errors":[{"message":"Complexity budget exhausted","extensions":{"code":"ComplexityException"}}]})";
  setFault(sim, nlohmann::json({{"kind", "respond"},
                                {"status", 200},
                                {"body", body},
                                {"headers", {{"Retry-After", "1"}}},
                                {"count", 2},
                                {"path", "/crm/v3/objects/deals"}})
                    .dump());
  for (int i = 0; i < 2; ++i) {
    const auto response = deals(sim);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, body);
    EXPECT_EQ(response.headers.at("Retry-After"), "1");
    EXPECT_EQ(response.headers.at("Content-Type"), "application/json;charset=UTF-8");
    EXPECT_EQ(response.headers.count("X-HubSpot-RateLimit-Max"), 0u) << "only the rule's headers";
  }
  EXPECT_TRUE(deals(sim).json().contains("results")) << "the rule retired after count";
  const auto log = SimProcess::request("GET", sim.adminUrl("hubspot") + "/requests").json();
  EXPECT_EQ(log["requests"][0]["faults"], "respond");
  EXPECT_EQ(log["requests"][0]["status"], 200);
}

// A quota error from the scenario file, with its own Content-Type, on another vendor.
TEST(faults_e2e, RespondFromTheScenarioAnswersEveryMatchingRequest) {
  SimProcess sim(R"(vendors:
  salesforce:
    faults:
      - kind: respond
        status: 403
        body: 'quota exceeded for today'
        headers: {Content-Type: text/plain, X-Quota-Reset: "3600"}
        path: /services/data/v60.0/limits
)");
  const std::string url = sim.baseUrl("salesforce") + "/services/data/v60.0/limits";
  for (int i = 0; i < 2; ++i) {
    const auto response = SimProcess::request("GET", url, "", {{"Authorization", "Bearer salesforce-test-token"}});
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.body, "quota exceeded for today");
    EXPECT_EQ(response.headers.at("Content-Type"), "text/plain");
    EXPECT_EQ(response.headers.at("X-Quota-Reset"), "3600");
  }
}

TEST(faults_e2e, BadRespondRuleIsRefusedWithTheField) {
  SimProcess sim(kScenario);
  const auto refused = SimProcess::request("POST", sim.adminUrl("hubspot") + "/faults",
                                           R"({"kind":"respond","status":200,"headers":{"Retry-After":1}})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.json()["error"],
            "POST /admin/faults: body.headers.Retry-After: expected a string (in YAML quote numbers: \"1\")");
  const auto exit =
      SimProcess::runExpectingFailure("vendors:\n  hubspot:\n    faults: [{kind: respond, status: 600}]\n");
  EXPECT_EQ(exit.first, 2);
  EXPECT_NE(exit.second.find("vendors.hubspot.faults[0].status: expected an integer from 100 to 599"),
            std::string::npos)
      << exit.second;
}

}  // namespace transport_faults_test
