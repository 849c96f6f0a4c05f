#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "TestSupport.h"
#include "common/Files.h"
#include "db/Connection.h"
#include "db/EmbeddedPostgres.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace serve_test {

std::vector<std::string> serveArgs(const fs::path& cfg, const fs::path& ready, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {test::tributaryBinary().string(),
                                "serve",
                                "--config",
                                cfg.string(),
                                "--port",
                                "0",
                                "--ready-file",
                                ready.string()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(Serve, AnswersHealthAndReadyOverHttp) {
  test::TestDatabase db;
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  auto ready = serve.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << serve.log();
  const std::string api = ready->at("api_url");
  EXPECT_EQ(api.rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_EQ(ready->at("database"), "external");

  auto health = test::httpGet(api + "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  EXPECT_EQ(health.headers["content-type"], "application/json");
  auto r = test::httpGet(api + "/ready");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "ready");
  EXPECT_EQ(r.json()["checks"]["database"], "ok");
  EXPECT_EQ(test::httpGet(api + "/nope").status, 404);

  // One access-log line per request.
  EXPECT_TRUE(test::eventually([&] { return serve.log().find("GET /health 200") != std::string::npos; }))
      << serve.log();
  EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
}

// /ready follows the database: 503 with the reason while it is down, 200 again once it is back,
// and the host never restarts.
TEST(Serve, ReadyIs503WhileTheDatabaseIsDownAnd200WhenItReturns) {
  test::TempDir dir;
  db::EmbeddedPostgres::Options o;
  o.stateDir = dir / "pg";
  o.lifetime = db::EmbeddedPostgres::Lifetime::Detached;
  o.unsafeFastSettings = true;
  auto pg = std::make_unique<db::EmbeddedPostgres>(o);
  pg->start();
  auto cfg =
      dir.write("t.yaml", "database:\n  url: \"" + pg->conninfo() + "\"\n  pool: {health_check_on_borrow: true}\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  auto ready = serve.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << serve.log();
  const std::string api = ready->at("api_url");
  EXPECT_EQ(test::httpGet(api + "/ready").status, 200);

  ASSERT_TRUE(db::EmbeddedPostgres::stopDetached(o.stateDir));
  test::HttpResult down;
  ASSERT_TRUE(test::eventually([&] {
    down = test::httpGet(api + "/ready");
    return down.status == 503;
  })) << down.status
      << " " << down.body;
  EXPECT_EQ(down.json()["status"], "not_ready");
  EXPECT_EQ(down.json()["reason"].get<std::string>().rfind("database unavailable: ", 0), 0u) << down.body;
  EXPECT_EQ(test::httpGet(api + "/health").status, 200) << "health must not depend on the database";

  pg = std::make_unique<db::EmbeddedPostgres>(o);
  pg->start();
  EXPECT_TRUE(test::eventually([&] { return test::httpGet(api + "/ready").status == 200; })) << serve.log();
  EXPECT_FALSE(serve.waitForExit(std::chrono::milliseconds(0))) << "the host restarted";
  serve.stop();
  db::EmbeddedPostgres::stopDetached(o.stateDir);
}

TEST(Serve, ReadyIs503WhileAMigrationIsPending) {
  test::TestDatabase db;
  test::TempDir dir;
  fs::copy(test::migrationsDir(), dir / "migrations");
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json", {"--migrations-dir", (dir / "migrations").string()}),
                            dir / "serve.log");
  auto ready = serve.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << serve.log();
  const std::string api = ready->at("api_url");
  EXPECT_EQ(test::httpGet(api + "/ready").status, 200);
  dir.write("migrations/999_later.sql", "SELECT 1;\n");
  auto r = test::httpGet(api + "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["reason"], "1 migration(s) pending, first 999_later");
}

TEST(Serve, ASecondServeOnTheSameStateDirIsRefused) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "state_dir: state\n");
  test::ServerProcess first(serveArgs(cfg, dir / "ready.json"), dir / "first.log");
  auto ready = first.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << first.log();
  EXPECT_EQ(ready->at("database"), "embedded");

  test::ServerProcess second(serveArgs(cfg, dir / "ready2.json"), dir / "second.log");
  auto st = second.waitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(st);
  EXPECT_TRUE(test::exitedWith(*st, 1));
  EXPECT_NE(second.log().find("cannot start: state_dir " + (dir / "state").string() +
                              " is in use by another tributary (pid " + std::to_string(first.pid()) +
                              ", serve): stop it first, or give this one its own state_dir"),
            std::string::npos)
      << second.log();
  // The first one and its cluster are untouched.
  EXPECT_EQ(test::httpGet(ready->at("api_url").get<std::string>() + "/ready").status, 200);
  EXPECT_TRUE(test::exitedWith(first.stop(), 0)) << first.log();
  EXPECT_FALSE(fs::exists(dir / "state" / "postgres" / "postmaster.pid")) << "not stopped cleanly";
}

// Ctrl-C in a terminal signals the whole foreground process group. Only serve may act on it:
// it stops its workers (SIGTERM, with their grace) and only then the embedded database.
TEST(Serve, CtrlCStopsTheWorkersFirstAndTheDatabaseLast) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "state_dir: state\nworkers: {processes: 2}\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log", {}, true);
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  ASSERT_TRUE(test::eventually([&] { return serve.log().find("started worker 1") != std::string::npos; },
                               std::chrono::seconds(30)))
      << serve.log();
  ASSERT_EQ(::kill(-serve.pid(), SIGINT), 0);
  auto st = serve.waitForExit(std::chrono::seconds(60));
  ASSERT_TRUE(st) << serve.log();
  EXPECT_TRUE(test::exitedWith(*st, 0)) << serve.log();
  const std::string log = serve.log();
  EXPECT_EQ(log.find("worker-0 received SIGINT"), std::string::npos) << "a worker heard the terminal\n" << log;
  EXPECT_NE(log.find("worker-0 received SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("worker-1 received SIGTERM"), std::string::npos) << log;
  EXPECT_EQ(log.find("error [supervisor]"), std::string::npos) << log;
  EXPECT_EQ(log.find("error [worker]"), std::string::npos) << log;
  const auto workersStopped = log.find("all workers stopped");
  const auto databaseStopped = log.find("embedded PostgreSQL stopped");
  ASSERT_NE(workersStopped, std::string::npos) << log;
  ASSERT_NE(databaseStopped, std::string::npos) << log;
  EXPECT_LT(workersStopped, databaseStopped) << log;
  EXPECT_FALSE(fs::exists(dir / "state" / "postgres" / "postmaster.pid")) << "not stopped cleanly";
}

TEST(Serve, RefusesToStartOnAnInvalidConfig) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "server:\n  prot: 1\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "serve", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1));
  EXPECT_NE(r.output.find(cfg.string() + ":2:3: server.prot: unknown key (did you mean \"port\"?)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 problem(s) in the configuration; nothing was started"), std::string::npos);
}

TEST(Serve, MissingPostgresBinariesNameTheDebianPackage) {
  test::TempDir dir;
  fs::create_directories(dir / "nobin");
  auto cfg = dir.write("t.yaml", "state_dir: state\ndatabase:\n  embedded:\n    bin_dir: nobin\n");
  auto r = test::runProgram(serveArgs(cfg, dir / "ready.json"));
  EXPECT_TRUE(test::exitedWith(r.status, 1));
  EXPECT_NE(r.output.find("install the Debian package postgresql"), std::string::npos) << r.output;
}

TEST(Cli, ConfigCheckPrintsEveryProblemAndExits1) {
  test::TempDir dir;
  auto bad = dir.write("bad.yaml", "server: {port: x}\nlogging: {level: loud}\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "config", "check", bad.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1));
  EXPECT_EQ(r.output, bad.string() + ":1:16: server.port: expected an integer, got \"x\"\n" + bad.string() +
                          ":2:18: logging.level: must be one of trace, debug, info, warn, error, off, got "
                          "\"loud\"\n" +
                          bad.string() + ": 2 problem(s)\n");
  auto good = dir.write("good.yaml", "server: {port: 9000}\n");
  r = test::runProgram({test::tributaryBinary().string(), "config", "check", good.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0));
  EXPECT_EQ(r.output, good.string() + ": OK (0 workspace(s), 0 connection(s))\n");
}

TEST(Cli, EverySubcommandHasHelp) {
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"serve"}, {"migrate"}, {"config", "check"}, {"version"}}) {
    std::vector<std::string> argv = {test::tributaryBinary().string()};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    argv.push_back("--help");
    auto r = test::runProgram(argv);
    EXPECT_TRUE(test::exitedWith(r.status, 0)) << cmd[0];
    EXPECT_NE(r.output.find("usage: tributary " + cmd[0]), std::string::npos) << r.output;
  }
  auto r = test::runProgram({test::tributaryBinary().string(), "frobnicate"});
  EXPECT_TRUE(test::exitedWith(r.status, 2));
  EXPECT_NE(r.output.find("tributary: unknown command \"frobnicate\""), std::string::npos);
  r = test::runProgram({test::tributaryBinary().string(), "serve", "--bogus"});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
}

TEST(Cli, MigrateStatusListsAppliedAndPending) {
  test::TestDatabase db;
  test::TempDir dir;
  dir.write("m/001_one.sql", "CREATE TABLE one (id int);\n");
  dir.write("m/002_two.sql", "CREATE TABLE two (id int);\n");
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  const auto bin = test::tributaryBinary().string();
  auto r = test::runProgram(
      {bin, "migrate", "--status", "--config", cfg.string(), "--migrations-dir", (dir / "m").string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, "pending  001_one\npending  002_two\n0 applied, 2 pending\n");
  r = test::runProgram({bin, "migrate", "--config", cfg.string(), "--migrations-dir", (dir / "m").string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find("applied 2 migration(s)"), std::string::npos) << r.output;
  r = test::runProgram(
      {bin, "migrate", "--status", "--config", cfg.string(), "--migrations-dir", (dir / "m").string()});
  EXPECT_NE(r.output.find("applied  001_one  "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 applied, 0 pending"), std::string::npos) << r.output;
}

// `migrate` on an embedded state dir that a serve holds joins that serve's cluster.
TEST(Cli, MigrateJoinsTheClusterOfARunningServe) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "state_dir: state\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  auto r = test::runProgram({test::tributaryBinary().string(), "migrate", "--status", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find(" applied, 0 pending"), std::string::npos) << r.output;
}

// The build's plugins and the fixtures (which no default path names): the example loaded,
// every fixture refused with its reason.
TEST(Cli, PluginsListShowsLoadedAndRefusedPlugins) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "plugins:\n  dirs: [\"" + (test::buildDir() / "plugins").string() + "\", \"" +
                                     (test::buildDir() / "tests" / "fixture-plugins").string() + "\"]\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "plugins", "list", "--json", "--config", cfg.string()});
  ASSERT_TRUE(r.ok()) << r.output;
  auto j = Json::parse(r.output);
  std::map<std::string, Json> byFile;
  for (const auto& p : j["plugins"]) byFile[fs::path(p["path"].get<std::string>()).filename().string()] = p;
  ASSERT_TRUE(byFile.count("libtributary_example.so") || byFile.count("tributary_example.so")) << r.output;
  const Json& example =
      byFile.count("libtributary_example.so") ? byFile["libtributary_example.so"] : byFile["tributary_example.so"];
  EXPECT_EQ(example["status"], "loaded");
  EXPECT_EQ(example["name"], "tributary.example");
  EXPECT_EQ(example["abi"], "1.1");
  EXPECT_EQ(example["streams"].size(), 4u);
  for (const char* refused :
       {"fixture_abi_major.so", "fixture_abi_minor.so", "fixture_good_duplicate.so", "fixture_missing_dependency.so",
        "fixture_missing_entry.so", "fixture_not_elf.so", "fixture_throwing_create.so", "fixture_unresolved.so",
        "fixture_v11_streams_c_bad_flag.so", "fixture_v11_streams_cpp_bad_flag.so"}) {
    ASSERT_TRUE(byFile.count(refused)) << refused;
    EXPECT_EQ(byFile[refused]["status"], "refused") << refused;
    EXPECT_FALSE(byFile[refused]["reason"].get<std::string>().empty()) << refused;
  }
  auto text = test::runProgram({test::tributaryBinary().string(), "plugins", "list", "--config", cfg.string()});
  EXPECT_NE(text.output.find("loaded   tributary.example 1.0.0 (ABI 1.1)"), std::string::npos) << text.output;
  // The good fixtures and the in-tree connectors (tributary.example, tributary.hubspot).
  EXPECT_NE(text.output.find("8 loaded, 10 refused"), std::string::npos) << text.output;
}

// YAML owns workspaces and connections: serve syncs them in, and a connection removed from the
// file is disabled, not deleted.
TEST(Serve, SyncsYamlConnectionsAndDisablesRemovedOnes) {
  test::TestDatabase db;
  test::TempDir dir;
  const std::string head = "state_dir: state\ndatabase:\n  url: \"" + db.conninfo() +
                           "\"\nworkers: {processes: 1}\n"
                           "workspaces:\n  - {slug: acme, name: Acme}\nconnections:\n";
  auto cfg = dir.write("t.yaml", head +
                                     "  - {workspace: acme, connector: tributary.example, schedule: '0 2 * * *',"
                                     " settings: {records: 10, api_key: '${KEY:-k1}'}}\n"
                                     "  - {workspace: acme, name: second, connector: tributary.example}\n");
  {
    test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
    auto ready = serve.waitForReadyFile(dir / "ready.json");
    ASSERT_TRUE(ready) << serve.log();
    auto plugins = test::httpGetAsAdmin(*ready, ready->at("api_url").get<std::string>() + "/api/plugins");
    EXPECT_EQ(plugins.status, 200);
    EXPECT_NE(plugins.body.find("\"tributary.example\""), std::string::npos);
  }
  db::Connection c(db.conninfo());
  auto r = c.exec("SELECT name, connector, schedule, settings::text, enabled, status FROM connections ORDER BY name");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.text(0, 0), "example");
  EXPECT_EQ(r.text(0, 2), "0 2 * * *");
  EXPECT_EQ(r.text(0, 3), "{\"records\": \"10\"}") << "secret settings never reach the database";
  EXPECT_TRUE(r.boolean(1, 4));

  fs::remove(dir / "ready.json");
  dir.write("t.yaml", head + "  - {workspace: acme, connector: tributary.example}\n");
  test::ServerProcess again(serveArgs(cfg, dir / "ready.json"), dir / "serve2.log");
  ASSERT_TRUE(again.waitForReadyFile(dir / "ready.json")) << again.log();
  r = c.exec("SELECT name, enabled, status FROM connections ORDER BY name");
  ASSERT_EQ(r.rows(), 2) << "a removed connection is kept";
  EXPECT_FALSE(r.boolean(1, 1));
  EXPECT_EQ(r.text(1, 2), "disabled");
  EXPECT_NE(again.log().find("connection acme/second is no longer in the configuration: disabled (its data is kept)"),
            std::string::npos)
      << again.log();
}

TEST(Serve, RefusesConnectionsThatDoNotMatchTheirPlugin) {
  test::TempDir dir;
  auto cfg = dir.write("t.yaml",
                       "workspaces: [{slug: acme}]\nconnections:\n"
                       "  - {workspace: acme, connector: tributary.example, settings: {page_size: ten}}\n");
  auto r = test::runProgram(serveArgs(cfg, dir / "ready.json"));
  EXPECT_TRUE(test::exitedWith(r.status, 1));
  EXPECT_NE(r.output.find("1 problem(s) with the configured connections:\n" + cfg.string() +
                          ":3:75: connections[0].settings.page_size: setting 'page_size' of tributary.example must "
                          "be an integer, got \"ten\""),
            std::string::npos)
      << r.output;
}

}  // namespace serve_test
