#include <gtest/gtest.h>

#include <set>

#include "SimProcess.h"

using tributary::sim::testing::SimProcess;

namespace {

struct Row {
  std::string modifiedAt;
  bool deleted;
  bool operator==(const Row& other) const = default;
};

std::map<std::string, Row> truthRows(const nlohmann::json& truth) {
  std::map<std::string, Row> rows;
  for (const auto& row : truth["rows"]) rows[row["id"]] = {row["modified_at"], row["deleted"]};
  return rows;
}

void advance(SimProcess& sim, const std::string& vendor, int seconds) {
  SimProcess::request("POST", sim.adminUrl(vendor) + "/clock/advance", "{\"seconds\":" + std::to_string(seconds) + "}");
}

}  // namespace

// A perfect sync reads every list page (live and archived) and must hold exactly the ground
// truth, after creations, modifications and deletions at several simulated times.
TEST(groundtruth_e2e, HubSpotListEndpointsAgreeWithGroundTruth) {
  SimProcess sim("seed: 17\nvendors:\n  hubspot:\n    objects: {deals: 640}\n    poison_rate: 0.03\n");
  const std::string admin = sim.adminUrl("hubspot");
  advance(sim, "hubspot", 600);
  SimProcess::request("POST", admin + "/records/deals", R"({"count":30})");
  advance(sim, "hubspot", 600);
  SimProcess::request("POST", admin + "/records/deals/modify", R"({"count":100})");
  advance(sim, "hubspot", 600);
  SimProcess::request("POST", admin + "/records/deals/delete", R"({"count":25})");
  const auto truth = SimProcess::request("GET", admin + "/ground-truth?object=deals").json();
  const std::set<std::string> poison(truth["errors"].begin(), truth["errors"].end());

  std::map<std::string, Row> listed;
  for (const std::string archived : {"false", "true"}) {
    std::string after;
    do {
      const auto page =
          SimProcess::request("GET",
                              sim.baseUrl("hubspot") + "/crm/v3/objects/deals?limit=100&archived=" + archived +
                                  (after.empty() ? "" : "&after=" + after),
                              "", {{"Authorization", "Bearer hubspot-test-token"}})
              .json();
      for (const auto& record : page["results"]) {
        if (poison.count(record["id"])) continue;
        ASSERT_TRUE(listed.emplace(record["id"], Row{record["updatedAt"], record["archived"]}).second);
      }
      after = page.contains("paging") ? page["paging"]["next"]["after"].get<std::string>() : "";
    } while (!after.empty());
  }
  EXPECT_EQ(listed, truthRows(truth));
  EXPECT_EQ(listed.size() + poison.size(), 670u);
  size_t deleted = 0, changed = 0;
  for (const auto& [id, row] : listed) {
    deleted += row.deleted ? 1 : 0;
    changed += row.modifiedAt >= "2024-06-01T00:10:00.000Z" ? 1 : 0;
  }
  EXPECT_GE(deleted, 20u);
  EXPECT_GE(changed, 130u);
}

TEST(groundtruth_e2e, SalesforceQueryAndQueryAllAgreeWithGroundTruth) {
  SimProcess sim("seed: 23\nvendors:\n  salesforce:\n    objects: {Contact: 2500}\n    poison_rate: 0.03\n");
  const std::string admin = sim.adminUrl("salesforce");
  advance(sim, "salesforce", 600);
  SimProcess::request("POST", admin + "/records/Contact", R"({"count":40})");
  advance(sim, "salesforce", 600);
  SimProcess::request("POST", admin + "/records/Contact/modify", R"({"count":80})");
  advance(sim, "salesforce", 600);
  SimProcess::request("POST", admin + "/records/Contact/delete", R"({"count":30})");
  const auto truth = SimProcess::request("GET", admin + "/ground-truth?object=Contact").json();
  const std::set<std::string> poison(truth["errors"].begin(), truth["errors"].end());
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer salesforce-test-token"}};
  std::map<std::string, Row> listed;
  std::string url =
      sim.baseUrl("salesforce") + "/services/data/v60.0/queryAll?q=SELECT+Id,SystemModstamp,IsDeleted+FROM+Contact";
  size_t pages = 0;
  while (!url.empty()) {
    const auto page = SimProcess::request("GET", url, "", auth).json();
    ++pages;
    for (const auto& record : page["records"]) {
      if (poison.count(record["Id"])) continue;
      std::string stamp = record["SystemModstamp"];
      stamp = stamp.substr(0, 23) + "Z";
      listed[record["Id"]] = {stamp, record["IsDeleted"]};
    }
    url = page["done"] ? "" : sim.baseUrl("salesforce") + page["nextRecordsUrl"].get<std::string>();
  }
  EXPECT_EQ(pages, 2u);
  EXPECT_EQ(listed, truthRows(truth));
  EXPECT_EQ(listed.size() + poison.size(), 2540u);
}
