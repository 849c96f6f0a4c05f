#include <gtest/gtest.h>

#include <map>

#include "TestSupport.h"
#include "app/ConnectionValidator.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace connection_config_test {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

LoadResult load(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  return ConfigLoader(env(std::move(vars))).loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.items()) out.push_back(x.format());
  return out;
}

const plugins::PluginRegistry& registry() {
  static const plugins::PluginRegistry r = [] {
    plugins::PluginRegistry::Options o;
    o.dirs = {TRIBUTARY_TEST_PLUGIN_DIR, TRIBUTARY_TEST_FIXTURE_PLUGIN_DIR};
    return plugins::PluginRegistry::scan(o);
  }();
  return r;
}

std::vector<std::string> validate(const LoadResult& r) {
  Diagnostics d;
  app::validateConnections(r.config, registry(), d);
  return messages(d);
}

const char* kWorkspace = "workspaces:\n  - {slug: acme, name: Acme Corp}\n";

// A connector as a probe describes it, declaring the rate-limit classes given (none: {}).
std::shared_ptr<const plugins::ConnectorPlugin> pluginDeclaring(const std::vector<std::string>& classes) {
  nlohmann::json limits = nlohmann::json::array();
  for (const auto& name : classes) {
    limits.push_back({{"name", name},
                      {"requests", 100},
                      {"per_ms", 10'000},
                      {"points", false},
                      {"quota", false},
                      {"every_request", false},
                      {"description", ""}});
  }
  return plugins::ConnectorPlugin::fromJson({{"status", "loaded"},
                                             {"name", "tributary.limited"},
                                             {"version", "1.0.0"},
                                             {"description", ""},
                                             {"abi", "1.1"},
                                             {"path", "/plugins/limited.so"},
                                             {"streams", nlohmann::json::array()},
                                             {"config", nlohmann::json::array()},
                                             {"discovers_streams", false},
                                             {"link_types", nlohmann::json::array()},
                                             {"actions", nlohmann::json::array()},
                                             {"rate_limits", limits}});
}

std::vector<std::string> validateRateLimits(const LoadResult& r, const plugins::ConnectorPlugin& plugin) {
  Diagnostics d;
  app::validateRateLimits(r.config.connections.at(0), plugin, d);
  return messages(d);
}

TEST(Yaml, ReadsWorkspacesAndConnectionsWithDefaults) {
  auto r = load(std::string(kWorkspace) + R"(connections:
  - workspace: acme
    connector: tributary.example
    schedule: "0 2 * * *"
    base_url: http://127.0.0.1:9999
    rate_limit: {account: acme-crm, headroom: 0.8, rest: {requests: 90, per: 10s}}
    settings:
      records: 500
      page_size: 50
  - workspace: acme
    name: example-two
    connector: tributary.example
    enabled: false
)");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  ASSERT_EQ(r.config.workspaces.size(), 1u);
  EXPECT_EQ(r.config.workspaces[0].name, "Acme Corp");
  ASSERT_EQ(r.config.connections.size(), 2u);
  const auto& c = r.config.connections[0];
  EXPECT_EQ(c.name, "example") << "the connector's short name is the default connection name";
  EXPECT_EQ(c.schedule, "0 2 * * *");
  EXPECT_EQ(c.timezone, "UTC");
  EXPECT_EQ(c.baseUrl, "http://127.0.0.1:9999");
  EXPECT_EQ(c.rateLimit.account, "acme-crm");
  EXPECT_DOUBLE_EQ(c.rateLimit.headroom, 0.8);
  ASSERT_EQ(c.rateLimit.classes.count("rest"), 1u);
  EXPECT_EQ(c.rateLimit.classes.at("rest").requests, 90u);
  EXPECT_EQ(c.rateLimit.classes.at("rest").per, std::chrono::seconds(10));
  EXPECT_EQ(c.settings.at("records").value, "500");
  EXPECT_EQ(c.settings.at("page_size").location.format(), "t.yaml:11:18");
  EXPECT_FALSE(r.config.connections[1].schedule.has_value()) << "no schedule: on demand only";
  EXPECT_FALSE(r.config.connections[1].enabled);
  EXPECT_EQ(r.config.findConnection("acme", "example-two"), &r.config.connections[1]);
}

TEST(Yaml, ConnectionToAnUnknownWorkspaceSuggestsTheClosest) {
  auto r = load(std::string(kWorkspace) + "connections:\n  - {workspace: acmee, connector: tributary.example}\n");
  EXPECT_EQ(messages(r.diagnostics),
            std::vector<std::string>{"t.yaml:4:5: connections[0].workspace: no workspace \"acmee\" is defined "
                                     "(did you mean \"acme\"?)"});
}

TEST(Yaml, DuplicatesAreReportedWithBothPositions) {
  auto r = load(
      "workspaces:\n  - {slug: acme}\n  - {slug: acme}\nconnections:\n"
      "  - {workspace: acme, connector: tributary.example}\n"
      "  - {workspace: acme, connector: tributary.example}\n");
  EXPECT_EQ(messages(r.diagnostics),
            (std::vector<std::string>{
                "t.yaml:3:12: workspaces: workspace \"acme\" is defined twice (first at t.yaml:2:12)",
                "t.yaml:6:5: connections[1]: connection \"example\" of workspace \"acme\" is defined twice (first "
                "at t.yaml:5:5); give one of them another name"}));
}

TEST(Yaml, BadSlugsAndMissingKeysAreReported) {
  auto r = load("workspaces:\n  - {slug: Acme Corp}\n  - {name: nameless}\nconnections:\n  - {workspace: x}\n");
  EXPECT_EQ(messages(r.diagnostics),
            (std::vector<std::string>{
                "t.yaml:2:12: workspaces[0].slug: \"Acme Corp\" is not a valid slug: use 1-63 lowercase letters, "
                "digits, - and _, starting with a letter or digit",
                "t.yaml:3:5: workspaces[1].slug: a workspace needs a slug (lowercase letters, digits, - and _)",
                "t.yaml:5:5: connections[0].connector: a connection needs a connector (a plugin's dotted name, "
                "e.g. tributary.hubspot)",
                "t.yaml:5:5: connections[0].workspace: no workspace \"x\" is defined (add it under workspaces:)"}));
}

TEST(Yaml, UnknownConnectionKeySuggestsTheClosest) {
  auto r = load(std::string(kWorkspace) +
                "connections:\n  - {workspace: acme, connector: tributary.example, shedule: '@daily'}\n");
  EXPECT_EQ(messages(r.diagnostics),
            std::vector<std::string>{"t.yaml:4:53: connections[0].shedule: unknown key (did you mean \"schedule\"?)"});
}

TEST(Yaml, SettingsRememberWhereTheirValuesCameFrom) {
  test::TempDir dir;
  dir.write("token", "s3cret\n");
  auto r = ConfigLoader(env({{"EXAMPLE_SEED", "7"}}))
               .loadString(std::string(kWorkspace) +
                               "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings:\n"
                               "      seed: ${EXAMPLE_SEED}\n      api_key: {secret_file: token}\n      records: 10\n",
                           "t.yaml", dir.path());
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& s = r.config.connections[0].settings;
  EXPECT_EQ(s.at("seed").value, "7");
  EXPECT_EQ(s.at("seed").source, ValueSource::Environment);
  EXPECT_EQ(s.at("api_key").value, "s3cret");
  EXPECT_EQ(s.at("api_key").source, ValueSource::SecretFile);
  EXPECT_EQ(s.at("records").source, ValueSource::Literal);
}

TEST(Yaml, ConnectionsDotDFilesAddWorkspacesAndConnections) {
  test::TempDir dir;
  auto main = dir.write("tributary.yaml", kWorkspace);
  dir.write("connections.d/10-example.yaml", "connections:\n  - {workspace: acme, connector: tributary.example}\n");
  dir.write("connections.d/20-beta.yml",
            "workspaces:\n  - {slug: beta}\nconnections:\n  - {workspace: beta, connector: tributary.example, "
            "bogus: 1}\n");
  dir.write("connections.d/README.txt", "not yaml, ignored");
  auto r = ConfigLoader(env({})).loadFile(main);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].format(),
            (dir / "connections.d/20-beta.yml").string() + ":4:53: connections[0].bogus: unknown key");
  EXPECT_EQ(r.config.workspaces.size(), 2u);
  EXPECT_EQ(r.config.connections.size(), 2u);
}

TEST(Validate, AValidConnectionPasses) {
  auto r = load(std::string(kWorkspace) +
                    "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings:\n"
                    "      records: 500\n      api_key: ${KEY}\n",
                {{"KEY", "k"}});
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_TRUE(validate(r).empty());
}

TEST(Validate, UnknownConnectorSuggestsALoadedOne) {
  auto r = load(std::string(kWorkspace) + "connections:\n  - {workspace: acme, connector: tributary.exmple}\n");
  auto m = validate(r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rfind("t.yaml:4:34: connections[0].connector: connector \"tributary.exmple\" is not loaded (did you "
                       "mean \"tributary.example\"?); loaded: ",
                       0),
            0u)
      << m[0];
}

TEST(Validate, UnknownSettingWrongTypeAndSecretInTheFileAreReported) {
  auto r = load(std::string(kWorkspace) +
                "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings:\n"
                "      pagesize: 10\n      records: many\n      api_key: hunter2\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  auto m = validate(r);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0],
            "t.yaml:9:16: connections[0].settings.api_key: setting 'api_key' of tributary.example is a "
            "secret: give it as ${ENV_VAR} or {secret_file: PATH}, never in the file");
  EXPECT_EQ(m[1].rfind("t.yaml:7:17: connections[0].settings.pagesize: unknown setting 'pagesize' for "
                       "tributary.example (known: ",
                       0),
            0u)
      << m[1];
  EXPECT_EQ(m[2],
            "t.yaml:8:16: connections[0].settings.records: setting 'records' of tributary.example must be "
            "an integer, got \"many\"");
}

TEST(Validate, MissingRequiredSettingNamesThePlugin) {
  auto r = load(std::string(kWorkspace) + "connections:\n  - {workspace: acme, connector: tributary.fixture_good}\n");
  EXPECT_EQ(validate(r),
            std::vector<std::string>{"t.yaml:4:5: connections[0].settings: missing required setting 'token' of "
                                     "tributary.fixture_good"});
}

TEST(Validate, AConnectorWhosePluginWasRefusedSaysWhy) {
  auto r =
      load(std::string(kWorkspace) + "connections:\n  - {workspace: acme, connector: tributary.fixture_abi_minor}\n");
  auto m = validate(r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0],
            "t.yaml:4:34: connections[0].connector: connector \"tributary.fixture_abi_minor\" is not loaded: its "
            "plugin " TRIBUTARY_TEST_FIXTURE_PLUGIN_DIR
            "/fixture_abi_minor.so was refused (was built for "
            "connector ABI 1.2, newer than this host's ABI 1.1; upgrade Tributary, or rebuild the plugin "
            "against TributarySDK 1.1)");
}

TEST(Validate, ARateLimitClassTheConnectorDoesNotDeclareIsRefusedAtItsKeyWithTheDeclaredOnes) {
  auto r = load(std::string(kWorkspace) + R"(connections:
  - workspace: acme
    connector: tributary.limited
    rate_limit:
      rets:
        requests: 190
        per: 10s
      bulk: {requests: 5, per: 1s}
      search: {requests: 10, per: 1s}
)");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(validateRateLimits(r, *pluginDeclaring({"rest", "search", "daily"})),
            (std::vector<std::string>{
                "t.yaml:10:7: connections[0].rate_limit.bulk: rate-limit class \"bulk\" is not one that "
                "tributary.limited declares; declared: rest, search, daily",
                "t.yaml:7:7: connections[0].rate_limit.rets: rate-limit class \"rets\" is not one that "
                "tributary.limited declares (did you mean \"rest\"?); declared: rest, search, daily"}));
}

TEST(Validate, AnyPositiveOverrideOfADeclaredClassIsAccepted) {
  // HubSpot Pro's 190 per 10 s, above the 100 the connector declares: operators know their tier.
  auto r = load(std::string(kWorkspace) +
                "connections:\n  - workspace: acme\n    connector: tributary.limited\n"
                "    rate_limit: {headroom: 1, rest: {requests: 190, per: 10s}, daily: {requests: 1, per: 1d}}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_TRUE(validateRateLimits(r, *pluginDeclaring({"rest", "daily"})).empty());
}

TEST(Validate, ARateLimitClassForAConnectorThatDeclaresNoneSaysSo) {
  auto r = load(std::string(kWorkspace) +
                "connections:\n  - workspace: acme\n    connector: tributary.example\n"
                "    rate_limit: {headroom: 0.5, rest: {requests: 90, per: 10s}}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(validate(r), std::vector<std::string>{
                             "t.yaml:6:33: connections[0].rate_limit.rest: rate-limit class \"rest\" is not one that "
                             "tributary.example declares: it declares none, so there is nothing to override (remove "
                             "it)"});
}

}  // namespace connection_config_test
