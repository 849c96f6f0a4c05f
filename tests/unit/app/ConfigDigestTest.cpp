#include <gtest/gtest.h>

#include <map>

#include "TestSupport.h"
#include "app/ConfigDigest.h"
#include "app/ConfigSync.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using app::ConfigDifference;
using app::ConfigSync;
using app::DesiredConfig;

namespace {

config::EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// `api_key` is what the plugins declare secret here.
bool secret(const std::string&, const std::string& key) { return key == "api_key"; }

DesiredConfig desired(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  auto r = config::ConfigLoader(env(std::move(vars))).loadString(yaml, "t.yaml", "/etc/trib");
  EXPECT_TRUE(r.ok()) << r.diagnostics.format();
  return DesiredConfig::from(r.config, secret);
}

const std::string kBase = R"(
workspaces:
  - {slug: acme, name: Acme}
  - {slug: beta}
connections:
  - workspace: acme
    name: crm
    connector: tributary.example
    schedule: "0 2 * * *"
    settings: {records: 500, page_size: 50, api_key: "${KEY}"}
  - {workspace: beta, name: erp, connector: tributary.example}
)";

}  // namespace

// The digest is of what the sync writes: the same rows, the same digest, however the file says it.
TEST(ConfigDigest, IgnoresKeyOrderCommentsListOrderAndDefaultsWrittenOut) {
  const auto base = desired(kBase, {{"KEY", "k1"}});
  const auto same = desired(R"(
# the same, said otherwise
connections:
  - connector: tributary.example   # the defaults written out
    workspace: beta
    name: erp
    enabled: true
    timezone: UTC
  - settings: {api_key: "${KEY}", page_size: "50", records: 500}
    schedule: '0 2 * * *'
    name: crm
    connector: tributary.example
    workspace: acme
workspaces:
  - {slug: beta, name: beta}
  - {name: Acme, slug: acme}
server: {port: 9999}          # not a workspace or a connection: not in the digest
queue: {lease: 1m}
)",
                            {{"KEY", "k1"}});
  EXPECT_EQ(base.digest(), same.digest());
  EXPECT_EQ(base.items(), same.items());
  EXPECT_EQ(base.digest().size(), 64u);
}

// Secrets never reach the database, so their values are not in the digest: hosts may hold
// different ones (rotated, per machine) and still agree. A non-secret ${ENV} value is written, so
// it counts as it resolved.
TEST(ConfigDigest, LeavesSecretsOutButCountsOtherEnvironmentValues) {
  const auto k1 = desired(kBase, {{"KEY", "k1"}});
  EXPECT_EQ(k1.digest(), desired(kBase, {{"KEY", "another"}}).digest());
  test::TempDir dir;
  dir.write("key", "from-a-file\n");
  auto fromFile = kBase;
  fromFile.replace(fromFile.find("page_size: 50"), 13,
                   "page_size: 50, token: {secret_file: " + (dir / "key").string() + "}");
  EXPECT_EQ(desired(fromFile, {{"KEY", "k1"}}).digest(), desired(fromFile, {{"KEY", "k2"}}).digest());
  auto envRecords = kBase;
  envRecords.replace(envRecords.find("records: 500"), 12, "records: \"${RECORDS}\"");
  EXPECT_EQ(desired(envRecords, {{"KEY", "k1"}, {"RECORDS", "500"}}).digest(), k1.digest());
  EXPECT_NE(desired(envRecords, {{"KEY", "k1"}, {"RECORDS", "501"}}).digest(), k1.digest());
  for (const auto& c : k1.connections()) EXPECT_FALSE(c.settings.contains("api_key")) << c.qualifiedName();
}

TEST(ConfigDigest, ConnectionsDFilesCountAsTheMainFile) {
  test::TempDir dir;
  dir.write("connections.d/acme.yaml", R"(
workspaces: [{slug: acme, name: Acme}]
connections:
  - {workspace: acme, name: crm, connector: tributary.example, schedule: "0 2 * * *",
     settings: {records: 500, page_size: 50, api_key: "${KEY}"}}
)");
  auto main = dir.write("tributary.yaml", R"(
workspaces: [{slug: beta}]
connections: [{workspace: beta, name: erp, connector: tributary.example}]
)");
  auto r = config::ConfigLoader(env({{"KEY", "x"}})).loadFile(main);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(DesiredConfig::from(r.config, secret).digest(), desired(kBase, {{"KEY", "k1"}}).digest());
}

TEST(ConfigDigest, EveryWrittenValueCountsAndTheDifferenceNamesTheItems) {
  const auto base = desired(kBase, {{"KEY", "k1"}});
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"records: 500", "records: 501"},
           {"\"0 2 * * *\"", "\"0 3 * * *\""},
           {"name: crm\n", "name: crm\n    enabled: false\n"},
           {"name: crm\n", "name: crm\n    timezone: Europe/Berlin\n"},
           {"name: crm\n", "name: crm\n    misfire: skip\n"},
           {"name: crm\n", "name: crm\n    base_url: http://127.0.0.1:1\n"},
           {"{slug: acme, name: Acme}", "{slug: acme, name: ACME}"}}) {
    auto yaml = kBase;
    yaml.replace(yaml.find(from), from.size(), to);
    EXPECT_NE(desired(yaml, {{"KEY", "k1"}}).digest(), base.digest()) << to;
  }
  // rate_limit is not written by the sync.
  auto limited = kBase;
  limited.replace(limited.find("name: crm\n"), 10, "name: crm\n    rate_limit: {headroom: 0.5}\n");
  EXPECT_EQ(desired(limited, {{"KEY", "k1"}}).digest(), base.digest());

  const auto other = desired(R"(
workspaces: [{slug: acme, name: Acme}, {slug: gamma}]
connections:
  - {workspace: acme, name: crm, connector: tributary.example, schedule: "0 2 * * *", settings: {records: 9}}
  - {workspace: gamma, name: hr, connector: tributary.example}
)");
  const auto d = ConfigDifference::between(base.items(), other.items());
  EXPECT_EQ(d.onlyApplied, (std::vector<std::string>{"workspace beta", "beta/erp"}));
  EXPECT_EQ(d.onlyThisHost, (std::vector<std::string>{"workspace gamma", "gamma/hr"}));
  EXPECT_EQ(d.changed, (std::vector<std::string>{"acme/crm"}));
  EXPECT_EQ(d.describe(),
            "only in the applied configuration: workspace beta, beta/erp; only in this host's: workspace gamma, "
            "gamma/hr; changed: acme/crm");
  EXPECT_TRUE(ConfigDifference::between(base.items(), base.items()).empty());
}

// Which host applies its YAML at start (ConfigSync's rule).
TEST(ConfigDigest, TheRuleAppliesOnAnEmptyDatabaseWithTheFlagOrWhenNoRunningHostDisagrees) {
  auto decide = [](std::optional<std::string> applied, std::vector<std::string> others, bool flag = false,
                   bool worker = false) { return ConfigSync::decide("mine", applied, others, flag, worker); };
  EXPECT_TRUE(decide(std::nullopt, {"theirs"}).apply) << "the first host applies";
  EXPECT_EQ(decide(std::nullopt, {}).reason, "the first host to apply a configuration to this database");
  EXPECT_FALSE(decide("mine", {"theirs"}).apply) << "matching: nothing to do";
  EXPECT_FALSE(decide("theirs", {"theirs"}).apply) << "drift while another host runs with the applied file";
  EXPECT_FALSE(decide("old", {"mine", "old"}).apply) << "one running host still has another file";
  EXPECT_TRUE(decide("old", {}).apply) << "a lone host applies its file, as one host always did";
  EXPECT_EQ(decide("old", {}).reason, "no other host is running");
  EXPECT_TRUE(decide("old", {"mine", "mine"}).apply) << "the last host of a rolling deploy";
  EXPECT_EQ(decide("old", {"mine"}).reason, "every other running host has this configuration too");
  EXPECT_TRUE(decide("theirs", {"theirs"}, true).apply);
  EXPECT_EQ(decide("theirs", {"theirs"}, true).reason, "started with --apply-config");
  EXPECT_FALSE(decide(std::nullopt, {}, true, true).apply) << "a worker host never applies";
  EXPECT_FALSE(decide("old", {}, false, true).apply);
}
