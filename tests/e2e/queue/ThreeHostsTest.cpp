// Three `tributary serve` hosts on one database, PostgreSQL the only coordination: every job
// runs once, every cron slot fires once, one host leads the scheduler and one the maintenance,
// and a killed leader is replaced within its lease.
#include <gtest/gtest.h>
#include <signal.h>

#include "QueueTestSupport.h"
#include "ServeHost.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::unique_ptr<test::ServeHost> startHost(test::QueueDatabase& q, int index) {
  return test::startServeHost(
      q, "host" + std::to_string(index), test::buildDir() / "plugins",
      "workers: {processes: 2, concurrency: 4, prefetch: 4, test_job_kinds: true}\n"
      "queue: {poll_interval: 500ms, lease: 2s, heartbeat_interval: 300ms, rescue_interval: 200ms,"
      " timeout_grace: 1s, shutdown_grace: 2s}\n"
      "scheduler: {leader_lease: 3s}\n"
      "workspaces: [{slug: acme}]\n"
      "connections:\n  - {workspace: acme, connector: tributary.example, schedule: \"* * * * * *\","
      " settings: {records: 20, page_size: 10}}\n");
}

int64_t count(test::QueueDatabase& q, const std::string& sql) {
  auto c = q.pool->acquire();
  return c->exec(sql).int64(0, 0);
}

// The pid in the application_name of the session holding a leader lock ("tributary ROLE host:pid..."),
// in this test's database: pg_locks shows the advisory locks of every database, other tests' too.
pid_t leaderPid(test::QueueDatabase& q, int lockObject) {
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1416784226::oid AND l.objid = $1::oid"
      " AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      lockObject);
  if (r.empty()) return 0;
  auto parts = strings::split(r.text(0, 0), ':');
  return parts.size() >= 2 ? std::stoi(parts[1]) : 0;
}

}  // namespace

TEST(ThreeHosts, EveryJobRunsOnceEverySlotFiresOnceAndKilledLeadersAreReplacedWithinTheirLease) {
  test::QueueDatabase q;
  {
    auto c = q.pool->acquire();
    c->execScript("CREATE TABLE test_job_runs (job_id uuid NOT NULL, worker_id text NOT NULL)");
  }
  std::vector<std::unique_ptr<test::ServeHost>> hosts;
  for (int i = 0; i < 3; ++i) hosts.push_back(startHost(q, i));
  auto logs = [&] {
    std::string all;
    for (size_t i = 0; i < hosts.size(); ++i) all += "---- host " + std::to_string(i) + "\n" + hosts[i]->log();
    return all;
  };

  // 5,000 jobs from outside, as an API or a CLI would queue them.
  std::vector<EnqueueRequest> reqs(5000);
  for (auto& r : reqs) r.kind = "test.record";
  {
    auto c = q.pool->acquire();
    q.queue->enqueueMany(*c, reqs);
  }
  ASSERT_TRUE(test::eventually(
      [&] { return count(q, "SELECT count(*) FROM jobs WHERE kind = 'test.record' AND status = 'completed'") == 5000; },
      seconds(180)))
      << count(q, "SELECT count(*) FROM jobs WHERE kind = 'test.record' AND status = 'completed'") << logs();
  EXPECT_EQ(count(q, "SELECT count(*) FROM test_job_runs"), 5000) << "a job ran twice or not at all";
  EXPECT_EQ(count(q, "SELECT count(DISTINCT job_id) FROM test_job_runs"), 5000);
  // Worker ids are hostname:pid:bootid; the pid of each host's serve is not among them, but
  // its workers' are: count the hosts whose workers took work.
  int hostsThatWorked = 0;
  for (const auto& h : hosts) {
    int64_t n = 0;
    for (const auto& w : h->workerIds()) {
      n += count(q, "SELECT count(*) FROM test_job_runs WHERE worker_id = '" + w + "'");
    }
    if (n > 0) ++hostsThatWorked;
  }
  EXPECT_GE(hostsThatWorked, 2) << "the hosts did not share the work";

  // Each cron slot fired once, whichever host led (a slot whose sync still runs is skipped).
  ASSERT_TRUE(
      test::eventually([&] { return count(q, "SELECT count(*) FROM jobs WHERE kind = 'sync'") >= 5; }, seconds(30)))
      << logs();
  EXPECT_EQ(count(q,
                  "SELECT count(*) FROM (SELECT unique_key FROM jobs WHERE kind = 'sync' GROUP BY 1"
                  " HAVING count(*) > 1) dup"),
            0)
      << "a slot fired twice";

  // One host leads the scheduler, one (perhaps the same) leads maintenance.
  const pid_t scheduler = leaderPid(q, 1);
  const pid_t maintenance = leaderPid(q, 6);
  ASSERT_NE(scheduler, 0) << logs();
  ASSERT_NE(maintenance, 0) << logs();
  int maintenanceLeaders = 0;
  for (const auto& h : hosts) {
    if (h->log().find("this host leads maintenance") != std::string::npos) ++maintenanceLeaders;
  }
  EXPECT_EQ(maintenanceLeaders, 1) << "maintenance ran from more than one host" << logs();

  // Kill -9 the scheduler's leader: another host leads within the lease (3 s) and fires slots.
  test::ServeHost* killed = nullptr;
  for (auto& h : hosts) {
    if (h->serve->pid() == scheduler) killed = h.get();
  }
  ASSERT_NE(killed, nullptr) << "the scheduler leader is none of the three hosts";
  const int64_t syncsBefore = count(q, "SELECT count(*) FROM jobs WHERE kind = 'sync'");
  const auto t0 = std::chrono::steady_clock::now();
  killed->serve->signal(SIGKILL);
  ASSERT_TRUE(test::eventually(
      [&] {
        const pid_t now = leaderPid(q, 1);
        return now != 0 && now != scheduler;
      },
      seconds(20)))
      << logs();
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  // The lease bounds a leader that froze; a killed one loses its session, and so its lock, at
  // once: the new leader takes it at its next tick.
  EXPECT_LE(took.count(), 3000 + 2000) << "replaced after " << took.count() << " ms (lease 3 s, plus a tick)";
  ASSERT_TRUE(test::eventually([&] { return count(q, "SELECT count(*) FROM jobs WHERE kind = 'sync'") > syncsBefore; },
                               seconds(10)))
      << "the new leader fired no slot" << logs();
  if (maintenance == scheduler) {
    ASSERT_TRUE(test::eventually(
        [&] {
          const pid_t now = leaderPid(q, 6);
          return now != 0 && now != maintenance;
        },
        seconds(20)))
        << "no host took over maintenance" << logs();
  }
  EXPECT_EQ(count(q,
                  "SELECT count(*) FROM (SELECT unique_key FROM jobs WHERE kind = 'sync' GROUP BY 1"
                  " HAVING count(*) > 1) dup"),
            0)
      << "a slot fired twice across the takeover";
  RecordProperty("jobs", 5000);
  RecordProperty("duplicates",
                 static_cast<int>(count(q, "SELECT count(*) - count(DISTINCT job_id) FROM test_job_runs")));
  RecordProperty("slots_fired", static_cast<int>(count(q, "SELECT count(*) FROM jobs WHERE kind = 'sync'")));
  RecordProperty("scheduler_takeover_ms", static_cast<int>(took.count()));
  std::cout << "three hosts: 5000 jobs, " << count(q, "SELECT count(*) - count(DISTINCT job_id) FROM test_job_runs")
            << " duplicates, " << count(q, "SELECT count(*) FROM jobs WHERE kind = 'sync'")
            << " slots fired (none twice), scheduler leader replaced in " << took.count() << " ms\n";
}
