// Vendor rules (issue 15, item 2): the fixture declares a rate limit carried inside an HTTP 200
// (a GraphQL-style ComplexityException) and Salesforce's 403 REQUEST_LIMIT_EXCEEDED as a quota
// wait on its daily class. The first is waited out inline; the second parks the job.
#include <gtest/gtest.h>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

namespace vendor_rules_test {

constexpr const char* kList = "/crm/v3/objects/deals";

struct RulesSetup {
  explicit RulesSetup(const Json& faults, const std::string& http = "")
      : sim(hubspotScenario("{deals: 30, contacts: 0, companies: 0}",
                            "{app: {max: 0, window_ms: 1000}, daily: {max: 0, window_ms: 1000}}")) {
    sim.addFaults(faults);
    host = startHost(q, "host", http,
                     connectionYaml("deals", sim.baseUrl(), hubspotTokenFile(secrets), "object: deals, page_size: 10"));
  }
  Simulator sim;
  test::QueueDatabase q;
  test::TempDir secrets;
  std::unique_ptr<Host> host;
};

TEST(VendorRules, ARateLimitErrorInsideA200IsWaitedOutAndResentAfterItsRetryAfter) {
  RulesSetup s(Json::array({Json{
      {"kind", "respond"},
      {"status", 200},
      {"count", 2},
      {"path", kList},
      {"headers", {{"Retry-After", "1"}}},
      {"body",
       R"({"errors":[{"message":"Complexity budget exhausted","extensions":{"code":"ComplexityException"}}]})"}}}));
  const auto id = enqueueSync(s.q, "deals");
  auto j = waitJob(s.q, id, std::chrono::seconds(30), s.host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << s.host->log();
  EXPECT_EQ(j.attempts, 1) << j.toJson().dump(2);
  EXPECT_EQ(records(s.q, "deals"), s.sim.groundTruth("deals"));

  const auto log = s.sim.requests(kList);
  ASSERT_EQ(log.size(), 3u + 2u) << "3 pages and the 2 faulted requests sent again:\n" << describe(log);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(log[i].faults, "respond");
    EXPECT_EQ(log[i + 1].query, log[i].query) << "the faulted request was not sent again";
    EXPECT_GE(log[i + 1].timeMs, log[i].timeMs + 1000 - 5)
        << "resent " << log[i + 1].timeMs - log[i].timeMs << " ms after a rate limit with Retry-After: 1";
  }
  EXPECT_EQ(log[2].status, 200);
  EXPECT_TRUE(log[2].faults.empty());
  const auto meta = runMetadata(s.q, id);
  EXPECT_EQ(meta.value("http_retries", int64_t{-1}), 2) << meta.dump(2);
  EXPECT_EQ(meta.value("http_429s", int64_t{-1}), 0) << meta.dump(2);
}

TEST(VendorRules, A403QuotaErrorParksTheJobWithoutUsingAnAttemptAndItCompletesAfterTheWait) {
  RulesSetup s(Json::array({Json{
                   {"kind", "respond"},
                   {"status", 403},
                   {"count", 1},
                   {"path", kList},
                   {"body", R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])"}}}),
               "{quota_recheck: 1s}");
  const auto id = enqueueSync(s.q, "deals");
  queue::Job parked;
  ASSERT_TRUE(test::eventually(
      [&] {
        parked = s.q.job(id);
        return parked.status == queue::JobStatus::Pending && parked.waitReason == std::optional<std::string>("quota");
      },
      std::chrono::seconds(15)))
      << s.q.job(id).toJson().dump(2) << s.host->log();
  EXPECT_EQ(parked.attempts, 0) << "the quota wait used an attempt: " << parked.toJson().dump(2);

  auto j = waitJob(s.q, id, std::chrono::seconds(20), s.host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << s.host->log();
  EXPECT_EQ(j.attempts, 1) << "the wait counted as an attempt: " << j.toJson().dump(2);
  EXPECT_EQ(records(s.q, "deals"), s.sim.groundTruth("deals"));

  const auto log = s.sim.requests(kList);
  ASSERT_EQ(log.size(), 3u + 1u) << "3 pages and the refused one sent again:\n" << describe(log);
  EXPECT_EQ(log[0].status, 403);
  EXPECT_EQ(log[1].query, log[0].query);
  // quota_recheck (1 s) with no Retry-After: nothing was sent before it.
  EXPECT_GE(log[1].timeMs, log[0].timeMs + 1000 - 5)
      << "asked again " << log[1].timeMs - log[0].timeMs << " ms after the quota error";
}

}  // namespace vendor_rules_test
