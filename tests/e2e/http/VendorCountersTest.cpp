// The HTTP client's per-vendor counters reach GET /metrics (issue 17, item 8): the worker process
// that made the requests adds them to http_vendor_counters at its heartbeats, and any host's
// /metrics shows them, equal to the simulator's request log.
#include <gtest/gtest.h>

#include <regex>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

TEST(Metrics, TheWorkersRequestCountsReachMetricsPerVendor) {
  Simulator sim(hubspotScenario("{deals: 40, contacts: 0, companies: 0}",
                                "{app: {max: 0, window_ms: 1000}, daily: {max: 0, window_ms: 1000}}"));
  test::QueueDatabase q;
  test::TempDir secrets;
  auto host = startHost(q, "host", "",
                        connectionYaml("deals", sim.baseUrl(), hubspotTokenFile(secrets), "object: deals, page_size: 1",
                                       "{rest: {requests: 100000, per: 1s}}"));
  auto j = waitJob(q, enqueueSync(q, "deals"), std::chrono::seconds(60), host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << host->log();
  const auto sent = sim.requests("/crm/v3/objects/deals").size();
  ASSERT_GE(sent, 40u);
  std::string vendor;
  int64_t counted = 0;
  ASSERT_TRUE(test::eventually([&] {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT vendor, value FROM http_vendor_counters WHERE counter = 'requests'");
    if (r.rows() != 1) return false;
    vendor = r.text(0, 0);
    counted = r.int64(0, 1);
    return counted == static_cast<int64_t>(sent);
  })) << counted
      << " counted, " << sent << " sent";
  auto m = test::httpGet(host->ready["api_url"].get<std::string>() + "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("tributary_http_requests_total{vendor=\"" + vendor + "\"} " + std::to_string(sent) + "\n"),
            std::string::npos)
      << m.body;
}
