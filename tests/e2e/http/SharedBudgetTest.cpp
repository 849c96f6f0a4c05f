// The budget belongs to the vendor account (issue 15, item 1): three connections with the same
// token, synced at once by two `tributary serve` hosts on one database, draw on one budget kept
// in PostgreSQL. The simulator's app window is 20 per 2 s and each connection sets its rest class
// to the same, so the effective budget is 18 per 2 s (headroom 0.9): no window of the vendor's
// may see more, and while work waits the windows are kept nearly full.
#include <gtest/gtest.h>

#include <set>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

namespace {

constexpr int kConnections = 3;
constexpr int kRecords = 200;  // per connection: 20 pages of 10, 60 pages in all (about 7 s at 18 per 2 s)
constexpr int64_t kWindowMs = 2000;
constexpr int kEffective = 18;  // 20 per 2 s x 0.9

}  // namespace

TEST(SharedBudget, ThreeConnectionsOnOneAccountSyncedByTwoHostsNeverExceedTheEffectiveBudgetAndKeepItFull) {
  Simulator sim(hubspotScenario("{deals: " + std::to_string(kRecords) + ", contacts: 0, companies: 0}",
                                "{app: {max: 20, window_ms: 2000}, daily: {max: 0, window_ms: 1000}}"));
  test::QueueDatabase q;
  test::TempDir secrets;
  const auto token = hubspotTokenFile(secrets);
  std::string connections;
  for (int i = 1; i <= kConnections; ++i) {
    // The same token, and no rate_limit.account: the default account (the credential's hash).
    connections += connectionYaml("deals" + std::to_string(i), sim.baseUrl(), token, "object: deals, page_size: 10",
                                  "{rest: {requests: 20, per: 2s}}");
  }
  // Two job threads per host: three long syncs cannot all go to one host.
  std::vector<std::unique_ptr<Host>> hosts;
  hosts.push_back(startHost(q, "host-a", "", connections, 2));
  hosts.push_back(startHost(q, "host-b", "", connections, 2));
  auto logs = [&] {
    std::string all;
    for (size_t i = 0; i < hosts.size(); ++i) all += "---- host " + std::to_string(i) + "\n" + hosts[i]->log();
    return all;
  };

  std::vector<std::string> jobs;
  for (int i = 1; i <= kConnections; ++i) jobs.push_back(enqueueSync(q, "deals" + std::to_string(i)));
  const auto truth = sim.groundTruth("deals");
  ASSERT_EQ(truth.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kConnections; ++i) {
    auto j = waitJob(q, jobs[i], std::chrono::seconds(40), logs());
    ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << logs();
    EXPECT_EQ(j.attempts, 1) << j.toJson().dump(2);
    EXPECT_EQ(records(q, "deals" + std::to_string(i + 1)), truth) << "deals" << i + 1 << " is not the ground truth";
  }

  const auto log = sim.requests("/crm/v3/objects/deals");
  ASSERT_EQ(log.size(), static_cast<size_t>(kConnections * kRecords / 10)) << "every page read once, none resent";
  std::vector<int64_t> times;
  int n429 = 0;
  for (const auto& r : log) {
    times.push_back(r.timeMs);
    if (r.status == 429) ++n429;
  }
  EXPECT_EQ(n429, 0) << "the vendor's rate limit was tripped";
  std::sort(times.begin(), times.end());
  const int64_t spanMs = times.back() - times.front();
  EXPECT_GE(spanMs, 6000) << "the syncs ran together for less than 6 s: the windows prove little";

  // No window of the vendor's (any 2 s, at any request) over the effective budget.
  const int most = maxInWindow(times, kWindowMs);
  EXPECT_LE(most, kEffective) << "a 2 s window held " << most << " requests";

  // While work was waiting, every full window starting at a request holds at least 85% of it.
  const int least = (kEffective * 85 + 99) / 100;  // 16
  int emptiest = kEffective;
  int64_t emptiestAt = 0;
  for (size_t i = 0; i < times.size() && times[i] + kWindowMs <= times.back(); ++i) {
    const auto end = std::lower_bound(times.begin(), times.end(), times[i] + kWindowMs);
    const int n = static_cast<int>(end - (times.begin() + static_cast<std::ptrdiff_t>(i)));
    if (n < emptiest) {
      emptiest = n;
      emptiestAt = times[i] - times.front();
    }
  }
  EXPECT_GE(emptiest, least) << "the 2 s window at +" << emptiestAt << " ms held only " << emptiest << " requests";

  // Both hosts ran syncs: the attempts' workers belong to both.
  std::set<size_t> hostsThatRan;
  for (const auto& id : jobs) {
    for (const auto& w : runWorkers(q, id)) {
      for (size_t h = 0; h < hosts.size(); ++h) {
        const auto ids = hosts[h]->workerIds();
        if (std::find(ids.begin(), ids.end(), w) != ids.end()) hostsThatRan.insert(h);
      }
    }
  }
  EXPECT_EQ(hostsThatRan.size(), 2u) << "the syncs did not run on both hosts" << logs();

  RecordProperty("requests", static_cast<int>(log.size()));
  RecordProperty("max_per_window", most);
  RecordProperty("min_per_window", emptiest);
  std::cout << "shared budget: " << log.size() << " requests over " << spanMs << " ms, 2 s windows held " << emptiest
            << ".." << most << " (effective budget " << kEffective << "), " << n429 << " 429s\n";
}
