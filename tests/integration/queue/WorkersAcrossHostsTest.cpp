// Review of the operations across hosts (issue 13): what a job remembers of the workers that
// declined it, what a busy worker reserves, what the supervisor tells `workers` of a worker that
// died, and how the maintenance leader keeps its lead.
#include <gtest/gtest.h>

#include <thread>

#include "QueueTestSupport.h"
#include "app/Maintenance.h"
#include "app/Supervisor.h"
#include "queue/JobHandler.h"
#include "queue/Worker.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// The class of the session locks that reserve a run_alone job ("TrAl", JobQueue.cpp).
constexpr int64_t kRunAloneLockClass = 0x5472416c;

JobQueue::WorkerInfo workerInfo(const std::string& id, const std::vector<std::string>& connections) {
  return {id, "host", {"sync", "t.sleep"}, connections, {"sync", "t.sleep"}, Json::object()};
}

int64_t count(test::QueueDatabase& q, const std::string& sql, const std::string& param) {
  auto c = q.pool->acquire();
  return c->exec(sql, param).int64(0, 0);
}

// The backend pid of the session that holds a leader lock of class 'Trib' in this test's
// database (advisory locks are per database; pg_locks shows every database's), or 0.
int64_t leaderBackend(test::QueueDatabase& q, int lockObject) {
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1416784226::oid"
      " AND objid = $1::int4::oid AND objsubid = 2"
      " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      lockObject);
  return r.empty() ? 0 : r.int64(0, 0);
}

}  // namespace

TEST(WorkersAcrossHosts, ADeclinedJobRemembersOnlyTheWorkersStillRegistered) {
  // Worker ids change on every restart (hostname:pid:bootid): a job that no host can run is
  // declined again by each new worker process, and must not keep every id it was ever given.
  test::QueueDatabase q;
  const auto ws = q.workspace();
  const auto conn = q.connection(ws, "hubspot");
  EnqueueRequest req;
  req.kind = "sync";
  req.workspaceId = ws;
  req.connectionId = conn;
  const auto id = q.queue->enqueue(req).jobId;
  for (int i = 0; i < 20; ++i) {
    const std::string worker = "host:" + std::to_string(100 + i) + ":boot" + std::to_string(i);
    q.queue->registerWorker(workerInfo(worker, {conn}));
    auto claimed = q.queue->claim(worker, 1, {}, false, std::vector<std::string>{conn}, {"sync"});
    ASSERT_EQ(claimed.size(), 1u) << "restart " << i << ": a new worker id is offered the job again";
    ASSERT_TRUE(
        q.queue->finish(id, worker, Outcome{Outcome::Kind::Declined, "needs 9.0.0", {}, {}, {}}, claimed[0].claimUs));
    if (i < 19) q.queue->unregisterWorker(worker);  // the process stopped; the next one starts
  }
  const auto kept = count(q, "SELECT cardinality(declined_by) FROM jobs WHERE id = $1::uuid", id);
  EXPECT_EQ(kept, 1) << "declined_by keeps the ids of workers long gone";
  EXPECT_EQ(count(q, "SELECT count(*) FROM jobs WHERE id = $1::uuid AND declined_by = ARRAY['host:119:boot19']", id),
            1);
  EXPECT_TRUE(q.queue->claim("host:119:boot19", 1, {}, false, std::vector<std::string>{conn}, {"sync"}).empty())
      << "the worker that declined it last, still running, is offered it again";
}

TEST(WorkersAcrossHosts, EveryJobNoLiveWorkerMayRunIsMarkedWhateverMakesItSo) {
  // Its kind (a job of no connection), or every live worker that could run it declined it; a job
  // of the same connection and kind that a worker may run is only waiting.
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(300);
  test::QueueDatabase q(cfg);
  const auto ws = q.workspace();
  const auto conn = q.connection(ws, "hubspot");
  q.queue->registerWorker({"w1", "host", {"sync", "noop"}, std::vector<std::string>{conn}, {"sync"}, Json::object()});
  EnqueueRequest report;
  report.kind = "report";
  const auto noKind = q.queue->enqueue(report).jobId;
  EnqueueRequest noop;
  noop.kind = "noop";
  const auto fine = q.queue->enqueue(noop).jobId;
  EnqueueRequest sync;
  sync.kind = "sync";
  sync.workspaceId = ws;
  sync.connectionId = conn;
  const auto declined = q.queue->enqueue(sync).jobId;
  const auto sibling = q.queue->enqueue(sync).jobId;
  auto claimed = q.queue->claim("w1", 1, {"sync"}, false, std::vector<std::string>{conn}, {"sync"});
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].id, declined);
  ASSERT_TRUE(
      q.queue->finish(declined, "w1", Outcome{Outcome::Kind::Declined, "needs 9.0.0", {}, {}, {}}, claimed[0].claimUs));
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(q.queue->markUnrunnable(), 2);
  EXPECT_EQ(q.job(noKind).waitReason, "no_worker");
  EXPECT_EQ(q.job(noKind).lastError,
            "no running worker can run it (1 running): start a host whose workers run report jobs");
  EXPECT_EQ(q.job(declined).waitReason, "no_worker");
  EXPECT_EQ(q.job(declined).lastError,
            "no running worker can run it (1 running, connection acme/hubspot with connector tributary.example, "
            "declined by w1: needs 9.0.0): start a host whose workers run sync jobs and have this connection and its "
            "connector");
  EXPECT_EQ(q.job(sibling).waitReason, std::nullopt);
  EXPECT_EQ(q.job(fine).waitReason, std::nullopt);
  EXPECT_EQ(q.queue->markUnrunnable(), 0) << "said once";
}

TEST(WorkersAcrossHosts, ABusyWorkerNeverReservesARunAloneJobItCannotRun) {
  // A busy worker that reserves a due run_alone job stops claiming until it runs nothing. A job
  // of a connection it lacks is never its to run: reserving it would drain this worker for
  // nothing, and keep the reservation from a worker that can run it.
  test::QueueDatabase q;
  const auto ws = q.workspace();
  const auto mine = q.connection(ws, "example");
  const auto theirs = q.connection(ws, "hubspot");
  auto registry = std::make_shared<HandlerRegistry>();
  registry->add("t.sleep", std::make_shared<FunctionHandler>([](JobContext& ctx) {
                  const auto until = std::chrono::steady_clock::now() + milliseconds(ctx.job().payload.value("ms", 0));
                  while (std::chrono::steady_clock::now() < until && !ctx.stopRequested()) {
                    std::this_thread::sleep_for(milliseconds(20));
                  }
                  return Outcome{};
                }));
  auto enqueue = [&](std::optional<std::string> connection, int ms) {
    EnqueueRequest r;
    r.kind = "t.sleep";
    r.payload = Json{{"ms", ms}};
    if (connection) {
      r.workspaceId = ws;
      r.connectionId = *connection;
    }
    return q.queue->enqueue(r).jobId;
  };
  Worker::Options o;
  o.workerId = "w-example";
  o.concurrency = 2;
  o.prefetch = 2;
  o.connections = std::vector<std::string>{mine};
  o.connectionKinds = {"t.sleep"};
  o.onUnstoppableJob = [](const std::string&) {};
  auto w = std::make_unique<Worker>(q.queue, registry, q.db.conninfo(), o);
  const auto long1 = enqueue(std::nullopt, 6000);
  const auto long2 = enqueue(std::nullopt, 6000);
  w->start();
  ASSERT_TRUE(test::eventually([&] { return w->running() == 2; }, seconds(10)));
  // Someone else's run_alone job, due now (as an out-of-memory rescue leaves it).
  const auto alone = enqueue(theirs, 100);
  {
    auto c = q.pool->acquire();
    c->exec("UPDATE jobs SET run_alone = true WHERE id = $1::uuid", alone);
  }
  std::this_thread::sleep_for(milliseconds(800));  // several claim rounds (200 ms polls)
  EXPECT_EQ(count(q,
                  "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid"
                  " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                  std::to_string(kRunAloneLockClass)),
            0)
      << "the worker reserved a run_alone job of a connection it cannot run";
  // And it goes on claiming what it can run (into its prefetch: both threads are busy).
  const auto next = enqueue(mine, 50);
  EXPECT_TRUE(test::eventually([&] { return q.job(next).workerId == "w-example"; }, seconds(3)))
      << "the worker drained for a job it cannot run";
  EXPECT_EQ(q.job(long1).status, JobStatus::Running);
  EXPECT_EQ(q.job(long2).status, JobStatus::Running);
  EXPECT_EQ(q.job(alone).status, JobStatus::Pending);
  w->stop();
}

TEST(WorkersAcrossHosts, TheSupervisorUnregistersAWorkerThatDied) {
  // A worker that stops unregisters itself; one that dies cannot. Its supervisor knows at once
  // and says so in `workers`, rather than leaving it there for ten leases as if it could run
  // jobs (no_worker marks wait on the live ones).
  test::QueueDatabase q;
  test::TempDir dir;
  const auto exe = dir.write("worker.sh", "#!/bin/sh\nsleep 1\nexit 3\n");
  std::filesystem::permissions(exe, std::filesystem::perms::owner_all);
  app::Supervisor::Options o;
  o.processes = 1;
  o.executable = exe;
  o.shutdownGrace = milliseconds(500);
  app::Supervisor sup(o, q.queue);
  sup.start();
  const auto first = sup.children().at(0).workerId;
  ASSERT_FALSE(first.empty());
  // What the worker process does first when it starts.
  q.queue->registerWorker(workerInfo(first, {}));
  ASSERT_TRUE(test::eventually([&] { return sup.children().at(0).restarts >= 1; }, seconds(10)));
  EXPECT_EQ(count(q, "SELECT count(*) FROM workers WHERE id = $1", first), 0)
      << "the dead worker " << first << " is still registered";
  sup.stop();
}

TEST(WorkersAcrossHosts, TheMaintenanceLeaderKeepsItsSessionWhenTheRescueIntervalIsLongerThanTheLease) {
  // The leader's session is ended by the server when it stays quiet for the lease (that is how a
  // frozen leader is replaced). A healthy leader must speak in time whatever
  // queue.rescue_interval is, or it loses the lead every other round and another host takes it.
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(500);
  cfg.heartbeatInterval = milliseconds(100);
  cfg.rescueInterval = milliseconds(900);
  test::QueueDatabase q(cfg);
  config::Config hostCfg;
  hostCfg.queue = cfg;
  app::Maintenance a(q.db.conninfo(), q.pool, q.queue, hostCfg, "host-a");
  a.start();
  ASSERT_TRUE(test::eventually([&] { return leaderBackend(q, db::advisory::kMaintenanceLeader) != 0; }, seconds(5)));
  const auto session = leaderBackend(q, db::advisory::kMaintenanceLeader);
  bool alwaysLeading = true;
  const auto until = std::chrono::steady_clock::now() + seconds(4);
  while (std::chrono::steady_clock::now() < until) {
    alwaysLeading = alwaysLeading && a.leading();
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(leaderBackend(q, db::advisory::kMaintenanceLeader), session)
      << "the leader's session was ended for its silence and the lead taken again";
  EXPECT_TRUE(alwaysLeading) << "the maintenance lead was lost and retaken";
  a.stop();
}
