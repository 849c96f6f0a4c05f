// A daily quota spent mid-sync (issue 15, item 2): the simulator's daily limit is 3 requests per
// 3 s and the sync needs 5 pages. The 4th page is refused (429, policy DAILY, with Retry-After);
// the fixture's rule makes that a quota wait: the job parks with wait_reason quota, uses no
// attempt, and after the reset resumes from its last committed checkpoint.
#include <gtest/gtest.h>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

TEST(Quota, ADailyQuotaSpentMidSyncParksTheJobWithoutAnAttemptAndItResumesFromItsCheckpoint) {
  Simulator sim(hubspotScenario("{deals: 50, contacts: 0, companies: 0}",
                                "{app: {max: 0, window_ms: 1000}, daily: {max: 3, window_ms: 3000}}"));
  test::QueueDatabase q;
  test::TempDir secrets;
  auto host =
      startHost(q, "host", "{quota_recheck: 1s}",
                connectionYaml("deals", sim.baseUrl(), hubspotTokenFile(secrets), "object: deals, page_size: 10"));
  const auto id = enqueueSync(q, "deals");

  // Parked, as the jobs table shows it.
  queue::Job parked;
  ASSERT_TRUE(test::eventually(
      [&] {
        parked = q.job(id);
        return parked.status == queue::JobStatus::Pending && parked.waitReason == std::optional<std::string>("quota");
      },
      std::chrono::seconds(15)))
      << q.job(id).toJson().dump(2) << host->log();
  EXPECT_EQ(parked.attempts, 0) << "the quota wait used an attempt: " << parked.toJson().dump(2);
  EXPECT_NE(parked.lastError.value_or("").find("quota"), std::string::npos) << parked.toJson().dump(2);
  std::string cursor;
  {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT cursor ->> 'after' FROM stream_state WHERE connection_id = $1::uuid AND stream = 'items'",
                     connectionId(q, "deals"));
    if (!r.empty() && !r.isNull(0, 0)) cursor = r.text(0, 0);
  }

  auto j = waitJob(q, id, std::chrono::seconds(20));
  const auto log = sim.requests("/crm/v3/objects/deals");
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << "checkpoint while parked: after='" << cursor << "'\n"
                                                   << describe(log) << j.toJson().dump(2) << host->log();
  EXPECT_EQ(j.attempts, 1) << "the wait counted as an attempt: " << j.toJson().dump(2);
  EXPECT_FALSE(j.waitReason.has_value()) << j.toJson().dump(2);

  // Every record exactly once.
  const auto truth = sim.groundTruth("deals");
  ASSERT_EQ(truth.size(), 50u);
  EXPECT_EQ(records(q, "deals"), truth);
  EXPECT_EQ(j.result.value("inserted", int64_t{-1}), 50) << j.result.dump(2);

  // From the log: 3 pages, the refused 4th, then the resumed run from the checkpoint.
  size_t refused = log.size();
  int n429 = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].status == 429) {
      ++n429;
      if (refused == log.size()) refused = i;
    }
  }
  ASSERT_EQ(refused, 3u) << "the 4th request was not the refused one:\n" << describe(log);
  EXPECT_EQ(n429, 1) << "the host asked again before the quota's reset";
  ASSERT_GT(log.size(), refused + 1) << "nothing was read after the wait";
  const auto& resumed = log[refused + 1];
  const std::string lastAfter = log[refused].param("after");       // the page the checkpoint points at
  const std::string pageBefore = log[refused - 1].param("after");  // one page before it
  EXPECT_FALSE(lastAfter.empty());
  EXPECT_EQ(cursor, lastAfter) << "the committed checkpoint while parked is not the last page read";
  EXPECT_TRUE(resumed.param("after") == lastAfter || resumed.param("after") == pageBefore)
      << "the resumed run began at after='" << resumed.param("after") << "', not at the checkpoint after='" << lastAfter
      << "' (or one page before it, '" << pageBefore << "')";
  EXPECT_GE(resumed.timeMs, log[refused].timeMs + 1000) << "resumed before the Retry-After";
  EXPECT_LE(log.size(), refused + 1 + 3) << "the resumed run read more than the two pages left (and one before)";
  std::cout << "quota: parked with " << parked.attempts << " attempts, resumed at after=" << resumed.param("after")
            << " " << resumed.timeMs - log[refused].timeMs << " ms after the refusal; " << log.size()
            << " list requests\n";
}
