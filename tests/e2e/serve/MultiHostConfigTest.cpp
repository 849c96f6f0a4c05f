// Several hosts, one database: hosts whose YAML differs never undo each other's configuration
// (ConfigSync's rule, docs/operators.md). Each host here is a real `tributary serve` with its own
// state dir, port 0 and ready file, on one test database.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>

#include "TestSupport.h"
#include "db/Connection.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

// One host's file: its own state dir, the shared database, and `connections` under workspace acme.
std::string hostYaml(const test::TestDatabase& db, const std::string& state, const std::string& connections) {
  return "state_dir: " + state + "\ndatabase:\n  url: \"" + db.conninfo() +
         "\"\nworkers: {processes: 1}\nqueue: {heartbeat_interval: 200ms}\n"
         "workspaces: [{slug: acme}]\nconnections:\n" +
         connections;
}

const std::string kAlpha =
    "  - {workspace: acme, name: alpha, connector: tributary.example, settings: {records: 10}}\n";
const std::string kBeta = "  - {workspace: acme, name: beta, connector: tributary.example}\n";
const std::string kShared10 = "  - {workspace: acme, name: shared, connector: tributary.example}\n";
const std::string kShared20 =
    "  - {workspace: acme, name: shared, connector: tributary.example, settings: {records: 20}}\n";

struct Host {
  fs::path config;
  fs::path ready;
  std::unique_ptr<test::ServerProcess> process;
  std::string api;
  int runs = 0;

  Host(const test::TempDir& dir, const std::string& name, const std::string& yaml)
      : config(dir.write(name + ".yaml", yaml)), ready(dir / (name + ".ready.json")) {}

  // Starts it and waits for its ready file; false (with the log) when it did not come up.
  ::testing::AssertionResult start(std::vector<std::string> extra = {}) {
    spawn(std::move(extra));
    return waitReady();
  }
  // From the test's main thread: a child dies with the thread that started it (its parent-death
  // signal).
  void spawn(std::vector<std::string> extra = {}) {
    fs::remove(ready);
    std::vector<std::string> argv = {test::tributaryBinary().string(),
                                     "serve",
                                     "--config",
                                     config.string(),
                                     "--port",
                                     "0",
                                     "--ready-file",
                                     ready.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<test::ServerProcess>(
        argv, config.parent_path() / (config.stem().string() + "." + std::to_string(++runs) + ".log"));
  }
  ::testing::AssertionResult waitReady() {
    auto r = process->waitForReadyFile(ready);
    if (!r) return ::testing::AssertionFailure() << process->log();
    if (r->contains("api_url")) api = r->at("api_url");
    return ::testing::AssertionSuccess();
  }
  void stop() {
    if (!process) return;
    const int status = process->stop();
    EXPECT_TRUE(test::exitedWith(status, 0)) << process->log();
  }
  Json readyBody() const {
    auto r = test::httpGet(api + "/ready");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::string log() const { return process ? process->log() : ""; }
};

// name -> "enabled/status", for every connection.
std::map<std::string, std::string> connections(const test::TestDatabase& db) {
  db::Connection c(db.conninfo());
  auto r = c.exec("SELECT name, enabled, status, settings::text FROM connections ORDER BY name");
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) {
    out[r.text(i, 0)] = std::string(r.boolean(i, 1) ? "enabled" : "off") + "/" + r.text(i, 2) + " " + r.text(i, 3);
  }
  return out;
}

}  // namespace

// Two hosts with different files: the second changes nothing and says so in its log and in
// /ready (200); started with --apply-config it applies its file, and the first then reports.
TEST(MultiHostConfig, TwoHostsWithDifferentYamlDoNotDisableEachOthersConnections) {
  test::TestDatabase db;
  test::TempDir dir;
  Host a(dir, "a", hostYaml(db, "state-a", kAlpha + kShared10));
  Host b(dir, "b", hostYaml(db, "state-b", kBeta + kShared20));
  ASSERT_TRUE(a.start());
  const std::map<std::string, std::string> applied = {{"alpha", "enabled/pending {\"records\": \"10\"}"},
                                                      {"shared", "enabled/pending {}"}};
  EXPECT_EQ(connections(db), applied);
  EXPECT_NE(a.log().find("applied this host's configuration (1 workspace(s), 2 connection(s), digest "),
            std::string::npos)
      << a.log();
  EXPECT_NE(a.log().find("the first host to apply a configuration to this database"), std::string::npos);

  ASSERT_TRUE(b.start());
  EXPECT_EQ(connections(db), applied) << "the second host undid the first one's configuration";
  const std::string blog = b.log();
  EXPECT_NE(blog.find("warn  [config] this host's configuration (" + b.config.string() + ", digest "),
            std::string::npos)
      << blog;
  EXPECT_NE(blog.find(") DIFFERS from the one this database follows (digest "), std::string::npos) << blog;
  EXPECT_NE(blog.find("from " + a.config.string() + " at "), std::string::npos) << blog;
  EXPECT_NE(blog.find("what differs: only in the applied configuration: acme/alpha; only in this host's: "
                      "acme/beta; changed: acme/shared"),
            std::string::npos)
      << blog;
  EXPECT_NE(blog.find("restart it with `tributary serve --apply-config`"), std::string::npos) << blog;
  EXPECT_EQ(blog.find("is no longer in the configuration"), std::string::npos) << blog;

  Json ready = b.readyBody();
  EXPECT_EQ(ready["status"], "ready");
  const Json& cfg = ready["config"];
  EXPECT_EQ(cfg["state"], "differs") << ready.dump(2);
  EXPECT_EQ(cfg["this_host"]["file"], b.config.string());
  EXPECT_EQ(cfg["applied"]["file"], a.config.string());
  EXPECT_EQ(cfg["applied"]["reason"], "the first host to apply a configuration to this database");
  const std::string by = cfg["applied"]["by"];
  const std::string pid = " pid " + std::to_string(a.process->pid());
  EXPECT_TRUE(by.size() > pid.size() && by.substr(by.size() - pid.size()) == pid) << cfg.dump(2);
  EXPECT_FALSE(cfg["applied"]["at"].get<std::string>().empty());
  EXPECT_NE(cfg["applied"]["digest"], cfg["this_host"]["digest"]);
  EXPECT_EQ(cfg["differences"],
            (Json{{"only_applied", {"acme/alpha"}}, {"only_this_host", {"acme/beta"}}, {"changed", {"acme/shared"}}}));
  EXPECT_EQ(ready["checks"]["config"].get<std::string>().rfind("this host's configuration (", 0), 0u) << ready.dump(2);
  EXPECT_EQ(cfg["hosts"].size(), 2u) << cfg.dump(2);
  Json readyA = a.readyBody();
  EXPECT_EQ(readyA["config"]["state"], "matches") << readyA.dump(2);
  EXPECT_EQ(readyA["config"]["applied"]["digest"], cfg["applied"]["digest"]);

  // A restart with the same file changes nothing either.
  b.stop();
  ASSERT_TRUE(b.start());
  EXPECT_EQ(connections(db), applied);

  // --apply-config makes b's file the applied one; a, still running, then reports the drift.
  b.stop();
  ASSERT_TRUE(b.start({"--apply-config"}));
  EXPECT_EQ(connections(db), (std::map<std::string, std::string>{{"alpha", "off/disabled {\"records\": \"10\"}"},
                                                                 {"beta", "enabled/pending {}"},
                                                                 {"shared", "enabled/pending {\"records\": \"20\"}"}}));
  EXPECT_NE(b.log().find("started with --apply-config"), std::string::npos) << b.log();
  EXPECT_EQ(b.readyBody()["config"]["state"], "matches");
  readyA = a.readyBody();
  EXPECT_EQ(readyA["config"]["state"], "differs") << readyA.dump(2);
  EXPECT_EQ(readyA["config"]["applied"]["reason"], "started with --apply-config");
  EXPECT_TRUE(test::eventually([&] {
    return a.log().find("another host applied a configuration: this host's configuration") != std::string::npos;
  })) << a.log();
}

// A rolling deploy moves the hosts to a new file one by one: the database keeps following the old
// one while any running host has it, and the last host to move applies the new one.
TEST(MultiHostConfig, ARollingDeployAppliesTheNewFileWhenTheLastHostHasIt) {
  test::TestDatabase db;
  test::TempDir dir;
  Host a(dir, "a", hostYaml(db, "state-a", kAlpha));
  Host b(dir, "b", hostYaml(db, "state-b", kAlpha));
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  EXPECT_EQ(b.readyBody()["config"]["state"], "matches");

  dir.write("b.yaml", hostYaml(db, "state-b", kAlpha + kBeta));
  b.stop();
  ASSERT_TRUE(b.start());
  EXPECT_EQ(connections(db).count("beta"), 0u) << "applied while a still ran with the old file";
  EXPECT_EQ(b.readyBody()["config"]["state"], "differs");

  dir.write("a.yaml", hostYaml(db, "state-a", kAlpha + kBeta));
  a.stop();
  ASSERT_TRUE(a.start());
  EXPECT_EQ(connections(db).count("beta"), 1u) << a.log();
  EXPECT_NE(a.log().find("every other running host has this configuration too"), std::string::npos) << a.log();
  EXPECT_EQ(b.readyBody()["config"]["state"], "matches");
}

// Hosts that start together with different files: the advisory lock lets one apply, and every
// other one finds it and reports the difference.
TEST(MultiHostConfig, HostsStartingTogetherApplyExactlyOneFile) {
  test::TestDatabase db;
  test::TempDir dir;
  std::vector<std::unique_ptr<Host>> hosts;
  const std::vector<std::string> names = {"alpha", "beta", "gamma"};
  for (const auto& n : names) {
    hosts.push_back(std::make_unique<Host>(
        dir, n, hostYaml(db, "state-" + n, "  - {workspace: acme, name: " + n + ", connector: tributary.example}\n")));
  }
  for (auto& h : hosts) h->spawn();
  for (auto& h : hosts) ASSERT_TRUE(h->waitReady());
  auto rows = connections(db);
  std::string logs;
  for (auto& h : hosts) logs += h->log();
  ASSERT_EQ(rows.size(), 1u) << "more than one host applied its file\n" << logs;
  const std::string winner = rows.begin()->first;
  int matches = 0, differs = 0;
  for (auto& h : hosts) {
    const Json cfg = h->readyBody()["config"];
    EXPECT_EQ(cfg["applied"]["file"], (dir / (winner + ".yaml")).string()) << cfg.dump(2);
    (cfg["state"] == "matches" ? matches : differs)++;
    EXPECT_EQ(cfg["hosts"].size(), 3u) << cfg.dump(2);
  }
  EXPECT_EQ(matches, 1);
  EXPECT_EQ(differs, 2);
}

// serve --role worker never applies, and says when its file differs.
TEST(MultiHostConfig, AWorkerHostNeverAppliesAndReportsItsDifference) {
  test::TestDatabase db;
  test::TempDir dir;
  Host a(dir, "a", hostYaml(db, "state-a", kAlpha));
  ASSERT_TRUE(a.start());
  Host w(dir, "w", hostYaml(db, "state-w", kBeta));
  ASSERT_TRUE(w.start({"--role", "worker"}));
  EXPECT_EQ(connections(db).count("beta"), 0u);
  EXPECT_NE(w.log().find("DIFFERS from the one this database follows"), std::string::npos) << w.log();
  EXPECT_NE(w.log().find("a worker host never applies a configuration"), std::string::npos) << w.log();
  // a's /ready lists it among the running hosts.
  const Json hosts = a.readyBody()["config"]["hosts"];
  ASSERT_EQ(hosts.size(), 2u) << hosts.dump(2);
  EXPECT_EQ(hosts[1]["role"], "worker");
  EXPECT_EQ(hosts[1]["applied"], false);

  // Even alone on the database, a worker host applies nothing.
  a.stop();
  w.stop();
  ASSERT_TRUE(w.start({"--role", "worker"}));
  EXPECT_EQ(connections(db).count("beta"), 0u);
  w.stop();

  auto r = test::runProgram(
      {test::tributaryBinary().string(), "serve", "--config", w.config.string(), "--role", "worker", "--apply-config"});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_NE(r.output.find("tributary serve: --apply-config goes with --role all: a worker host never applies the "
                          "configuration"),
            std::string::npos)
      << r.output;
}

// `config check` says whether a valid file is the one its database follows.
TEST(MultiHostConfig, ConfigCheckComparesTheFileWithTheAppliedOne) {
  test::TestDatabase db;
  test::TempDir dir;
  Host a(dir, "a", hostYaml(db, "state-a", kAlpha));
  const auto other = dir.write("other.yaml", hostYaml(db, "state-o", kAlpha + kBeta));
  const auto bin = test::tributaryBinary().string();
  auto r = test::runProgram({bin, "config", "check", a.config.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find(a.config.string() + ": no configuration was applied to the database \"" + db.name()),
            std::string::npos)
      << r.output;

  ASSERT_TRUE(a.start());
  r = test::runProgram({bin, "config", "check", a.config.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find(a.config.string() + ": is the configuration the database \"" + db.name()), std::string::npos)
      << r.output;
  r = test::runProgram({bin, "config", "check", other.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find(other.string() + ": differs from the configuration the database \"" + db.name()),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("): only in this file: acme/beta. A serve started with it changes nothing"),
            std::string::npos)
      << r.output;
}
