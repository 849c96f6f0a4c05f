// A 429 storm and 5xx bursts (issue 15, item 2): the host waits them out, honouring each
// Retry-After, counts what it did in the run's metadata, and never sends a non-idempotent POST
// twice, whatever the vendor answers to it.
#include <gtest/gtest.h>

#include <set>

#include "HttpE2eSupport.h"

using namespace tributary;
using namespace tributary::test::http_e2e;

namespace {

constexpr const char* kList = "/crm/v3/objects/deals";
constexpr const char* kOrders = "/_sim/orders";
// The simulator's app window: its rate_limit fault says Retry-After: 1 (the whole window).
constexpr int64_t kRetryAfterMs = 1000;
constexpr int64_t kClockSlackMs = 5;

// The fixture with its orders, the simulator's limits out of the way (faults do the refusing).
struct StormSetup {
  explicit StormSetup(int orders,
                      const std::string& http = "{retry: {max_attempts: 10, base: 50ms, max_backoff: 400ms}}")
      : sim(hubspotScenario("{deals: 100, contacts: 0, companies: 0}",
                            "{app: {max: 0, window_ms: 1000}, daily: {max: 0, window_ms: 1000}}")),
        token(hubspotTokenFile(secrets)),
        httpYaml(http),
        orderCount(orders) {}
  void start() {
    host = startHost(q, "host", httpYaml,
                     connectionYaml("deals", sim.baseUrl(), token,
                                    "object: deals, page_size: 5, orders: " + std::to_string(orderCount),
                                    "{rest: {requests: 1000, per: 1s}}"));
  }
  Simulator sim;
  test::QueueDatabase q;
  test::TempDir secrets;
  std::filesystem::path token;
  std::string httpYaml;
  int orderCount;
  std::unique_ptr<Host> host;
};

int64_t counter(const Json& metadata, const std::string& name) {
  const auto& c = metadata["plugin"]["counters"];
  return c.contains(name) ? c[name].get<int64_t>() : 0;
}

}  // namespace

TEST(Storm, A429StormAnd5xxBurstsAreWaitedOutHonouringRetryAfterAndCountedInTheRun) {
  StormSetup s(3);
  // Seeded: the same requests in the same order fail the same way.
  s.sim.addFaults(Json::parse(R"([
    {"kind": "rate_limit", "path": "/crm/v3/objects/deals", "count": 5, "probability": 0.4, "seed": 3},
    {"kind": "server_error", "status": 503, "path": "/crm/v3/objects/deals", "count": 3, "probability": 0.4, "seed": 5},
    {"kind": "server_error", "status": 503, "path": "/_sim/orders", "count": 1}
  ])"));
  s.start();
  const auto id = enqueueSync(s.q, "deals");
  auto j = waitJob(s.q, id, std::chrono::seconds(40), s.host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << s.host->log();
  EXPECT_EQ(j.attempts, 1) << "the storm cost an attempt: " << j.toJson().dump(2);
  EXPECT_EQ(records(s.q, "deals"), s.sim.groundTruth("deals"));

  const auto list = s.sim.requests(kList);
  int n429 = 0, n5xx = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& r = list[i];
    if (r.status != 429 && r.status < 500) continue;
    (r.status == 429 ? n429 : n5xx)++;
    ASSERT_LT(i + 1, list.size()) << "the sync ended on a failed request";
    const auto& next = list[i + 1];
    EXPECT_EQ(next.query, r.query) << "request " << r.seq << " (" << r.status << ") was not sent again next";
    if (r.status == 429) {
      EXPECT_GE(next.timeMs, r.timeMs + kRetryAfterMs - kClockSlackMs)
          << "request " << next.seq << " came " << next.timeMs - r.timeMs << " ms after a 429 with Retry-After: 1";
    } else {
      EXPECT_GT(next.timeMs, r.timeMs) << "no backoff after a " << r.status;
    }
  }
  EXPECT_GE(n429, 3) << "the storm's seeds no longer give a storm: pick others\n" << describe(list);
  EXPECT_GE(n5xx, 1) << "the burst's seeds no longer give a 5xx: pick others";

  // The run counts what the log shows: every 429, and a retry for each failed GET.
  const auto meta = runMetadata(s.q, id);
  const auto orders = s.sim.requests(kOrders);
  ASSERT_TRUE(meta.is_object()) << "no run for job " << id;
  EXPECT_EQ(meta.value("http_429s", int64_t{-1}), n429) << meta.dump(2);
  EXPECT_EQ(meta.value("http_retries", int64_t{-1}), n429 + n5xx) << meta.dump(2);
  EXPECT_EQ(meta.value("http_calls", int64_t{-1}), static_cast<int64_t>(list.size() + orders.size())) << meta.dump(2);
  EXPECT_EQ(j.result.value("http_429s", int64_t{-1}), n429) << j.result.dump(2);
  EXPECT_EQ(j.result.value("http_retries", int64_t{-1}), n429 + n5xx) << j.result.dump(2);

  // The order POST that was answered 503 was not sent again: three POSTs for three orders.
  ASSERT_EQ(orders.size(), 3u) << "POST /_sim/orders sent " << orders.size() << " times for 3 orders";
  EXPECT_EQ(orders[0].status, 503);
  EXPECT_EQ(counter(meta, "orders_sent"), static_cast<int64_t>(orders.size())) << meta.dump(2);
  EXPECT_EQ(counter(meta, "orders_refused"), 1) << meta.dump(2);
  EXPECT_EQ(counter(meta, "orders_created"), 2) << meta.dump(2);
  const auto book = s.sim.orders();
  ASSERT_EQ(book.size(), 2u) << book.dump(2);
  std::set<int> seen;
  for (const auto& o : book) seen.insert(Json::parse(o["body"].get<std::string>())["order"].get<int>());
  EXPECT_EQ(seen, (std::set<int>{1, 2})) << "each order that arrived is a different one: " << book.dump(2);
  std::cout << "storm: " << list.size() << " list requests, " << n429 << " 429s, " << n5xx << " 5xx; " << orders.size()
            << " order POSTs for 3 orders\n";
}

TEST(Storm, ANonIdempotentPostIsNeverResentAfterAConnectionReset) {
  StormSetup s(3);
  s.sim.addFaults(Json::parse(R"([{"kind": "connection_reset", "path": "/_sim/orders", "count": 1}])"));
  s.start();
  const auto id = enqueueSync(s.q, "deals");
  auto j = waitJob(s.q, id, std::chrono::seconds(30), s.host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << s.host->log();
  EXPECT_EQ(j.attempts, 1);
  const auto orders = s.sim.requests(kOrders);
  ASSERT_EQ(orders.size(), 3u) << "POST /_sim/orders sent " << orders.size() << " times for 3 orders";
  EXPECT_EQ(orders[0].status, 0) << "the first POST was not the one reset";
  const auto meta = runMetadata(s.q, id);
  EXPECT_EQ(counter(meta, "orders_sent"), 3) << meta.dump(2);
  EXPECT_EQ(counter(meta, "orders_lost"), 1) << meta.dump(2);
  EXPECT_EQ(counter(meta, "orders_created"), 2) << meta.dump(2);
  EXPECT_EQ(s.sim.orders().size(), 2u) << s.sim.orders().dump(2);
  EXPECT_EQ(records(s.q, "deals"), s.sim.groundTruth("deals"));
}
