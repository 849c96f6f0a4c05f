// Connection reuse (issue 15, item 3): a sync of 1,000 one-record pages, with no rate limit in
// the way, goes over a handful of keep-alive connections, as the simulator's connection ids in
// its request log show.
#include <gtest/gtest.h>

#include <set>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

TEST(Pool, AThousandRequestSyncOpensAtMostFourConnections) {
  Simulator sim(hubspotScenario("{deals: 1000, contacts: 0, companies: 0}",
                                "{app: {max: 0, window_ms: 1000}, daily: {max: 0, window_ms: 1000}}"));
  test::QueueDatabase q;
  test::TempDir secrets;
  auto host = startHost(q, "host", "",
                        connectionYaml("deals", sim.baseUrl(), hubspotTokenFile(secrets), "object: deals, page_size: 1",
                                       "{rest: {requests: 100000, per: 1s}}"));
  const auto id = enqueueSync(q, "deals");
  auto j = waitJob(q, id, std::chrono::seconds(60), host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << host->log();

  const auto log = sim.requests("/crm/v3/objects/deals");
  ASSERT_EQ(log.size(), 1000u);
  std::set<uint64_t> connections;
  int failed = 0;
  for (const auto& r : log) {
    connections.insert(r.connection);
    if (r.status != 200) ++failed;
  }
  EXPECT_EQ(failed, 0);
  EXPECT_LE(connections.size(), 4u) << "1,000 requests opened " << connections.size() << " TCP connections";
  EXPECT_EQ(records(q, "deals").size(), 1000u);
  RecordProperty("connections", static_cast<int>(connections.size()));
  std::cout << "pool: 1000 requests over " << connections.size() << " TCP connection(s)\n";
}
