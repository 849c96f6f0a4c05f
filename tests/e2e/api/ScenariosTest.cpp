// The seeds' scenarios over the API: three workspaces' syncs at once, enqueued by the scheduler
// without blocking and run in parallel (QW-2, INT-2, INT-3); a job whose worker died is rescued
// by its lease and the next sync proceeds (QW-3); and a PostgreSQL restart: 503s with
// Retry-After while it is down, then recovery with nothing lost (EDGE-6).
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "ApiTestSupport.h"
#include "common/Files.h"
#include "common/Time.h"
#include "db/Connection.h"
#include "db/EmbeddedPostgres.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

struct Span {
  std::chrono::system_clock::time_point start, end;
};

Span spanOf(const Json& job) {
  return {*time::parseIso8601(job["startedAt"].get<std::string>()),
          *time::parseIso8601(job["completedAt"].get<std::string>())};
}

}  // namespace

// INT-3: three workspaces synced at once run in parallel: each one's run overlaps the others'.
TEST(Scenarios, ThreeWorkspacesSyncAtOnceInParallel) {
  test::TestDatabase db;
  HostOptions o;
  o.workspaces = 3;
  o.connectionSettings = "{records: 40, page_size: 10, latency_ms: 100}";
  ApiHost host(db, o);
  std::vector<std::pair<std::string, std::string>> jobs;
  for (const std::string ws : {"ws1", "ws2", "ws3"}) {
    auto r = host.admin("POST", "/api/workspaces/" + ws + "/sync");
    ASSERT_EQ(r.status, 202) << r.body;
    jobs.emplace_back(ws, r.json()["jobIds"][0].get<std::string>());
  }
  std::vector<Span> spans;
  for (const auto& [ws, id] : jobs) {
    const Json j = host.waitForJob(ws, id);
    ASSERT_EQ(j["status"], "completed") << j.dump(2);
    EXPECT_EQ(j["result"]["totalRecords"], 160);  // 4 streams of 40
    spans.push_back(spanOf(j));
  }
  // Each run takes at least 16 pages of 100 ms; in parallel, every pair overlaps.
  for (size_t a = 0; a < spans.size(); ++a) {
    for (size_t b = a + 1; b < spans.size(); ++b) {
      EXPECT_LT(spans[a].start, spans[b].end) << a << " and " << b << " ran one after the other";
      EXPECT_LT(spans[b].start, spans[a].end) << a << " and " << b << " ran one after the other";
    }
  }
}

// QW-2, INT-2: the scheduler enqueues three workspaces' syncs without blocking the API, and they
// run in parallel.
TEST(Scenarios, TheSchedulerEnqueuesThreeWorkspacesWithoutBlockingTheApi) {
  test::TestDatabase db;
  HostOptions o;
  o.workspaces = 3;
  o.scheduler = true;
  o.connectionSettings = "{records: 40, page_size: 10, latency_ms: 100}";
  ApiHost host(db, o);
  {
    db::Connection c(db.conninfo());
    c.exec("UPDATE connections SET schedule = '*/2 * * * * *'");
  }
  // While the scheduler enqueues and the workers run, the API answers every request.
  std::map<std::string, Json> firstRuns;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (firstRuns.size() < 3 && std::chrono::steady_clock::now() < until) {
    for (const std::string ws : {"ws1", "ws2", "ws3"}) {
      auto h = host.admin("GET", "/api/workspaces/" + ws + "/sync/history?limit=5");
      ASSERT_EQ(h.status, 200) << h.body;
      const Json hBody = h.json();  // alive for the loop
      for (const auto& run : hBody["runs"]) {
        if (run["status"] == "completed" && run["syncType"] == "scheduled" && !firstRuns.count(ws)) firstRuns[ws] = run;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(firstRuns.size(), 3u) << host.log();
  std::vector<Span> spans;
  for (auto& [ws, run] : firstRuns) spans.push_back(spanOf(run));
  int overlapping = 0;
  for (size_t a = 0; a < spans.size(); ++a) {
    for (size_t b = a + 1; b < spans.size(); ++b) {
      if (spans[a].start < spans[b].end && spans[b].start < spans[a].end) ++overlapping;
    }
  }
  EXPECT_GE(overlapping, 1) << "the scheduled syncs ran one after another";
}

// QW-3: the worker running a sync dies; the job is rescued when its lease expires, completes,
// and the next sync of the connection is accepted and runs.
TEST(Scenarios, AJobWhoseWorkerDiedIsRescuedAndTheNextSyncProceeds) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = "{records: 60, page_size: 5, latency_ms: 150}";
  ApiHost host(db, o);
  auto r = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string jobId = r.json()["jobId"];
  // Wait until it runs, then kill its worker process.
  ASSERT_TRUE(test::eventually(
      [&] { return host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + jobId).json()["status"] == "running"; }));
  const Json ready = Json::parse(files::readFile(host.dir() / "ready.json"));
  const int pid = ready["workers"][0]["pid"];
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const Json done = host.waitForJob("ws1", jobId, std::chrono::seconds(90));
  EXPECT_EQ(done["status"], "completed") << done.dump(2) << host.log();
  EXPECT_GE(done["attempts"].get<int>(), 2) << done.dump(2);
  auto next = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(next.status, 202) << next.body;
  EXPECT_EQ(host.waitForJob("ws1", next.json()["jobId"], std::chrono::seconds(90))["status"], "completed");
}

// EDGE-6: while PostgreSQL is down the API answers 503 with Retry-After (the server stays up);
// once it is back, a sync queued before the outage completes and new requests work.
TEST(Scenarios, APostgresRestartGives503sThenRecoversWithNothingLost) {
  test::TempDir dir;
  db::EmbeddedPostgres::Options po;
  po.stateDir = dir / "pg";
  po.lifetime = db::EmbeddedPostgres::Lifetime::Detached;
  po.unsafeFastSettings = true;
  auto pg = std::make_unique<db::EmbeddedPostgres>(po);
  pg->start();
  HostOptions o;
  o.connectionSettings = "{records: 30, page_size: 2, latency_ms: 150}";
  o.extraYaml = "database: {pool: {health_check_on_borrow: true}}\n";
  std::string conninfo = pg->conninfo();
  {
    ApiHost host(conninfo, o);
    // A sync that is running when the database goes away.
    auto first = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
    ASSERT_EQ(first.status, 202) << first.body;
    const std::string firstJob = first.json()["jobId"];
    ASSERT_TRUE(test::eventually(
        [&] { return host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + firstJob).json()["status"] == "running"; }));

    ASSERT_TRUE(db::EmbeddedPostgres::stopDetached(po.stateDir));
    test::HttpResult down;
    ASSERT_TRUE(test::eventually([&] {
      down = host.admin("GET", "/api/workspaces/ws1/sync/status");
      return down.status == 503;
    })) << down.status
        << " " << down.body;
    EXPECT_EQ(down.json()["error"]["code"], "database_unavailable") << down.body;
    EXPECT_EQ(down.headers["retry-after"], "5");
    auto post = host.admin("POST", "/api/workspaces/ws1/sync");
    EXPECT_EQ(post.status, 503) << post.body;
    auto ready = host.call("GET", "/ready");
    EXPECT_EQ(ready.status, 503);
    EXPECT_FALSE(ready.headers["retry-after"].empty()) << "ready's 503 says when to come back";
    EXPECT_EQ(host.call("GET", "/health").status, 200);

    pg = std::make_unique<db::EmbeddedPostgres>(po);
    pg->start();
    ASSERT_TRUE(test::eventually([&] { return host.call("GET", "/ready").status == 200; }, std::chrono::seconds(60)))
        << host.log();
    // The sync that the outage interrupted completes (retried or rescued), and a new one runs.
    const Json resumed = host.waitForJob("ws1", firstJob, std::chrono::seconds(120));
    EXPECT_EQ(resumed["status"], "completed") << resumed.dump(2) << host.log();
    test::HttpResult again;
    ASSERT_TRUE(test::eventually(
        [&] {
          again = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
          return again.status == 202;
        },
        std::chrono::seconds(30)))
        << again.body;
    const Json done = host.waitForJob("ws1", again.json()["jobId"], std::chrono::seconds(90));
    EXPECT_EQ(done["status"], "completed") << done.dump(2);
    EXPECT_FALSE(host.process().waitForExit(std::chrono::milliseconds(0))) << "the host restarted";
    db::Connection c(conninfo);
    EXPECT_EQ(c.exec("SELECT count(*) FROM deals WHERE deleted_at IS NULL").int64(0, 0), 30);
  }
  db::EmbeddedPostgres::stopDetached(po.stateDir);
}

// A paused connection is skipped by the scheduler: no scheduled sync while paused, and its
// schedule applies again once resumed.
TEST(Scenarios, TheSchedulerSkipsAPausedConnection) {
  test::TestDatabase db;
  HostOptions o;
  o.scheduler = true;
  o.connectionSettings = "{records: 5, page_size: 5}";
  ApiHost host(db, o);
  ASSERT_EQ(host.admin("POST", "/api/workspaces/ws1/connections/example/pause").status, 200);
  db::Connection c(db.conninfo());
  c.exec("UPDATE connections SET schedule = '* * * * * *'");
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(c.exec("SELECT count(*) FROM jobs WHERE kind = 'sync'").int64(0, 0), 0) << host.log();
  ASSERT_EQ(host.admin("POST", "/api/workspaces/ws1/connections/example/resume").status, 200);
  EXPECT_TRUE(test::eventually([&] { return c.exec("SELECT count(*) FROM jobs WHERE kind = 'sync'").int64(0, 0) > 0; },
                               std::chrono::seconds(20)))
      << host.log();
}
