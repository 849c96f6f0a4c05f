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

TEST(ServeScheduler, ServeFiresAScheduleAndSkipsItWhileItsSyncIsPending) {
  test::SchedulerDatabase db;
  test::TempDir dir;
  auto ws = db.addWorkspace("acme");
  auto conn = db.addConnection(ws, "alpha", "* * * * * *");
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
                                     "\"\nworkers:\n  processes: 1\n"
                                     "scheduler:\n  tick: 200ms\n  leader_lease: 3s\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();

  ASSERT_TRUE(test::eventually([&] { return db.scheduledJobs(conn) >= 1; }, 10s)) << serve.log();
  // No worker handles `sync` yet, so the job stays pending and the next slots skip.
  ASSERT_TRUE(test::eventually(
      [&] {
        return serve.log().find("skipping the scheduled sync of acme/alpha for ") !=
               std::string::npos;
      },
      10s))
      << serve.log();
  EXPECT_EQ(db.scheduledJobs(conn), 1);
  std::string log = serve.log();
  EXPECT_NE(log.find(" now leads the scheduler"), std::string::npos) << log;
  EXPECT_NE(log.find("queueing 1 scheduled sync\n"), std::string::npos) << log;
  EXPECT_NE(log.find("queued 1/1\n"), std::string::npos) << log;
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 1);

  int status = serve.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << serve.log();
  // Stopping gave the lead up.
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 0);
}

TEST(ServeScheduler, SchedulerOffMeansNoLeaderAndSaysSo) {
  test::SchedulerDatabase db;
  test::TempDir dir;
  auto cfg =
      dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
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
