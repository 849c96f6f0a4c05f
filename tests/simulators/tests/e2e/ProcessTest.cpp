#include <gtest/gtest.h>

#include "SimProcess.h"

using tributary::sim::testing::SimProcess;

TEST(process, ReadyFileListsEveryVendorOnItsOwnLoopbackListener) {
  SimProcess sim("vendors:\n  hubspot: {objects: {deals: 3}}\n  salesforce: {}\n");
  const auto& ready = sim.ready();
  EXPECT_GT(ready["pid"].get<int>(), 0);
  const std::string admin = ready["admin_url"];
  EXPECT_EQ(admin.rfind("http://127.0.0.1:", 0), 0u);
  const std::string hubspot = sim.baseUrl("hubspot");
  const std::string salesforce = sim.baseUrl("salesforce");
  EXPECT_EQ(hubspot.rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_NE(hubspot, salesforce);
  EXPECT_NE(hubspot, admin);
  EXPECT_EQ(sim.adminUrl("hubspot"), hubspot + "/admin");
  EXPECT_EQ(ready["vendors"]["salesforce"]["instance_url"], salesforce);
  const auto status = SimProcess::request("GET", admin + "/admin/status").json();
  EXPECT_EQ(status["vendors"], nlohmann::json({"hubspot", "salesforce"}));
  const auto objects = SimProcess::request("GET", sim.adminUrl("hubspot") + "/objects").json();
  EXPECT_EQ(objects["objects"]["deals"]["size"], 3);
}

TEST(process, TheClockIsSharedAndOnlyMovesForward) {
  SimProcess sim("vendors:\n  hubspot: {}\n  salesforce: {}\n");
  const std::string admin = sim.ready()["admin_url"];
  auto moved = SimProcess::request("POST", admin + "/admin/clock/advance", R"({"to":"2024-06-02T00:00:00Z"})");
  EXPECT_EQ(moved.status, 200);
  EXPECT_EQ(SimProcess::request("GET", sim.adminUrl("salesforce") + "/clock").json()["now"],
            "2024-06-02T00:00:00.000Z");
  EXPECT_EQ(SimProcess::request("POST", admin + "/admin/clock/advance", R"({"to":"2024-06-01T00:00:00Z"})").status,
            400);
}

TEST(process, SigtermStopsCleanlyAndRemovesTheReadyFile) {
  SimProcess sim("vendors:\n  hubspot: {}\n");
  EXPECT_TRUE(sim.readyFileExists());
  EXPECT_EQ(sim.stop(), 0);
  EXPECT_FALSE(sim.readyFileExists());
}

TEST(process, BadScenarioExitsWithTwoAndNamesFileLineAndKey) {
  const auto [code, message] =
      SimProcess::runExpectingFailure("vendors:\n  hubspot:\n    rate_limits: {app: {max: lots}}\n");
  EXPECT_EQ(code, 2);
  EXPECT_NE(message.find("scenario.yaml:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("vendors.hubspot.rate_limits.app.max: expected a non-negative integer, got 'lots'"),
            std::string::npos)
      << message;
}
