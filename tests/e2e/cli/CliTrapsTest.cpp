// The traps a newcomer found in the tributary command (issue 13, item 7), each pinned with its
// message and exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>
#include <set>

#include "TestSupport.h"
#include "common/Strings.h"
#include "db/Connection.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

std::string bin() { return test::tributaryBinary().string(); }

// Runs tributary ARGS in `cwd`, as someone in a checkout would.
process::RunResult runIn(const fs::path& cwd, std::vector<std::string> args) {
  process::SpawnOptions o;
  o.argv = {bin()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.workingDir = cwd.string();
  return process::run(o);
}

process::RunResult run(std::vector<std::string> args) {
  std::vector<std::string> argv = {bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::runProgram(argv);
}

}  // namespace

// A command run in the checkout without --config takes ./config/tributary.yaml, whose database
// is the embedded cluster in state_dir: with no serve running it, the command says so, naming the
// file, and creates nothing (it used to initdb a cluster there, then fail on a missing table).
TEST(CliTraps, ACommandOtherThanServeAndMigrateNeverStartsAClusterAndNamesItsFile) {
  test::TempDir dir;
  const auto cfg = dir.write("config/tributary.yaml", "state_dir: ../state\n");
  const std::string expected = "no database to use: " + cfg.string() +
                               " sets no database.url, so its database is the embedded cluster in " +
                               (dir / "state" / "postgres").string() +
                               ", and no `tributary serve` is running it. Start `tributary serve --config " +
                               cfg.string() + "` first, or set database.url to your PostgreSQL (`tributary ";
  for (std::vector<std::string> cmd : {std::vector<std::string>{"jobs", "list"},
                                       {"jobs", "show", "6f1c2b1e-0000-4000-8000-000000000000"},
                                       {"sync", "acme"},
                                       {"records", "replay", "acme"}}) {
    const std::string name = cmd[0] == "sync" ? "sync" : cmd[0] + " " + cmd[1];
    auto r = runIn(dir.path(), cmd);
    EXPECT_TRUE(test::exitedWith(r.status, 1)) << name << ": " << r.output;
    EXPECT_NE(r.output.find("tributary " + name + ": " + expected + name + "` never starts a cluster of its own)\n"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("does not exist"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "state")) << name << " created the state dir";
  }

  // With a serve running the embedded cluster, the same command joins it.
  test::ServerProcess serve(
      {bin(), "serve", "--config", cfg.string(), "--port", "0", "--ready-file", (dir / "ready.json").string()},
      dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  auto r = runIn(dir.path(), {"jobs", "list"});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output.rfind("ID  ", 0), 0u) << r.output;
}

// An unmigrated database is named as such, with the command that migrates it; and a command that
// fails names the configuration it used.
TEST(CliTraps, AnUnmigratedDatabaseIsReportedWithTheCommandToRun) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  auto r = run({"jobs", "list", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("tributary jobs list: the database \"" + db.name() + "\" on "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" has no Tributary tables: it was never migrated. Run `tributary migrate --config " +
                          cfg.string() + "` (serve also migrates when it starts)\n"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("relation \"jobs\" does not exist"), std::string::npos) << r.output;

  // Migrated but for the newest migration.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::migrationsDir())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  fs::create_directories(dir / "older");
  for (size_t i = 0; i + 1 < files.size(); ++i) fs::copy(files[i], dir / "older" / files[i].filename());
  r = run({"migrate", "--config", cfg.string(), "--migrations-dir", (dir / "older").string()});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  r = run({"sync", "acme", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find(" is not migrated for this tributary: 1 migration(s) pending, first " +
                          files.back().stem().string() + ". Run `tributary migrate --config " + cfg.string() + "`\n"),
            std::string::npos)
      << r.output;

  r = run({"migrate", "--config", cfg.string()});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  r = run({"jobs", "list", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;

  // Any other failure names the file it came from.
  const auto gone = dir.write("gone.yaml", "database:\n  url: \"" + db.conninfo() + "_gone\"\n");
  r = run({"jobs", "list", "--config", gone.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("tributary jobs list: cannot connect to database \"" + db.name() + "_gone\""),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("tributary jobs list: (with the configuration " + gone.string() + ")\n"), std::string::npos)
      << r.output;

  // No --config, and no ./config/tributary.yaml: the default that was looked for is named.
  test::TempDir empty;
  if (!fs::exists("/etc/tributary/tributary.yaml")) {
    r = runIn(empty.path(), {"jobs", "list"});
    EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
    EXPECT_NE(r.output.find("tributary jobs list: no --config was given and there is no ./config/tributary.yaml "
                            "here, so tributary looked for /etc/tributary/tributary.yaml: pass --config FILE\n"),
              std::string::npos)
        << r.output;
  }
}

// With no host running, `sync --follow` says after a few seconds why nothing happens, keeps
// waiting, and on SIGTERM (or Ctrl-C) says where the job stays.
TEST(CliTraps, SyncFollowSaysWhenNoWorkerHasClaimedTheJob) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
                                           "\"\nworkers: {processes: 1}\nworkspaces: [{slug: acme}]\n"
                                           "connections: [{workspace: acme, connector: tributary.example}]\n");
  {
    // A serve applies the configuration, then goes away.
    test::ServerProcess serve(
        {bin(), "serve", "--config", cfg.string(), "--port", "0", "--ready-file", (dir / "ready.json").string()},
        dir / "serve.log");
    ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
    EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
  }
  test::ServerProcess follow({bin(), "sync", "acme", "--follow", "--config", cfg.string()}, dir / "follow.log");
  ASSERT_TRUE(test::eventually([&] { return follow.log().find("no worker has claimed") != std::string::npos; },
                               std::chrono::seconds(30)))
      << follow.log();
  const std::string log = follow.log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex("queued acme/example: job ([0-9a-f-]{36})"))) << log;
  const std::string job = m[1];
  EXPECT_NE(log.find("tributary sync: no worker has claimed job " + job +
                     " (acme/example) after 5 s: no `tributary serve` is running against this database (database \"" +
                     db.name() + "\" on "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("); jobs run only in the workers of a serve. Start one with `tributary serve --config " +
                     cfg.string() + "`. Still waiting; Ctrl-C stops following and leaves the job queued\n"),
            std::string::npos)
      << log;
  EXPECT_FALSE(follow.waitForExit(std::chrono::milliseconds(500))) << "it stopped waiting\n" << log;
  const int status = follow.stop();
  EXPECT_TRUE(test::exitedWith(status, 1)) << process::describeStatus(status) << "\n" << follow.log();
  EXPECT_NE(
      follow.log().find("tributary sync: stopped following (SIGTERM); the jobs stay queued or running without this "
                        "command: see `tributary jobs show " +
                        job + "`, or cancel one with `tributary jobs cancel ID`\n"),
      std::string::npos)
      << follow.log();
}

// One run of `config check` reports the file's own problems, duplicates and each connection's
// problems with its plugin together (it used to stop after the first kind).
TEST(CliTraps, ConfigCheckReportsEveryKindOfProblemInOneRun) {
  test::TempDir dir;
  const auto f =
      dir.write("bad.yaml", "plugins: {dirs: ['" + std::string(TRIBUTARY_TEST_PLUGIN_DIR) + "', '" +
                                TRIBUTARY_TEST_FIXTURE_PLUGIN_DIR +
                                "']}\n"
                                "server: {prot: 1}\n"
                                "workspaces: [{slug: acme}, {slug: acme}]\n"
                                "connections:\n"
                                "  - {workspace: acme, connector: tributary.nope}\n"
                                "  - {workspace: acme, connector: tributary.example, settings: {page_size: ten}}\n"
                                "  - {workspace: acme, connector: tributary.example}\n"
                                "  - {workspace: acme, connector: tributary.fixture_good, settings: {token: "
                                "'${TRIBUTARY_TEST_UNSET_TOKEN}'}}\n");
  auto r = run({"config", "check", f.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  const std::string file = f.string();
  for (const std::string& line :
       {file + ":2:10: server.prot: unknown key (did you mean \"port\"?)",
        file + ":3:35: workspaces: workspace \"acme\" is defined twice (first at " + file + ":3:21)",
        file + ":5:34: connections[0].connector: connector \"tributary.nope\" is not loaded",
        file + ":6:75: connections[1].settings.page_size: setting 'page_size' of tributary.example must be an "
               "integer, got \"ten\"",
        file + ":7:5: connections[2]: connection \"example\" of workspace \"acme\" is defined twice (first at " + file +
            ":6:5); give one of them another name",
        file + ":8:76: connections[3].settings.token: environment variable TRIBUTARY_TEST_UNSET_TOKEN is not set",
        file + ": 6 problem(s)\n"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n---\n" << r.output;
  }
  EXPECT_EQ(r.output.find("missing required setting"), std::string::npos)
      << "an unreadable setting is not missing too\n"
      << r.output;
}

// `tributary config --help` (and jobs, records, plugins) lists the group's commands.
TEST(CliTraps, EachCommandGroupListsItsCommands) {
  const std::map<std::string, std::vector<std::string>> groups = {
      {"config", {"config check"}},
      {"jobs", {"jobs list", "jobs show", "jobs retry", "jobs cancel"}},
      {"records", {"records replay"}},
      {"plugins", {"plugins list"}}};
  for (const auto& [group, subcommands] : groups) {
    const std::string usage = "usage: tributary " + group + " COMMAND [options]   (tributary " + group +
                              " COMMAND --help for details)\n\ncommands:\n";
    for (const char* help : {"--help", "-h", "help"}) {
      auto r = run({group, help});
      EXPECT_TRUE(test::exitedWith(r.status, 0)) << group << " " << help << ": " << r.output;
      EXPECT_EQ(r.output.rfind(usage, 0), 0u) << r.output;
      for (const auto& sub : subcommands) EXPECT_NE(r.output.find("\n  " + sub + " "), std::string::npos) << r.output;
      EXPECT_EQ(r.output.find("unknown command"), std::string::npos) << r.output;
    }
    auto bare = run({group});
    EXPECT_TRUE(test::exitedWith(bare.status, 2)) << bare.output;
    EXPECT_EQ(bare.output.rfind(usage, 0), 0u) << bare.output;
    auto wrong = run({group, "frobnicate"});
    EXPECT_TRUE(test::exitedWith(wrong.status, 2)) << wrong.output;
    EXPECT_EQ(wrong.output.rfind("tributary " + group + ": unknown command \"frobnicate\"\n\n" + usage, 0), 0u)
        << wrong.output;
  }
}

// Every option a command takes is in its usage line (serve --role, sync --streams --ids --dry-run).
TEST(CliTraps, UsageLinesNameEveryOption) {
  const std::set<std::string> shared = {"help", "config", "migrations-dir", "log-level"};
  for (std::vector<std::string> cmd : {std::vector<std::string>{"serve"},
                                       {"migrate"},
                                       {"config", "check"},
                                       {"sync"},
                                       {"records", "replay"},
                                       {"jobs", "list"},
                                       {"jobs", "show"},
                                       {"jobs", "retry"},
                                       {"jobs", "cancel"},
                                       {"worker"},
                                       {"version"}}) {
    auto args = cmd;
    args.push_back("--help");
    auto r = run(args);
    const std::string name = strings::join(cmd, " ");
    ASSERT_TRUE(test::exitedWith(r.status, 0)) << name << ": " << r.output;
    // The usage line, with its wrapped continuations (indented), and the options, one per line
    // starting with "-".
    auto lines = strings::split(r.output, '\n');
    ASSERT_FALSE(lines.empty());
    std::string usage = lines[0];
    size_t i = 1;
    while (i < lines.size() && !lines[i].empty() && lines[i][0] == ' ') usage += " " + lines[i++];
    EXPECT_EQ(usage.rfind("usage: tributary " + name, 0), 0u) << r.output;
    std::vector<std::string> options;
    static const std::regex kOption("^(?:-[A-Za-z]\\S*, )?--([a-z][a-z-]*)");
    for (; i < lines.size(); ++i) {
      std::smatch m;
      if (std::regex_search(lines[i], m, kOption) && !shared.count(m[1])) options.push_back(m[1]);
    }
    for (const auto& o : options) {
      EXPECT_NE(usage.find("--" + o), std::string::npos) << name << ": --" << o << " is not in " << usage;
    }
    if (name == "serve") {
      EXPECT_NE(std::find(options.begin(), options.end(), "role"), options.end()) << r.output;
    }
    if (name == "sync") {
      EXPECT_EQ(options.size(), 10u) << r.output;  // with --api and --token (issue 17)
    }
  }
}
