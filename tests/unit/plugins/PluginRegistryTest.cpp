// Scanning plugin dirs: bad files are skipped with one log line each, duplicates name both
// files, the listing has every file, and plugins outlive the registry.
#include "plugins/PluginRegistry.h"

#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "plugins/ConnectorInstance.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

struct Logged {
  std::vector<std::pair<LogLevel, std::string>> lines;
  LogSink sink() {
    return [this](LogLevel level, std::string_view line) { lines.emplace_back(level, std::string(line)); };
  }
};

}  // namespace

TEST(registry, ScansEveryFixtureSkippingEachBadFileWithOneLogLine) {
  Logged logged;
  PluginRegistry registry = PluginRegistry::scan({{fixtureDir()}, logged.sink()});
  // The 1.0 build of the fixture loads beside the 1.1 one, and so do the 1.1 feature fixtures.
  const std::vector<std::string> expectLoaded = {"fixture_abi_1_0",         "fixture_good",
                                                 "fixture_v11_streams_c",   "fixture_v11_streams_c_declared",
                                                 "fixture_v11_streams_cpp", "fixture_v11_streams_cpp_declared"};
  ASSERT_EQ(registry.plugins().size(), expectLoaded.size());
  for (size_t i = 0; i < expectLoaded.size(); ++i) {
    EXPECT_EQ(registry.plugins()[i]->name(), "tributary." + expectLoaded[i]);
  }

  const std::string dir = fixtureDir().string();
  std::vector<std::string> refused;
  for (const auto& r : registry.refused()) refused.push_back(r.path.filename().string());
  EXPECT_EQ(refused,
            (std::vector<std::string>{"fixture_abi_major.so", "fixture_abi_minor.so", "fixture_good_duplicate.so",
                                      "fixture_missing_dependency.so", "fixture_missing_entry.so", "fixture_not_elf.so",
                                      "fixture_throwing_create.so", "fixture_unresolved.so",
                                      "fixture_v11_streams_c_bad_flag.so", "fixture_v11_streams_cpp_bad_flag.so"}));
  // One line per file: the good ones at Info, each refusal at Error with its message.
  ASSERT_EQ(logged.lines.size(), expectLoaded.size() + refused.size());
  size_t errors = 0;
  std::vector<std::string> loaded;
  for (const auto& [level, line] : logged.lines) {
    if (level == LogLevel::Error) {
      EXPECT_EQ(line, registry.refused()[errors].message());
      ++errors;
    } else {
      EXPECT_EQ(level, LogLevel::Info);
      loaded.push_back(line);
    }
  }
  std::vector<std::string> expectLines;
  for (const auto& name : expectLoaded) {
    expectLines.push_back("plugin tributary." + name + " 0.0.1 (ABI " + (name == "fixture_abi_1_0" ? "1.0" : "1.1") +
                          ") loaded from " + dir + "/" + name + ".so");
  }
  EXPECT_EQ(loaded, expectLines);
  EXPECT_EQ(errors, refused.size());
}

TEST(registry, DuplicateNameIsRefusedNamingBothFiles) {
  TempDir dir;
  auto first = dir.copy(fixture("fixture_good"), "a.so");
  auto second = dir.copy(fixture("fixture_good"), "b.so");
  PluginRegistry registry = PluginRegistry::scan({{dir.path()}, {}});
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0]->path(), first);
  ASSERT_EQ(registry.refused().size(), 1u);
  EXPECT_EQ(registry.refused()[0].message(), "plugin " + second.string() +
                                                 " refused: duplicate connector name 'tributary.fixture_good': already "
                                                 "loaded from " +
                                                 first.string() + "; remove one of the two files");
}

TEST(registry, DirsAreScannedInOrderAndMissingDirsAreSkipped) {
  TempDir one, two;
  one.copy(examplePlugin(), "example.so");
  two.copy(fixture("fixture_good"), "good.so");
  Logged logged;
  PluginRegistry registry = PluginRegistry::scan({{one.path() / "absent", one.path(), two.path()}, logged.sink()});
  ASSERT_EQ(registry.plugins().size(), 2u);
  EXPECT_EQ(registry.plugins()[0]->name(), "tributary.example");
  EXPECT_EQ(registry.plugins()[1]->name(), "tributary.fixture_good");
  EXPECT_EQ(logged.lines.at(0).first, LogLevel::Warn);
  EXPECT_EQ(logged.lines.at(0).second,
            "plugins dir " + (one.path() / "absent").string() +
                " does not exist: no plugin is loaded from it; create it, or correct plugins.dirs");
  EXPECT_EQ(registry.missing(), std::vector<std::filesystem::path>{one.path() / "absent"});
  EXPECT_EQ(registry.find("tributary.example"), registry.plugins()[0]);
  EXPECT_EQ(registry.findByShortName("fixture_good"), registry.plugins()[1]);
  EXPECT_EQ(registry.find("example"), nullptr);
}

TEST(registry, IgnoresFilesThatAreNotDotSo) {
  TempDir dir;
  dir.copy(fixture("fixture_not_elf"), "README.txt", 0644);
  dir.copy(fixture("fixture_not_elf"), "libfoo.so.1", 0644);
  dir.copy(fixture("fixture_not_elf"), ".hidden.so", 0644);
  PluginRegistry registry = PluginRegistry::scan({{dir.path()}, {}});
  EXPECT_TRUE(registry.plugins().empty());
  EXPECT_TRUE(registry.refused().empty());
}

TEST(registry, ListingJsonHasNameVersionAbiPathStreamsStatusAndReason) {
  TempDir dir;
  auto example = dir.copy(examplePlugin(), "example.so");
  auto major = dir.copy(fixture("fixture_abi_major"), "major.so");
  PluginRegistry registry = PluginRegistry::scan({{dir.path()}, {}});
  nlohmann::json j = registry.toJson();
  EXPECT_EQ(j["dirs"], nlohmann::json::array({dir.path().string()}));
  ASSERT_EQ(j["plugins"].size(), 2u);
  const auto& loaded = j["plugins"][0];
  EXPECT_EQ(loaded["name"], "tributary.example");
  EXPECT_EQ(loaded["short_name"], "example");
  EXPECT_EQ(loaded["version"], "1.0.0");
  EXPECT_EQ(loaded["abi"], "1.1");
  EXPECT_EQ(loaded["path"], example.string());
  EXPECT_EQ(loaded["status"], "loaded");
  ASSERT_EQ(loaded["streams"].size(), 4u);
  EXPECT_EQ(loaded["streams"][0], (nlohmann::json{{"name", "deals"},
                                                  {"primary_key", "id"},
                                                  {"cursor_field", "updatedAt"},
                                                  {"entity", "deals"},
                                                  {"description", "Deals with amount, stage and close date"},
                                                  {"flags", nlohmann::json::array()}}));
  EXPECT_EQ(loaded["streams"][3]["entity"], nullptr);
  EXPECT_EQ(loaded["discovers_streams"], false);
  EXPECT_EQ(loaded["link_types"], nlohmann::json::array());
  EXPECT_EQ(loaded["actions"], nlohmann::json::array());
  auto apiKey = std::find_if(loaded["config"].begin(), loaded["config"].end(),
                             [](const nlohmann::json& k) { return k["key"] == "api_key"; });
  ASSERT_NE(apiKey, loaded["config"].end());
  EXPECT_EQ((*apiKey)["secret"], true);
  EXPECT_EQ((*apiKey)["default"], nullptr);

  const auto& refused = j["plugins"][1];
  EXPECT_EQ(refused["path"], major.string());
  EXPECT_EQ(refused["status"], "refused");
  EXPECT_EQ(refused["abi"], "2.0");
  EXPECT_EQ(refused["name"], nullptr);
  EXPECT_EQ(refused["reason"], registry.refused()[0].reason);
}

TEST(registry, InstanceOutlivesTheRegistryAndKeepsItsLibraryLoaded) {
  TempDir dir;
  auto file = dir.copy(examplePlugin(), "example.so");
  std::unique_ptr<ConnectorInstance> instance;
  std::weak_ptr<const ConnectorPlugin> plugin;
  {
    PluginRegistry registry = PluginRegistry::scan({{dir.path()}, {}});
    ASSERT_EQ(registry.plugins().size(), 1u);
    plugin = registry.plugins()[0];
    InstanceOptions options;
    options.settings["records"] = "5";
    auto created = ConnectorInstance::create(registry.plugins()[0], std::move(options));
    ASSERT_TRUE(created.instance) << created.result.message;
    instance = std::move(created.instance);
  }  // the registry is gone
  EXPECT_FALSE(plugin.expired());
  RecordingRunServices services;
  SyncRequest request;
  request.stream = "deals";
  CallResult result = instance->initialSync(request, services);  // code from the library still runs
  EXPECT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(services.records.size(), 5u);
  EXPECT_EQ(instance->plugin().name(), "tributary.example");
  instance.reset();
  EXPECT_TRUE(plugin.expired());  // the last user is gone: the library is unloaded
}

// Test fixtures are never on a default plugin path: tests that want them name their dir.
TEST(registry, DefaultDirsInACheckoutAreTheBuildsPluginsOnly) {
  EXPECT_EQ(PluginRegistry::defaultDirs(), std::vector<std::filesystem::path>{TRIBUTARY_BUILD_PLUGIN_DIR});
}

TEST(registry, ADirThatIsAFileIsNamedAsNotADirectory) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_not_elf"), "plugins", 0644);
  Logged logged;
  PluginRegistry registry = PluginRegistry::scan({{file}, logged.sink()});
  ASSERT_EQ(logged.lines.size(), 1u);
  EXPECT_EQ(logged.lines[0].second, "plugins dir " + file.string() +
                                        " is not a directory: no plugin is loaded from it; make it a directory, or "
                                        "correct plugins.dirs");
}
