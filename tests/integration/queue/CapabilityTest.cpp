// Several hosts on one database: what a worker can run, what it declines, what no worker can
// run, who is woken, and who does the maintenance.

#include <gtest/gtest.h>

#include <thread>

#include "QueueTestSupport.h"
#include "app/Maintenance.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

struct Room {
  test::QueueDatabase q;
  std::string ws, hubspot, example;
  Room() {
    ws = q.workspace();
    hubspot = q.connection(ws, "hubspot");
    example = q.connection(ws, "example");
  }
  std::string enqueue(const std::string& kind, const std::string& connection) {
    EnqueueRequest r;
    r.kind = kind;
    r.workspaceId = ws;
    r.connectionId = connection;
    return q.queue->enqueue(r).jobId;
  }
  std::vector<std::string> claim(const std::string& worker, const std::vector<std::string>& connections) {
    std::vector<std::string> ids;
    for (const auto& j : q.queue->claim(worker, 10, {}, false, connections, {"sync", "backfill"})) ids.push_back(j.id);
    return ids;
  }
};

}  // namespace

TEST(Capability, AWorkerClaimsOnlyTheSyncsOfConnectionsItCanRunAndOtherKindsFreely) {
  Room r;
  const auto hubspotSync = r.enqueue("sync", r.hubspot);
  const auto exampleSync = r.enqueue("sync", r.example);
  const auto otherKind = r.enqueue("test.sleep", r.hubspot);
  auto mine = r.claim("w-old", {r.example});
  std::sort(mine.begin(), mine.end());
  std::vector<std::string> expected{exampleSync, otherKind};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(mine, expected) << "a worker without hubspot took its sync, or refused a kind that needs no plugin";
  EXPECT_EQ(r.claim("w-new", {r.example, r.hubspot}), std::vector<std::string>{hubspotSync});
  EXPECT_TRUE(r.claim("w-any", {}).empty());
}

TEST(Capability, ADeclinedJobUsesNoAttemptAndIsNotOfferedToThatWorkerAgain) {
  Room r;
  const auto id = r.enqueue("sync", r.hubspot);
  auto claimed = r.q.queue->claim("w1", 1).at(0);
  ASSERT_TRUE(r.q.queue->finish(
      id, "w1", Outcome{Outcome::Kind::Declined, "connector tributary.hubspot is not loaded here", {}, {}, {}},
      claimed.claimUs));
  auto j = r.q.job(id);
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.waitReason, "declined");
  EXPECT_EQ(j.lastError, "connector tributary.hubspot is not loaded here");
  EXPECT_TRUE(r.q.queue->claim("w1", 1).empty()) << "offered again to the worker that declined it";
  EXPECT_EQ(r.q.queue->claim("w2", 1).size(), 1u);
}

TEST(Capability, AJobNoRunningWorkerCanRunSaysSoAndIsTakenOnceOneCan) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(300);
  Room r{};
  r.q.queue = app::makeJobQueue(r.q.pool, cfg);
  const auto stuck = r.enqueue("sync", r.hubspot);
  const auto fine = r.enqueue("sync", r.example);
  r.q.queue->registerWorker({"old:1:a",
                             "old",
                             {"sync", "backfill"},
                             std::vector<std::string>{r.example},
                             {"sync", "backfill"},
                             Json{{"tributary.example", "1.0.0"}}});
  EXPECT_EQ(r.q.queue->markUnrunnable(), 0) << "not yet due for a lease";
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(r.q.queue->markUnrunnable(), 1);
  auto j = r.q.job(stuck);
  EXPECT_EQ(j.waitReason, "no_worker");
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.lastError,
            "no running worker can run it (1 running, connection acme/hubspot with connector tributary.example): start "
            "a host whose workers run sync jobs and have this connection and its connector");
  EXPECT_EQ(r.q.job(fine).waitReason, std::nullopt) << "a job a live worker can run is only waiting its turn";
  EXPECT_EQ(r.q.queue->markUnrunnable(), 0) << "said once";
  // A host that can run it comes up (a rolling deploy reaching it).
  r.q.queue->registerWorker({"new:2:b",
                             "new",
                             {"sync"},
                             std::vector<std::string>{r.hubspot, r.example},
                             {"sync", "backfill"},
                             Json::object()});
  auto taken =
      r.q.queue->claim("new:2:b", 10, {}, false, std::vector<std::string>{r.hubspot, r.example}, {"sync", "backfill"});
  EXPECT_EQ(taken.size(), 2u);
}

TEST(Capability, AJobEndWakesTheWorkersOnlyWhenASiblingWaits) {
  Room r;
  db::Connection listener(r.q.db.conninfo());
  listener.listen(JobQueue::kNotifyChannel);
  const auto first = r.enqueue("sync", r.example);
  listener.waitForNotifications(milliseconds(200));  // the insert's own
  r.q.queue->notifySiblings(r.example, "sync");
  // `first` itself is pending and due: it counts as waiting work for its connection.
  EXPECT_EQ(listener.waitForNotifications(milliseconds(500)).size(), 1u);
  r.q.queue->claim("w1", 1);
  r.q.queue->notifySiblings(r.example, "sync");
  EXPECT_TRUE(listener.waitForNotifications(milliseconds(300)).empty()) << "nothing waits, yet every worker was woken";
  r.q.queue->notifySiblings(r.hubspot, "sync");
  EXPECT_TRUE(listener.waitForNotifications(milliseconds(300)).empty());
}

TEST(Capability, OneHostLeadsMaintenanceAndAnotherTakesOverWhenItStops) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(300);
  cfg.rescueInterval = milliseconds(100);
  test::QueueDatabase q(cfg);
  config::Config hostCfg;
  hostCfg.queue = cfg;
  auto a = std::make_unique<app::Maintenance>(q.db.conninfo(), q.pool, q.queue, hostCfg, "host-a");
  auto b = std::make_unique<app::Maintenance>(q.db.conninfo(), q.pool, q.queue, hostCfg, "host-b");
  a->start();
  ASSERT_TRUE(test::eventually([&] { return a->leading(); }, seconds(5)));
  b->start();
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_FALSE(b->leading()) << "two hosts lead maintenance at once";
  // The leader rescues an expired lease.
  EnqueueRequest r;
  r.kind = "noop";
  const auto id = q.queue->enqueue(r).jobId;
  q.queue->claim("dead", 1);
  ASSERT_TRUE(test::eventually([&] { return q.job(id).status == JobStatus::Pending; }, seconds(5)));
  a->stop();
  ASSERT_TRUE(test::eventually([&] { return b->leading(); }, seconds(5))) << "no host took over";
  b->stop();
}
