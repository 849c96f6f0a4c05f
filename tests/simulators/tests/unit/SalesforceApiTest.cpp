#include <gtest/gtest.h>

#include "VendorFixture.h"
#include "salesforce/SalesforceIds.h"

using tributary::sim::SalesforceIds;
using tributary::sim::testing::VendorFixture;

namespace salesforce_api_test {

const char* const kScenario = R"(
seed: 3
clock: {start: "2024-06-01T00:00:00Z"}
vendors:
  salesforce:
    objects: {Opportunity: 450, Contact: 20, Account: 10}
    query: {page_size: 200}
    bulk: {polls_to_complete: 2, max_records_per_page: 100}
)";
const char* const kToken = "salesforce-test-token";
const std::string kV = "/services/data/v60.0";

std::string q(const std::string& soql) { return kV + "/query?q=" + tributary::sim::SimRequest::percentEncode(soql); }

TEST(salesforce_ids, AreEighteenCharactersWithTheCaseSafeSuffixAndSortByIndex) {
  const std::string id = SalesforceIds::make("006", 12345);
  EXPECT_EQ(id.size(), 18u);
  EXPECT_EQ(id.substr(0, 3), "006");
  EXPECT_EQ(SalesforceIds::parse("006", id), 12345u);
  EXPECT_EQ(SalesforceIds::parse("006", id.substr(0, 15)), 12345u);
  EXPECT_FALSE(SalesforceIds::parse("001", id));
  // The suffix encodes which of the 15 characters are upper case, five at a time.
  EXPECT_EQ(SalesforceIds::suffixFor("001000000000000"), "AAA");
  EXPECT_EQ(SalesforceIds::suffixFor("A01000000000000"), "BAA");
  EXPECT_EQ(SalesforceIds::suffixFor("AAAAAZZZZZzzzzz"), "55A");
  EXPECT_LT(SalesforceIds::make("006", 61), SalesforceIds::make("006", 62));
  EXPECT_LT(SalesforceIds::make("006", 9), SalesforceIds::make("006", 10));
}

TEST(salesforce_api, QueryPagesByNextRecordsUrlWithTypedJson) {
  VendorFixture sf(kScenario);
  auto first = sf.call("GET", q("SELECT Id, Name, Amount, CloseDate, IsWon FROM Opportunity"), "", kToken);
  ASSERT_EQ(first.status, 200) << first.body;
  auto body = sf.json(first);
  EXPECT_EQ(body["totalSize"], 450);
  EXPECT_EQ(body["done"], false);
  EXPECT_EQ(body["records"].size(), 200u);
  const auto& record = body["records"][0];
  EXPECT_EQ(record["attributes"]["type"], "Opportunity");
  EXPECT_EQ(record["Id"].get<std::string>().size(), 18u);
  EXPECT_TRUE(record["IsWon"].is_boolean());
  EXPECT_TRUE(record["Amount"].is_number() || record["Amount"].is_null() || record["Amount"].is_string());
  const std::string next = body["nextRecordsUrl"];
  EXPECT_EQ(next.rfind(kV + "/query/01g", 0), 0u) << next;
  EXPECT_EQ(next.substr(next.size() - 4), "-200");
  auto second = sf.json(sf.call("GET", next, "", kToken));
  EXPECT_EQ(second["records"].size(), 200u);
  auto third = sf.json(sf.call("GET", second["nextRecordsUrl"].get<std::string>(), "", kToken));
  EXPECT_EQ(third["records"].size(), 50u);
  EXPECT_EQ(third["done"], true);
  EXPECT_FALSE(third.contains("nextRecordsUrl"));
}

TEST(salesforce_api, CountAndMalformedQueries) {
  VendorFixture sf(kScenario);
  auto count = sf.json(sf.call("GET", q("SELECT COUNT() FROM Account"), "", kToken));
  EXPECT_EQ(count["totalSize"], 10);
  EXPECT_EQ(count["records"].size(), 0u);
  auto bad = sf.call("GET", q("SELECT Id FROM Account WHERE"), "", kToken);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(sf.json(bad)[0]["errorCode"], "MALFORMED_QUERY");
  EXPECT_NE(bad.header("Sforce-Limit-Info"), "");
}

TEST(salesforce, DailyAllocationEndsIn403RequestLimitExceeded) {
  VendorFixture sf(R"(
vendors:
  salesforce:
    limits: {daily_api_requests: 6}
)");
  for (int i = 1; i <= 6; ++i) {
    auto ok = sf.call("GET", q("SELECT Id FROM Account"), "", kToken);
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(ok.header("Sforce-Limit-Info"), "api-usage=" + std::to_string(i) + "/6");
  }
  auto over = sf.call("GET", q("SELECT Id FROM Account"), "", kToken);
  EXPECT_EQ(over.status, 403) << "Salesforce answers 403, not 429";
  EXPECT_EQ(over.body, R"([{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}])");
  EXPECT_EQ(over.header("Sforce-Limit-Info"), "api-usage=6/6");
  sf.call("POST", "/admin/quotas/reset");
  EXPECT_EQ(sf.call("GET", q("SELECT Id FROM Account"), "", kToken).status, 200);
}

TEST(salesforce_api, InvalidSessionAndUnknownVersions) {
  VendorFixture sf(kScenario);
  auto expired = sf.call("GET", q("SELECT Id FROM Account"), "", "nope");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body, R"([{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}])");
  EXPECT_EQ(sf.call("GET", "/services/data/v99.0/query?q=x", "", kToken).status, 404);
}

TEST(salesforce_api, DeletedFeedHasItsWindowAndEarliestDateAvailable) {
  VendorFixture sf(kScenario);
  sf.call("POST", "/admin/clock/advance", R"({"seconds":3600})");
  const auto deleted = sf.json(sf.call("POST", "/admin/records/Opportunity/delete", R"({"count":4,"seed":1})"));
  auto feed = sf.json(sf.call(
      "GET", kV + "/sobjects/Opportunity/deleted/?start=2024-06-01T00:00:00Z&end=2024-06-01T02:00:00Z", "", kToken));
  EXPECT_EQ(feed["deletedRecords"].size(), 4u);
  EXPECT_EQ(feed["deletedRecords"][0]["deletedDate"], "2024-06-01T01:00:00.000+0000");
  EXPECT_EQ(feed["earliestDateAvailable"], "2024-05-17T01:00:00.000+0000");
  EXPECT_EQ(feed["latestDateCovered"], "2024-06-01T01:00:00.000+0000");
  // Sixteen days on, the recycle bin has been emptied.
  sf.call("POST", "/admin/clock/advance", R"({"seconds":1382400})");
  feed = sf.json(sf.call(
      "GET", kV + "/sobjects/Opportunity/deleted/?start=2024-06-01T00:00:00Z&end=2024-06-17T02:00:00Z", "", kToken));
  EXPECT_EQ(feed["deletedRecords"].size(), 0u);
  EXPECT_EQ(feed["earliestDateAvailable"], "2024-06-02T01:00:00.000+0000");
  auto tooOld = sf.call(
      "GET", kV + "/sobjects/Opportunity/deleted/?start=2024-05-01T00:00:00Z&end=2024-06-17T00:00:00Z", "", kToken);
  EXPECT_EQ(tooOld.status, 400);
  EXPECT_EQ(sf.json(tooOld)[0]["errorCode"], "INVALID_REPLICATION_DATE");
  EXPECT_EQ(sf.call("GET", kV + "/sobjects/Opportunity/deleted/", "", kToken).status, 400);
  (void)deleted;
}

TEST(salesforce_api, QueryLocatorsExpireAfterFifteenSimulatedMinutes) {
  VendorFixture sf(kScenario);
  auto first = sf.json(sf.call("GET", q("SELECT Id FROM Opportunity"), "", kToken));
  sf.call("POST", "/admin/clock/advance", R"({"seconds":901})");
  auto stale = sf.call("GET", first["nextRecordsUrl"].get<std::string>(), "", kToken);
  EXPECT_EQ(stale.status, 400);
  EXPECT_EQ(sf.json(stale)[0]["errorCode"], "INVALID_QUERY_LOCATOR");
}

TEST(salesforce_api, BulkQueryJobMovesThroughItsStatesAndPagesCsvByLocator) {
  VendorFixture sf(kScenario);
  auto created =
      sf.call("POST", kV + "/jobs/query",
              R"({"operation":"query","query":"SELECT Id, Name, IsWon, SystemModstamp FROM Opportunity"})", kToken);
  ASSERT_EQ(created.status, 200) << created.body;
  auto job = sf.json(created);
  EXPECT_EQ(job["state"], "UploadComplete");
  EXPECT_EQ(job["object"], "Opportunity");
  EXPECT_EQ(job["apiVersion"], 60.0);
  const std::string id = job["id"];
  EXPECT_EQ(sf.call("GET", kV + "/jobs/query/" + id + "/results", "", kToken).status, 409)
      << "no results before JobComplete";
  EXPECT_EQ(sf.json(sf.call("GET", kV + "/jobs/query/" + id, "", kToken))["state"], "InProgress");
  EXPECT_EQ(sf.json(sf.call("GET", kV + "/jobs/query/" + id, "", kToken))["state"], "JobComplete");
  auto wrongVersion = sf.call("GET", "/services/data/v59.0/jobs/query/" + id + "/results", "", kToken);
  EXPECT_EQ(wrongVersion.status, 409) << "results need the job's API version";
  size_t rows = 0, pages = 0;
  std::string locator;
  while (true) {
    auto page = sf.call("GET", kV + "/jobs/query/" + id + "/results" + (locator.empty() ? "" : "?locator=" + locator),
                        "", kToken);
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.contentType, "text/csv");
    EXPECT_EQ(page.body.rfind("\"Id\",\"Name\",\"IsWon\",\"SystemModstamp\"\n", 0), 0u) << "each page has the header";
    const size_t lines = static_cast<size_t>(std::count(page.body.begin(), page.body.end(), '\n')) - 1;
    EXPECT_EQ(page.header("Sforce-NumberOfRecords"), std::to_string(lines));
    rows += lines;
    ++pages;
    locator = page.header("Sforce-Locator");
    if (locator == "null") break;
    ASSERT_LT(pages, 10u);
  }
  EXPECT_EQ(rows, 450u);
  EXPECT_EQ(pages, 5u);
  auto bad =
      sf.call("POST", kV + "/jobs/query", R"({"operation":"query","query":"SELECT Nope FROM Opportunity"})", kToken);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(sf.json(bad)[0]["errorCode"], "INVALID_FIELD");
}

}  // namespace salesforce_api_test
