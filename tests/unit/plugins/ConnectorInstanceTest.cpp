// ConnectorInstance: create with defaults, calls mapped to CallResult, and what the host's
// own failures (thrown by RunServices) do to a call.
#include "plugins/ConnectorInstance.h"

#include <gtest/gtest.h>

#include "PluginTestSupport.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

std::shared_ptr<const ConnectorPlugin> example() {
  static auto plugin = loadPlugin(examplePlugin());
  return plugin;
}

SyncRequest stream(const std::string& name) {
  SyncRequest r;
  r.stream = name;
  return r;
}

}  // namespace

TEST(instance, CreateAppliesTheSchemasDefaultsAndKeepsGivenSettings) {
  RecordingRunServices services;
  auto defaults = makeInstance(example(), {});
  ASSERT_TRUE(defaults->initialSync(stream("events"), services).ok());
  EXPECT_EQ(services.records.size(), 1000u);  // records=1000, page_size=100 by default
  EXPECT_EQ(services.checkpoints.size(), 10u);

  RecordingRunServices small;
  auto given = makeInstance(example(), {{"records", "7"}, {"page_size", "3"}});
  ASSERT_TRUE(given->initialSync(stream("events"), small).ok());
  EXPECT_EQ(small.records.size(), 7u);
  EXPECT_EQ(small.checkpoints.size(), 3u);
}

TEST(instance, SecretsAreReadOnlyThroughGetSecret) {
  RecordingRunServices services;
  auto asSetting = makeInstance(example(), {{"api_key", "invalid"}});
  EXPECT_TRUE(asSetting->check(services).ok());
  auto asSecret = makeInstance(example(), {}, {{"api_key", "invalid"}});
  CallResult r = asSecret->check(services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "authentication failed: api_key was rejected; set a valid api_key");
}

TEST(instance, PluginLogLinesCarryConnectorAndLabel) {
  std::vector<std::pair<LogLevel, std::string>> lines;
  auto instance = makeInstance(example(), {{"records", "4"}}, {},
                               [&](LogLevel l, std::string_view m) { lines.emplace_back(l, std::string(m)); });
  RecordingRunServices services;
  ASSERT_TRUE(instance->initialSync(stream("deals"), services).ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].first, LogLevel::Debug);
  EXPECT_EQ(lines[0].second, "[tributary.example acme/demo] stream 'deals': 4 records in 1 pages");
}

TEST(instance, UnknownStreamIsFatalWithoutCallingThePlugin) {
  auto instance = makeInstance(example(), {});
  RecordingRunServices services;
  CallResult r = instance->incrementalSync(stream("invoices"), services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message,
            "incremental_sync: 'invoices' is not a stream of tributary.example (see `tributary "
            "plugins list`)");
}

TEST(instance, RunStoppedFromTheHostOverridesThePluginsResult) {
  auto instance = makeInstance(example(), {{"records", "50"}, {"page_size", "10"}});
  RecordingRunServices services;
  services.throwOnRecord = 25;
  services.stopCode = ResultCode::Retry;
  services.stopMessage = "batch write failed: connection to PostgreSQL lost";
  CallResult r = instance->initialSync(stream("deals"), services);
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "batch write failed: connection to PostgreSQL lost");
  EXPECT_EQ(services.records.size(), 25u);
  EXPECT_EQ(services.checkpoints.size(), 2u);
}

TEST(instance, AnyOtherHostExceptionEndsTheCallAsRetryNamingTheFunction) {
  struct FailingCommit : RecordingRunServices {
    void commitCheckpoint(std::string_view, std::string_view) override { throw std::runtime_error("db down"); }
  } services;
  auto instance = makeInstance(example(), {{"records", "5"}});
  CallResult r = instance->initialSync(stream("deals"), services);
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "host error in commit_checkpoint: db down");
}

TEST(instance, CancelledThroughTheHostEndsTheCallCancelled) {
  auto instance = makeInstance(example(), {{"records", "100"}, {"page_size", "10"}});
  RecordingRunServices services;
  services.cancelAfterCheckpoints = 2;
  CallResult r = instance->initialSync(stream("contacts"), services);
  EXPECT_EQ(r.code, ResultCode::Cancelled);
  EXPECT_EQ(r.message, "cancelled");
  EXPECT_EQ(services.records.size(), 20u);  // stopped at the next page after the cancel
}

TEST(instance, CFixtureRunsEveryHook) {
  auto plugin = loadPlugin(fixture("fixture_good"));
  auto instance = makeInstance(plugin, {});
  RecordingRunServices services;
  EXPECT_TRUE(instance->check(services).ok());
  for (SyncMode mode : {SyncMode::Initial, SyncMode::Incremental, SyncMode::Backfill}) {
    EXPECT_TRUE(instance->sync(mode, stream("items"), services).ok());
  }
  EXPECT_EQ(services.records.size(), 9u);
  EXPECT_EQ(services.checkpoints.back().cursorJson, R"({"done":true})");
  EXPECT_EQ(services.records[0].rawJson, "{}");
  EXPECT_EQ(services.records[0].fieldsJson, "");
  EXPECT_EQ(services.records[0].modifiedAtMs, 1700000000000);
}

TEST(instance, ResultCodeNames) {
  EXPECT_EQ(toString(ResultCode::Ok), "OK");
  EXPECT_EQ(toString(ResultCode::Retry), "RETRY");
  EXPECT_EQ(toString(ResultCode::Fatal), "FATAL");
  EXPECT_EQ(toString(ResultCode::Wait), "WAIT");
  EXPECT_EQ(toString(ResultCode::Cancelled), "CANCELLED");
}
