// No plugin code in the API process (issue 13, item 6): serve, `plugins list` and the workers
// probe each plugin in a child process, so one that crashes or hangs while loading is listed
// as refused, with the signal or the timeout, and everything else comes up.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "TestSupport.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace plugin_probe_test {

fs::path probeFixture(const std::string& name) {
  return test::buildDir() / "tests" / "probe-fixture-plugins" / (name + ".so");
}
fs::path examplePlugin() { return test::buildDir() / "plugins" / "tributary_example.so"; }

// Copies plugins into DIR/plugins, as an operator installs them.
fs::path pluginsDir(const test::TempDir& dir, const std::map<std::string, fs::path>& files) {
  const auto plugins = dir / "plugins";
  fs::create_directories(plugins);
  for (const auto& [name, from] : files) {
    fs::copy_file(from, plugins / name, fs::copy_options::overwrite_existing);
    fs::permissions(plugins / name, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
  }
  return plugins;
}

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

std::map<std::string, Json> byFile(const Json& listing) {
  std::map<std::string, Json> out;
  for (const auto& p : listing.at("plugins")) out[fs::path(p.at("path").get<std::string>()).filename()] = p;
  return out;
}

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

const char* kCrashedLoading =
    " while loading it (a static initializer or its entry point) or in its load check (create, destroy); fix the "
    "plugin, or remove it from the plugins dir; run `tributary plugins probe ";

TEST(Serve, StartsWhenPluginsCrashWhileLoadingAndListsThemRefused) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto plugins = pluginsDir(dir, {{"segfault.so", probeFixture("fixture_segfault_in_static_init")},
                                        {"abort.so", probeFixture("fixture_abort_in_create")},
                                        {"example.so", examplePlugin()}});
  auto cfg = dir.write("t.yaml", "state_dir: state\ndatabase:\n  url: \"" + db.conninfo() +
                                     "\"\nworkers: {processes: 1}\nplugins:\n  dirs: [plugins]\n");
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  auto ready = serve.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << serve.log();
  const std::string api = ready->at("api_url");
  EXPECT_EQ(test::httpGet(api + "/ready").status, 200);

  const std::string segfault = "probe crashed: killed by signal 11 (SIGSEGV)" + std::string(kCrashedLoading) +
                               (plugins / "segfault.so").string() + "` to see it happen";
  const std::string abort = "probe crashed: killed by signal 6 (SIGABRT)" + std::string(kCrashedLoading) +
                            (plugins / "abort.so").string() + "` to see it happen";
  auto response = test::httpGetAsAdmin(*ready, api + "/api/plugins");
  ASSERT_EQ(response.status, 200);
  auto listed = byFile(response.json());
  ASSERT_EQ(listed.size(), 3u) << response.body;
  EXPECT_EQ(listed["segfault.so"]["status"], "refused");
  EXPECT_EQ(listed["segfault.so"]["reason"], segfault);
  EXPECT_EQ(listed["abort.so"]["status"], "refused");
  EXPECT_EQ(listed["abort.so"]["reason"], abort);
  EXPECT_EQ(listed["example.so"]["status"], "loaded");
  EXPECT_EQ(listed["example.so"]["streams"].size(), 4u);
  EXPECT_NE(serve.log().find("plugin " + (plugins / "segfault.so").string() + " refused: " + segfault),
            std::string::npos)
      << serve.log();

  auto list = test::runProgram({test::tributaryBinary().string(), "plugins", "list", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(list.status, 0)) << list.output;
  EXPECT_NE(list.output.find("refused  " + (plugins / "segfault.so").string() + "\n         " + segfault + "\n"),
            std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find("refused  " + (plugins / "abort.so").string() + "\n         " + abort + "\n"),
            std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find("1 loaded, 2 refused"), std::string::npos) << list.output;
  EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
}

TEST(Serve, StartsWhenAPluginHangsWhileLoadingAndListsItTimedOut) {
  test::TestDatabase db;
  test::TempDir dir;
  pluginsDir(dir, {{"hang.so", probeFixture("fixture_hang_in_static_init")}, {"example.so", examplePlugin()}});
  auto cfg = dir.write("t.yaml", "state_dir: state\ndatabase:\n  url: \"" + db.conninfo() +
                                     "\"\nworkers: {processes: 1}\nplugins:\n  dirs: [plugins]\n  probe_timeout: 1s\n");
  const auto start = std::chrono::steady_clock::now();
  test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
  auto ready = serve.waitForReadyFile(dir / "ready.json");
  ASSERT_TRUE(ready) << serve.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  const std::string api = ready->at("api_url");
  EXPECT_EQ(test::httpGet(api + "/ready").status, 200);
  auto listed = byFile(test::httpGetAsAdmin(*ready, api + "/api/plugins").json());
  EXPECT_EQ(listed["hang.so"]["status"], "refused");
  EXPECT_TRUE(startsWith(listed["hang.so"]["reason"],
                         "probe timed out after 1 s: the plugin hangs while loading (a static initializer or its "
                         "entry point) or in its load check (create, destroy); fix the plugin (the limit is "
                         "plugins.probe_timeout)"))
      << listed["hang.so"];
  EXPECT_EQ(listed["example.so"]["status"], "loaded");
  EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
}

// Workers load plugins to run them, but only those whose probe passed: a plugin that crashes
// while loading never takes a worker down.
TEST(Serve, AWorkerSurvivesAPluginThatCrashesWhileLoading) {
  test::TestDatabase db;
  test::TempDir dir;
  pluginsDir(dir, {{"segfault.so", probeFixture("fixture_segfault_in_static_init")},
                   {"abort.so", probeFixture("fixture_abort_in_create")},
                   {"example.so", examplePlugin()}});
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\nplugins:\n  dirs: [plugins]\n");
  const auto bin = test::tributaryBinary().string();
  auto migrate = test::runProgram({bin, "migrate", "--config", cfg.string()});
  ASSERT_TRUE(migrate.ok()) << migrate.output;
  auto worker = test::runProgram({bin, "worker", "--once", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(worker.status, 0)) << process::describeStatus(worker.status) << "\n" << worker.output;
}

// The probe's child writes its report on its own fd: what a plugin prints on stdout goes to
// stderr, and `plugins list --json` stays JSON.
TEST(Cli, PluginsListJsonStaysJsonWhenAPluginPrintsOnStdout) {
  test::TempDir dir;
  pluginsDir(dir, {{"prints.so", probeFixture("fixture_prints_to_stdout")}});
  auto cfg = dir.write("t.yaml", "plugins:\n  dirs: [plugins]\n");
  auto r = test::runProgram({"/bin/sh", "-c",
                             "'" + test::tributaryBinary().string() + "' plugins list --json --config '" +
                                 cfg.string() + "' 2>" + (dir / "stderr").string()});
  ASSERT_TRUE(r.ok()) << r.output;
  auto listed = byFile(Json::parse(r.output));
  EXPECT_EQ(listed["prints.so"]["status"], "loaded");
  EXPECT_NE(test::runProgram({"/bin/cat", (dir / "stderr").string()}).output.find("fixture: hello from create"),
            std::string::npos);
}

}  // namespace plugin_probe_test
