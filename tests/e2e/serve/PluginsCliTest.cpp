// The CLI's plugin traps for a newcomer (issue 13, item 7): test fixtures on a default plugin
// path, `plugins list` asking for connection secrets, a plugins dir that does not exist, and
// the probe tool's --help, exit code and settings checks.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "TestSupport.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace plugins_cli_test {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string bin() { return test::tributaryBinary().string(); }
std::string probeTool() { return (test::buildDir() / "bin" / "tributary-plugin-probe").string(); }
fs::path buildPlugins() { return test::buildDir() / "plugins"; }
fs::path fixtures() { return test::buildDir() / "tests" / "fixture-plugins"; }

// A dir holding a plugin that segfaults in a static initializer: whatever loads it in its own
// process dies.
fs::path crashingDir(const test::TempDir& dir) {
  fs::create_directories(dir / "crash");
  fs::copy_file(test::buildDir() / "tests" / "probe-fixture-plugins" / "fixture_segfault_in_static_init.so",
                dir / "crash" / "segfault.so");
  return dir / "crash";
}

// With the checkout's own config (run from the source tree, no --config), the listing is the
// build's connectors: no test fixture is on a default plugin path.
TEST(Cli, PluginsListInTheCheckoutShowsNoTestFixtures) {
  process::SpawnOptions o;
  o.argv = {bin(), "plugins", "list"};
  o.workingDir = test::sourceDir().string();
  auto r = process::run(o);
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_TRUE(contains(r.output, "plugin dirs: " + buildPlugins().string() + "\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "loaded   tributary.example 1.0.0 (ABI 1.1)")) << r.output;
  EXPECT_TRUE(contains(r.output, " 0 refused\n")) << r.output;
  EXPECT_FALSE(contains(r.output, "fixture")) << r.output;
}

// `plugins list` touches no connection, so an unset ${ENV} secret of one does not stop it;
// `config check` and serve, which use the connections, still report it. A problem outside the
// connections (here an unset variable in plugins.dirs) still stops `plugins list`.
TEST(Cli, PluginsListNeedsNoConnectionSecretsButConfigCheckAndServeReportThem) {
  test::TempDir dir;
  const std::string connections =
      "workspaces: [{slug: acme}]\nconnections:\n"
      "  - workspace: acme\n    connector: tributary.example\n"
      "    settings: {api_key: \"${TRIBUTARY_TEST_UNSET_SECRET}\"}\n";
  auto cfg = dir.write("t.yaml", "plugins:\n  dirs: [\"" + buildPlugins().string() + "\"]\n" + connections);
  dir.write("connections.d/more.yaml",
            "connections:\n  - {workspace: acme, name: more, connector: tributary.example,"
            " settings: {api_key: \"${TRIBUTARY_TEST_UNSET_SECRET}\"}}\n");
  const std::string unset =
      "connections[0].settings.api_key: environment variable TRIBUTARY_TEST_UNSET_SECRET is not set (use "
      "${TRIBUTARY_TEST_UNSET_SECRET:-default} to give a default)";
  auto list = test::runProgram({bin(), "plugins", "list", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(list.status, 0)) << list.output;
  EXPECT_TRUE(contains(list.output, "loaded   tributary.example 1.0.0 (ABI 1.1)")) << list.output;
  EXPECT_FALSE(contains(list.output, "TRIBUTARY_TEST_UNSET_SECRET")) << list.output;

  auto check = test::runProgram({bin(), "config", "check", cfg.string()});
  EXPECT_TRUE(test::exitedWith(check.status, 1)) << check.output;
  EXPECT_TRUE(contains(check.output, cfg.string() + ":7:")) << check.output;
  EXPECT_TRUE(contains(check.output, unset)) << check.output;
  auto serve = test::runProgram({bin(), "serve", "--config", cfg.string(), "--port", "0"});
  EXPECT_TRUE(test::exitedWith(serve.status, 1)) << serve.output;
  EXPECT_TRUE(contains(serve.output, unset)) << serve.output;
  EXPECT_TRUE(contains(serve.output, "problem(s) in the configuration; nothing was started")) << serve.output;

  auto badDirs = dir.write("dirs.yaml", "plugins:\n  dirs: [\"${TRIBUTARY_TEST_UNSET_DIR}\"]\n");
  list = test::runProgram({bin(), "plugins", "list", "--config", badDirs.string()});
  EXPECT_TRUE(test::exitedWith(list.status, 1)) << list.output;
  EXPECT_TRUE(contains(list.output, badDirs.string() +
                                        ":2:10: plugins.dirs[0]: environment variable TRIBUTARY_TEST_UNSET_DIR is not "
                                        "set (use ${TRIBUTARY_TEST_UNSET_DIR:-default} to give a default)\n"
                                        "tributary plugins list: 1 problem(s) in the configuration " +
                                        badDirs.string() + "\n"))
      << list.output;
}

// A plugins.dirs entry that does not exist is named: a warning from `plugins list` (exit 0),
// from `config check` (exit 0: serve starts without it too; a connection whose plugin is
// missing because of it is an error of its own) and at start.
TEST(Cli, AMissingPluginsDirIsNamedByPluginsListConfigCheckAndServe) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto missing = dir / "no-such-plugins";
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\nworkers: {processes: 1}\n" +
                                     "plugins:\n  dirs: [\"" + buildPlugins().string() + "\", no-such-plugins]\n");
  const std::string warning = "plugins dir " + missing.string() +
                              " does not exist: no plugin is loaded from it; create it, or correct plugins.dirs";

  auto list = test::runProgram({bin(), "plugins", "list", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(list.status, 0)) << list.output;
  EXPECT_TRUE(contains(list.output, "warning: " + warning + "\n")) << list.output;
  EXPECT_TRUE(
      contains(list.output, "plugin dirs: " + buildPlugins().string() + ", " + missing.string() + " (missing)\n"))
      << list.output;
  // The in-tree connectors: tributary.example and tributary.hubspot.
  EXPECT_TRUE(contains(list.output, "2 loaded, 0 refused")) << list.output;

  auto check = test::runProgram({bin(), "config", "check", cfg.string()});
  EXPECT_TRUE(test::exitedWith(check.status, 0)) << check.output;
  EXPECT_TRUE(contains(check.output, cfg.string() + ": plugins.dirs[1]: warning: " + warning + "\n" + cfg.string() +
                                         ": OK (0 workspace(s), 0 connection(s))\n"))
      << check.output;

  test::ServerProcess serve(
      {bin(), "serve", "--config", cfg.string(), "--port", "0", "--ready-file", (dir / "ready.json").string()},
      dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();
  EXPECT_TRUE(contains(serve.log(), "[plugins] " + warning)) << serve.log();
  EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
}

// --help answers before anything is loaded: here a plugin that would crash the tool.
TEST(Cli, PluginProbeHelpComesBeforeAnyPluginIsLoaded) {
  test::TempDir dir;
  const auto crash = crashingDir(dir);
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{probeTool(), "list", "--dir", crash.string(), "--help"},
        {probeTool(), "--help"},
        {probeTool(), "run", "--dir", crash.string(), "-h"}}) {
    auto r = test::runProgram(argv);
    EXPECT_TRUE(test::exitedWith(r.status, 0)) << process::describeStatus(r.status) << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "usage: tributary-plugin-probe list")) << r.output;
    EXPECT_FALSE(contains(r.output, "loaded from")) << "scanned before answering --help\n" << r.output;
  }
  auto r = test::runProgram({bin(), "plugins", "probe", (crash / "segfault.so").string(), "--help"});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << process::describeStatus(r.status) << "\n" << r.output;
  EXPECT_TRUE(contains(r.output, "usage: tributary plugins probe [--output-fd N] PATH...")) << r.output;
}

// `run` succeeds only when check and the sync both do.
TEST(Cli, PluginProbeRunFailsWhenCheckReturnsFatal) {
  auto r = test::runProgram({probeTool(), "run", "--dir", buildPlugins().string(), "--connector", "tributary.example",
                             "--stream", "deals", "--set", "check_fail=fatal"});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << process::describeStatus(r.status) << "\n" << r.output;
  auto line = r.output.substr(r.output.rfind('{'));
  auto j = Json::parse(line);
  EXPECT_EQ(j["result"], "FATAL") << r.output;
  EXPECT_EQ(j["stage"], "check") << r.output;
}

// `run` refuses the settings the host would refuse for a connection, naming each.
TEST(Cli, PluginProbeRunChecksSettingsAsTheHostDoes) {
  const std::vector<std::string> base = {
      probeTool(), "run", "--dir", fixtures().string(), "--connector", "tributary.fixture_good", "--stream", "items"};
  auto with = [&](std::vector<std::string> extra) {
    auto argv = base;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::runProgram(argv);
  };
  auto r = with({});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "\ntributary-plugin-probe: missing required setting 'token' of tributary.fixture_good (give it "
                       "with --secret token=VALUE)\n"))
      << r.output;
  r = with({"--set", "token=t", "--set", "colour=red"});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "tributary-plugin-probe: unknown setting 'colour' for tributary.fixture_good (known: "
                       "greeting, token)\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output,
                       "tributary-plugin-probe: setting 'token' of tributary.fixture_good is a secret: give "
                       "it with --secret token=VALUE, not --set\n"))
      << r.output;
  r = with({"--secret", "token=t"});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_TRUE(contains(r.output, "\"records\":3")) << r.output;
}

// `tributary plugins probe` prints the listing as JSON on stdout (what plugins print there goes
// to stderr) and exits 1 when any plugin was refused.
TEST(Cli, PluginsProbePrintsTheListingAndExits1WhenAnyIsRefused) {
  test::TempDir dir;
  auto r =
      test::runProgram({"/bin/sh", "-c", "'" + bin() + "' plugins probe '" + fixtures().string() + "' 2>/dev/null"});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  auto j = Json::parse(r.output);
  EXPECT_EQ(j["dirs"], Json::array({fixtures().string()}));
  // fixture_abi_1_0 and the 1.1 feature fixtures (fixture_v11_*) beside the loader's cases.
  EXPECT_EQ(j["plugins"].size(), 16u);
  const auto prints = test::buildDir() / "tests" / "probe-fixture-plugins" / "fixture_prints_to_stdout.so";
  r = test::runProgram({"/bin/sh", "-c", "'" + bin() + "' plugins probe '" + prints.string() + "' 2>/dev/null"});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  j = Json::parse(r.output);
  ASSERT_EQ(j["plugins"].size(), 1u) << r.output;
  EXPECT_EQ(j["plugins"][0]["name"], "tributary.fixture_prints_to_stdout");
  r = test::runProgram({bin(), "plugins", "probe"});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_EQ(r.output, "tributary plugins probe: give one or more plugin files or dirs (see --help)\n");
}

}  // namespace plugins_cli_test
