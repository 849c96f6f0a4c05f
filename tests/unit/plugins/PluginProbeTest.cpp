// The load-time probe in a child process: what it describes is what loading here gives, and a
// plugin that crashes, hangs or prints while loading is refused (or listed) without harm to
// the process that asked.
#include "plugins/PluginProbe.h"

#include <gtest/gtest.h>

#include <chrono>

#include "PluginTestSupport.h"
#include "plugins/PluginRegistry.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

PluginRegistry::Options probing(std::vector<std::filesystem::path> dirs,
                                PluginRegistry::Mode mode = PluginRegistry::Mode::Probe) {
  PluginRegistry::Options o;
  o.dirs = std::move(dirs);
  o.mode = mode;
  o.probe.executable = TRIBUTARY_TEST_TRIBUTARY_BINARY;
  return o;
}

std::string onlyReason(const PluginRegistry& registry) {
  EXPECT_TRUE(registry.plugins().empty());
  if (registry.refused().size() != 1) {
    ADD_FAILURE() << "expected one refused plugin, got " << registry.refused().size();
    return "";
  }
  return registry.refused()[0].reason;
}

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

// One code path: the listing from probes in child processes is the listing from loading here,
// entry for entry (every fixture's refusal, the example's streams and settings).
TEST(probe, ProbedRegistryListsExactlyWhatLoadingHereGives) {
  const std::vector<std::filesystem::path> dirs = {examplePlugin().parent_path(), fixtureDir()};
  PluginRegistry loaded = PluginRegistry::scan({dirs, {}});
  PluginRegistry probed = PluginRegistry::scan(probing(dirs));
  EXPECT_EQ(probed.toJson(), loaded.toJson());
  ASSERT_EQ(probed.plugins().size(), loaded.plugins().size());
  for (size_t i = 0; i < probed.plugins().size(); ++i) {
    const auto& p = *probed.plugins()[i];
    EXPECT_FALSE(p.hasCode()) << p.name();
    EXPECT_TRUE(loaded.plugins()[i]->hasCode());
    EXPECT_EQ(p.abiVersion(), loaded.plugins()[i]->abiVersion());
  }
  // The settings checks the config loader makes answer the same.
  auto example = probed.find("tributary.example");
  ASSERT_TRUE(example);
  EXPECT_EQ(example->checkSetting("page_size", "ten"),
            loaded.find("tributary.example")->checkSetting("page_size", "ten"));
  EXPECT_EQ(probed.find("tributary.fixture_good")->missingRequired([](std::string_view) { return false; }),
            std::vector<std::string>{"token"});
}

TEST(probe, NoInstanceCanBeMadeFromAProbedPlugin) {
  PluginRegistry probed = PluginRegistry::scan(probing({examplePlugin().parent_path()}));
  auto example = probed.find("tributary.example");  // beside the other in-tree connectors
  ASSERT_TRUE(example);
  auto created = ConnectorInstance::create(example, {});
  EXPECT_FALSE(created.instance);
  EXPECT_EQ(created.result.code, ResultCode::Fatal);
  EXPECT_EQ(created.result.message,
            "connector tributary.example was only probed in a child process, its code is not loaded here (a host "
            "bug: instances are made in worker processes)");
}

TEST(probe, APluginThatAbortsInCreateIsRefusedWithTheSignal) {
  TempDir dir;
  auto file = dir.copy(probeFixture("fixture_abort_in_create"), "abort.so");
  PluginRegistry registry = PluginRegistry::scan(probing({dir.path()}));
  EXPECT_EQ(onlyReason(registry),
            "probe crashed: killed by signal 6 (SIGABRT) while loading it (a static initializer or its entry point) "
            "or in its load check (create, destroy); fix the plugin, or remove it from the plugins dir; run "
            "`tributary plugins probe " +
                file.string() + "` to see it happen");
  EXPECT_EQ(registry.refused()[0].path, file);
}

TEST(probe, APluginThatHangsIsKilledAtTheTimeoutAndRefused) {
  TempDir dir;
  dir.copy(probeFixture("fixture_hang_in_static_init"), "hang.so");
  auto options = probing({dir.path()});
  options.probe.timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  PluginRegistry registry = PluginRegistry::scan(options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(startsWith(onlyReason(registry),
                         "probe timed out after 0.5 s: the plugin hangs while loading (a static initializer or its "
                         "entry point) or in its load check (create, destroy); fix the plugin (the limit is "
                         "plugins.probe_timeout)"))
      << onlyReason(registry);
}

// The report travels on its own fd: what a plugin prints on stdout cannot corrupt it.
TEST(probe, WhatAPluginPrintsOnStdoutNeverReachesTheReport) {
  TempDir dir;
  dir.copy(probeFixture("fixture_prints_to_stdout"), "prints.so");
  PluginRegistry registry = PluginRegistry::scan(probing({dir.path()}));
  ASSERT_EQ(registry.plugins().size(), 1u) << (registry.refused().empty() ? "" : registry.refused()[0].reason);
  EXPECT_EQ(registry.plugins()[0]->name(), "tributary.fixture_prints_to_stdout");
}

// Workers: probed first, so a plugin that crashes while loading is refused there too, and only
// the plugins that passed are loaded into this process, with their code.
TEST(probe, ProbeThenLoadLoadsHereOnlyWhatPassedItsProbe) {
  TempDir dir;
  dir.copy(probeFixture("fixture_abort_in_create"), "abort.so");
  dir.copy(examplePlugin(), "example.so");
  PluginRegistry registry = PluginRegistry::scan(probing({dir.path()}, PluginRegistry::Mode::ProbeThenLoad));
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0]->name(), "tributary.example");
  EXPECT_TRUE(registry.plugins()[0]->hasCode());
  ASSERT_EQ(registry.refused().size(), 1u);
  EXPECT_TRUE(startsWith(registry.refused()[0].reason, "probe crashed: killed by signal 6 (SIGABRT)"));
}

TEST(probe, AProbeThatWritesNoReportIsRefusedWithItsExitStatus) {
  TempDir dir;
  dir.copy(examplePlugin(), "example.so");
  auto options = probing({dir.path()});
  options.probe.executable = "/bin/false";
  EXPECT_EQ(onlyReason(PluginRegistry::scan(options)),
            "probe failed: `tributary plugins probe` exited with status 1 and it wrote no report (its messages, if "
            "any, are in the log above)");
  options.probe.executable = dir.path() / "no-such-binary";
  EXPECT_TRUE(startsWith(onlyReason(PluginRegistry::scan(options)), "could not be probed: cannot start "));
}

TEST(probe, ReadingAReportNamesTheFieldThatIsWrong) {
  PluginRegistry loaded = PluginRegistry::scan({{examplePlugin().parent_path()}, {}});
  nlohmann::json j = loaded.plugins().at(0)->toJson();
  EXPECT_EQ(ConnectorPlugin::fromJson(j)->toJson(), j);
  auto broken = j;
  broken.erase("streams");
  EXPECT_THROW(
      try { ConnectorPlugin::fromJson(broken); } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "plugin has no \"streams\"");
        throw;
      },
      std::invalid_argument);
  broken = j;
  broken["config"][0]["type"] = "color";
  EXPECT_THROW(
      try { ConnectorPlugin::fromJson(broken); } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "plugin.config[0].type is not string, integer, number or boolean");
        throw;
      },
      std::invalid_argument);
  RefusedPlugin refused{"/p/x.so", "because", std::nullopt, "1.0", "2.0"};
  auto back = RefusedPlugin::fromJson(refused.toJson());
  EXPECT_EQ(back.toJson(), refused.toJson());
}
