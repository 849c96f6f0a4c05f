#include <gtest/gtest.h>

#include "VendorFixture.h"
#include "framework/CanonicalDigest.h"

using tributary::sim::testing::VendorFixture;

namespace {

const char* const kHubSpot = R"(
seed: 5
vendors:
  hubspot:
    objects: {deals: 2000, contacts: 500, companies: 300}
    dirty_rate: 0.3
    poison_rate: 0.05
)";

}  // namespace

TEST(groundtruth, GeneratedDataIsDirtyAndHasPoisonAtTheConfiguredRates) {
  VendorFixture hubspot(kHubSpot);
  auto* deals = hubspot.runtime->vendor().object("deals");
  int empty = 0, nullName = 0, unmapped = 0, longName = 0, poison = 0;
  for (uint64_t i = 0; i < 2000; ++i) {
    const auto state = deals->store().latest(i);
    const auto raw = deals->generate(*state);
    const auto& p = raw["properties"];
    for (const auto& [key, value] : p.items()) {
      if (value.is_string() && value.get<std::string>().empty()) ++empty;
    }
    if (p["dealname"].is_null()) ++nullName;
    if (p["dealname"].is_string() && p["dealname"].get<std::string>().size() > 300) ++longName;
    if (p["dealstage"] == "legacy_stage_2019" || p["dealstage"] == "Closed Won (old)") ++unmapped;
    const auto canonical = deals->canonicalize(raw);
    EXPECT_EQ(canonical.poisonReason.has_value(), state->poison) << "deal " << i;
    if (canonical.poisonReason) ++poison;
    for (const auto& [key, value] : p.items()) {
      EXPECT_TRUE(value.is_string() || value.is_null()) << "HubSpot properties are strings: " << key;
    }
  }
  EXPECT_GT(empty, 100);
  EXPECT_GT(nullName, 20);
  EXPECT_GT(unmapped, 20);
  EXPECT_GT(longName, 20);
  EXPECT_NEAR(poison / 2000.0, 0.05, 0.02);
}

TEST(groundtruth, RowsAndErrorsCoverEveryRecordAndFollowMutations) {
  VendorFixture hubspot(kHubSpot);
  auto before = hubspot.json(hubspot.call("GET", "/admin/ground-truth?object=companies"));
  EXPECT_EQ(before["rows"].size() + before["errors"].size(), 300u);
  const std::string id = before["rows"][0]["id"];
  const std::string hash = before["rows"][0]["hash"];
  hubspot.call("POST", "/admin/clock/advance", R"({"seconds":120})");
  auto modified = hubspot.call("POST", "/admin/records/companies/modify",
                               R"({"ids":[")" + id + R"("],"fields":{"name":"Renamed Ltd"}})");
  ASSERT_EQ(modified.status, 200) << modified.body;
  auto after = hubspot.json(hubspot.call("GET", "/admin/ground-truth?object=companies"));
  EXPECT_EQ(after["rows"][0]["modified_at"], "2024-06-01T00:02:00.000Z");
  EXPECT_NE(after["rows"][0]["hash"], hash);
  hubspot.call("POST", "/admin/records/companies/delete", R"({"ids":[")" + id + R"("]})");
  after = hubspot.json(hubspot.call("GET", "/admin/ground-truth?object=companies"));
  EXPECT_EQ(after["rows"][0]["deleted"], true);
  // A record set to a value that cannot be mapped moves from rows to errors.
  const std::string other = after["rows"][1]["id"];
  hubspot.call("POST", "/admin/records/companies/modify", R"({"ids":[")" + other + R"("],"fields":{"name":"  "}})");
  after = hubspot.json(hubspot.call("GET", "/admin/ground-truth?object=companies"));
  EXPECT_NE(std::find(after["errors"].begin(), after["errors"].end(), other), after["errors"].end());
}

TEST(groundtruth, BadAdminRequestsNameTheField) {
  VendorFixture hubspot(kHubSpot);
  auto r = hubspot.call("GET", "/admin/ground-truth?object=dealz");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("dealz"), std::string::npos);
  EXPECT_NE(r.body.find("known: deals, contacts, companies"), std::string::npos);
  r = hubspot.call("POST", "/admin/records/deals/modify", R"({"count":1,"fields":{"nope":"x"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("fields.nope: not a writable field of deals"), std::string::npos) << r.body;
  r = hubspot.call("POST", "/admin/records/deals", R"({"count":"ten"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'count'"), std::string::npos);
  r = hubspot.call("POST", "/admin/clock/advance", R"({"ms":-5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("only moves forward"), std::string::npos);
  r = hubspot.call("POST", "/admin/faults", R"({"kind":"meteor"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("kind: unknown fault 'meteor'"), std::string::npos) << r.body;
}
