#include "db/EmbeddedPostgres.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "TestSupport.h"
#include "db/Connection.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

db::EmbeddedPostgres::Options optionsFor(const fs::path& state) {
  db::EmbeddedPostgres::Options o;
  o.stateDir = state;
  o.lifetime = db::EmbeddedPostgres::Lifetime::Child;
  o.unsafeFastSettings = true;
  return o;
}

}  // namespace

TEST(EmbeddedPostgres, FirstStartInitializesAndARestartReusesTheCluster) {
  test::TempDir dir;
  {
    db::EmbeddedPostgres pg(optionsFor(dir / "state"));
    pg.start();
    EXPECT_TRUE(pg.initialized());
    EXPECT_EQ(pg.socketDir(), dir / "state" / "run");
    db::Connection c(pg.conninfo());
    c.execScript("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restarts')");
    pg.stop();
    EXPECT_FALSE(fs::exists(pg.dataDir() / "postmaster.pid"));
  }
  db::EmbeddedPostgres again(optionsFor(dir / "state"));
  again.start();
  EXPECT_FALSE(again.initialized());
  db::Connection c(again.conninfo());
  EXPECT_EQ(c.exec("SELECT v FROM kept").text(0, 0), "survives restarts");
}

TEST(EmbeddedPostgres, LongStateDirFallsBackToAShortSocketDir) {
  test::TempDir dir;
  fs::path state = dir.path();
  while (state.string().size() < 120) state /= "a-rather-long-directory-name";
  db::EmbeddedPostgres pg(optionsFor(state));
  pg.start();
  EXPECT_EQ(pg.socketDir().parent_path(), "/tmp");
  EXPECT_EQ(pg.socketDir().filename().string().rfind("tributary-", 0), 0u);
  EXPECT_EQ(db::EmbeddedPostgres::socketDirFor(state), pg.socketDir());
  db::Connection c(pg.conninfo());
  EXPECT_EQ(c.exec("SELECT 1").int64(0, 0), 1);
  pg.stop();
  fs::remove_all(pg.socketDir());
}

TEST(EmbeddedPostgres, MissingServerBinariesNameThePackage) {
  test::TempDir dir;
  auto o = optionsFor(dir / "state");
  o.settings.binDir = dir / "empty-bin";
  fs::create_directories(o.settings.binDir);
  db::EmbeddedPostgres pg(o);
  try {
    pg.start();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "database.embedded.bin_dir " + (dir / "empty-bin").string() +
                  " holds no postgres binary: point it at PostgreSQL's server binaries, or install "
                  "the Debian package postgresql");
  }
}

TEST(EmbeddedPostgres, ClusterStopsWhenItsOwnerIsKilled) {
  test::TempDir dir;
  auto cfg = dir.write("tributary.yaml", "state_dir: state\nserver: {port: 0}\n");
  auto serve = std::make_unique<test::ServerProcess>(
      std::vector<std::string>{test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--ready-file",
                               (dir / "ready.json").string()},
      dir / "serve.log");
  ASSERT_TRUE(serve->waitForReadyFile(dir / "ready.json")) << serve->log();
  auto pidFile = dir / "state" / "postgres" / "postmaster.pid";
  ASSERT_TRUE(fs::exists(pidFile));
  serve->signal(SIGKILL);
  serve->waitForExit(std::chrono::seconds(10));
  EXPECT_TRUE(test::eventually([&] { return !fs::exists(pidFile); }, std::chrono::seconds(30)))
      << "the cluster outlived a kill -9 of serve";
  // And the next serve starts on the same state dir.
  fs::remove(dir / "ready.json");
  test::ServerProcess next({test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--ready-file",
                            (dir / "ready.json").string()},
                           dir / "serve2.log");
  auto ready = next.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << next.log();
  auto res = test::httpGet(ready->at("api_url").get<std::string>() + "/ready");
  EXPECT_EQ(res.status, 200) << res.body;
}
