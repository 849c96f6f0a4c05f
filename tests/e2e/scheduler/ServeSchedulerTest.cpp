// `tributary serve` runs the scheduler (role all, scheduler.enabled), which fires connections'
// schedules into the queue.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "SchedulerTestSupport.h"
#include "TestSupport.h"

using namespace tributary;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> serveArgs(const fs::path& cfg, const fs::path& ready) {
  return {test::tributaryBinary().string(),
          "serve",
          "--config",
          cfg.string(),
          "--port",
          "0",
          "--ready-file",
          ready.string()};
}

}  // namespace

// From the YAML to the queue: serve syncs the connection with its schedule, zone and misfire
// policy into the database, and the scheduler fires it.
TEST(ServeScheduler, ServeFiresAYamlScheduleAndSkipsItWhileItsSyncIsPending) {
  test::SchedulerDatabase db;
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
                                     "\"\nworkers:\n  processes: 1\n"
                                     "scheduler:\n  tick: 200ms\n  leader_lease: 3s\n"
                                     "workspaces: [{slug: acme}]\n"
                                     "connections:\n"
                                     "  - workspace: acme\n"
                                     "    name: alpha\n"
                                     "    connector: tributary.example\n"
                                     "    schedule: \"* * * * * *\"\n"
                                     "    timezone: Europe/Berlin\n"
                                     "    misfire: skip\n"
                                     // Slow enough that the first sync still runs when the
                                     // next slots come.
                                     "    settings: {records: 1000, page_size: 10, latency_ms: 300}\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  auto row = db.sql().exec(
      "SELECT id::text, schedule, schedule_timezone, misfire FROM connections WHERE name = "
      "'alpha'");
  ASSERT_EQ(row.rows(), 1);
  const std::string conn = row.text(0, 0);
  EXPECT_EQ(row.text(0, 1), "* * * * * *");
  EXPECT_EQ(row.text(0, 2), "Europe/Berlin");
  EXPECT_EQ(row.text(0, 3), "skip");

  ASSERT_TRUE(test::eventually([&] { return db.scheduledJobs(conn) >= 1; }, 10s)) << serve.log();
  // The first sync is still running, so the next slots skip.
  ASSERT_TRUE(test::eventually(
      [&] { return serve.log().find("skipping the scheduled sync of acme/alpha for ") != std::string::npos; }, 10s))
      << serve.log();
  EXPECT_EQ(db.scheduledJobs(conn), 1);
  std::string log = serve.log();
  EXPECT_NE(log.find("acme/alpha is scheduled \"* * * * * *\" (Europe/Berlin); first slot "), std::string::npos) << log;
  EXPECT_NE(log.find(" now leads the scheduler"), std::string::npos) << log;
  EXPECT_NE(log.find("queueing 1 scheduled sync\n"), std::string::npos) << log;
  EXPECT_NE(log.find("queued 1/1\n"), std::string::npos) << log;
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 1);

  int status = serve.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << serve.log();
  // Stopping gave the lead up.
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 0);
}

TEST(ServeScheduler, ConfigCheckReportsABadScheduleAtItsKey) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml",
                       "workspaces: [{slug: acme}]\n"
                       "connections:\n"
                       "  - workspace: acme\n"
                       "    connector: tributary.example\n"
                       "    schedule: \"*/15 10,25 * * *\"\n"
                       "    timezone: Europe/Berlni\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "config", "check", cfg.string()});
  EXPECT_FALSE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.output;
  EXPECT_NE(r.output.find(cfg.string() + ":5:15: connections[0].schedule: position 9: hour 25 is out of range 0-23"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(cfg.string() + ":6:15: connections[0].timezone: unknown time zone \"Europe/Berlni\"; use "
                                         "an IANA name such as Europe/Berlin or America/New_York (the names under "
                                         "/usr/share/zoneinfo) (did you mean \"Europe/Berlin\"?)"),
            std::string::npos)
      << r.output;
}

TEST(ServeScheduler, SchedulerOffMeansNoLeaderAndSaysSo) {
  test::SchedulerDatabase db;
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
                                     "\"\nworkers:\n  processes: 1\nscheduler:\n  enabled: false\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  EXPECT_NE(serve.log().find("the scheduler is off (scheduler.enabled: false): connections sync on "
                             "demand only"),
            std::string::npos)
      << serve.log();
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 0);
  int status = serve.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << serve.log();
}
