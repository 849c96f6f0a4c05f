#include <gtest/gtest.h>

#include <Poco/Exception.h>

#include <chrono>

#include "SimProcess.h"

using tributary::sim::testing::HttpResult;
using tributary::sim::testing::SimProcess;

namespace {

const char* const kScenario = "vendors:\n  hubspot: {objects: {deals: 300}}\n";
const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer hubspot-test-token"}};

HttpResult deals(SimProcess& sim, const std::string& query = "") {
  return SimProcess::request("GET", sim.baseUrl("hubspot") + "/crm/v3/objects/deals" + query, "", kAuth);
}

void setFault(SimProcess& sim, const std::string& rule) {
  ASSERT_EQ(SimProcess::request("POST", sim.adminUrl("hubspot") + "/faults", rule).status, 200);
}

}  // namespace

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
