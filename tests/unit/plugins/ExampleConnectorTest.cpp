// plugins/example through the real loader and ABI: the exact subsets each mode returns,
// keyset resume, poison records and every test knob.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "PluginTestSupport.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace example_connector_test {

constexpr int64_t kEpochMs = 1700000000000;
constexpr int64_t kGenerationSpanMs = 365LL * 86400000;

using Settings = std::map<std::string, std::string, std::less<>>;

std::shared_ptr<const ConnectorPlugin> example() {
  static auto plugin = loadPlugin(examplePlugin());
  return plugin;
}

struct SyncRun {
  CallResult result;
  RecordingRunServices services;
};

std::unique_ptr<SyncRun> run(const Settings& settings, SyncMode mode, SyncRequest request) {
  auto instance = makeInstance(example(), settings);
  auto out = std::make_unique<SyncRun>();
  out->result = instance->sync(mode, request, out->services);
  return out;
}

SyncRequest streamRequest(const std::string& stream) {
  SyncRequest r;
  r.stream = stream;
  return r;
}

// id -> modified_at of a run's records.
std::map<std::string, int64_t> byId(const SyncRun& r) {
  std::map<std::string, int64_t> out;
  for (const auto& rec : r.services.records) out[rec.sourceId] = *rec.modifiedAtMs;
  return out;
}

TEST(example, InitialSyncListsEveryRecordInKeysetOrderWithACheckpointPerPage) {
  auto r = run({{"records", "250"}, {"page_size", "100"}}, SyncMode::Initial, streamRequest("deals"));
  ASSERT_TRUE(r->result.ok()) << r->result.message;
  ASSERT_EQ(r->services.records.size(), 250u);
  for (size_t i = 0; i < 250; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "deal-%09zu", i);
    EXPECT_EQ(r->services.records[i].sourceId, id);
    EXPECT_EQ(r->services.records[i].modifiedAtMs, kEpochMs + static_cast<int64_t>(i / 3) * 1000);
  }
  ASSERT_EQ(r->services.checkpoints.size(), 3u);
  EXPECT_EQ(r->services.checkpoints[0].recordsBefore, 100u);
  EXPECT_EQ(r->services.checkpoints[1].recordsBefore, 200u);
  EXPECT_EQ(r->services.checkpoints[2].recordsBefore, 250u);
  EXPECT_EQ(r->services.checkpoints[0].cursorJson, R"({"modified_at":1700000033000,"id":"deal-000000099"})");
  EXPECT_EQ(r->services.progress.back().current, 250);
  EXPECT_EQ(r->services.progress.back().total, 250);
}

TEST(example, ResumingFromAnyCheckpointYieldsExactlyTheRestEvenAcrossEqualTimestamps) {
  // page_size 10 and 3 records per timestamp: groups straddle every page boundary.
  std::map<std::string, int64_t> inTimeOrder;
  for (const char* order : {"modified", "id"}) {
    Settings settings{
        {"records", "95"}, {"page_size", "10"}, {"same_timestamp", "3"}, {"generation", "2"}, {"order", order}};
    auto full = run(settings, SyncMode::Initial, streamRequest("contacts"));
    ASSERT_TRUE(full->result.ok()) << full->result.message;
    const auto& all = full->services.records;
    if (std::string(order) == "modified") {
      inTimeOrder = byId(*full);
    } else {
      // Listed by id, the same records, though no longer in time order.
      EXPECT_EQ(byId(*full), inTimeOrder);
      EXPECT_TRUE(
          std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.sourceId < b.sourceId; }));
      EXPECT_FALSE(std::is_sorted(all.begin(), all.end(),
                                  [](const auto& a, const auto& b) { return *a.modifiedAtMs < *b.modifiedAtMs; }));
    }
    for (const auto& cp : full->services.checkpoints) {
      SyncRequest resume = streamRequest("contacts");
      resume.cursorJson = cp.cursorJson;
      auto rest = run(settings, SyncMode::Initial, resume);
      ASSERT_TRUE(rest->result.ok());
      std::vector<std::string> expected;
      for (size_t i = cp.recordsBefore; i < all.size(); ++i) expected.push_back(all[i].sourceId);
      EXPECT_EQ(rest->services.ids(), expected) << order << ": resumed after " << cp.cursorJson;
    }
  }
}

TEST(example, IncrementalReturnsExactlyWhatChangedInTheNextGeneration) {
  Settings gen0{{"records", "500"}, {"page_size", "64"}};
  auto before = run(gen0, SyncMode::Initial, streamRequest("deals"));
  ASSERT_TRUE(before->result.ok());
  int64_t watermark = 0;
  for (const auto& rec : before->services.records) watermark = std::max(watermark, *rec.modifiedAtMs);

  Settings gen1 = gen0;
  gen1["generation"] = "1";
  auto after = run(gen1, SyncMode::Initial, streamRequest("deals"));
  ASSERT_TRUE(after->result.ok());

  // Ground truth from two full listings: changed (new modification time) or deleted (gone).
  auto old = byId(*before), now = byId(*after);
  std::set<std::string> changed, deleted;
  for (const auto& [id, t] : old) {
    if (!now.count(id)) deleted.insert(id);
    else if (now[id] != t) changed.insert(id);
  }
  ASSERT_FALSE(changed.empty());
  ASSERT_FALSE(deleted.empty());

  SyncRequest incremental = streamRequest("deals");
  incremental.sinceMs = watermark + 1;
  auto inc = run(gen1, SyncMode::Incremental, incremental);
  ASSERT_TRUE(inc->result.ok());
  std::set<std::string> gotChanged, gotDeleted;
  for (const auto& rec : inc->services.records) {
    (rec.deleted ? gotDeleted : gotChanged).insert(rec.sourceId);
    if (rec.deleted) {
      EXPECT_EQ(rec.fieldsJson, "");
    } else {
      EXPECT_EQ(rec.modifiedAtMs, now[rec.sourceId]);
    }
  }
  EXPECT_EQ(gotChanged, changed);
  EXPECT_EQ(gotDeleted, deleted);

  // With an overlap window the host re-reads a little; with the old watermark exactly, the
  // records at the watermark come again (at most one timestamp group: same_timestamp = 3).
  incremental.sinceMs = watermark;
  auto overlap = run(gen1, SyncMode::Incremental, incremental);
  size_t reread = overlap->services.records.size() - inc->services.records.size();
  EXPECT_GE(reread, 1u);
  EXPECT_LE(reread, 3u);
}

TEST(example, BackfillWindowReturnsExactlyTheRecordsModifiedInsideIt) {
  Settings settings{{"records", "300"}, {"page_size", "25"}, {"generation", "1"}};
  auto full = run(settings, SyncMode::Initial, streamRequest("accounts"));
  SyncRequest window = streamRequest("accounts");
  window.windowFromMs = kEpochMs + 10000;
  window.windowToMs = kEpochMs + 20000;
  auto r = run(settings, SyncMode::Backfill, window);
  ASSERT_TRUE(r->result.ok());
  std::vector<std::string> expected;
  for (const auto& rec : full->services.records) {
    if (*rec.modifiedAtMs >= *window.windowFromMs && *rec.modifiedAtMs < *window.windowToMs)
      expected.push_back(rec.sourceId);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(r->services.ids(), expected);

  // A window over generation 1 holds its changes and its deletions.
  window.windowFromMs = kEpochMs + kGenerationSpanMs;
  window.windowToMs = std::nullopt;
  auto changes = run(settings, SyncMode::Backfill, window);
  SyncRequest incremental = streamRequest("accounts");
  incremental.sinceMs = kEpochMs + kGenerationSpanMs;
  auto inc = run(settings, SyncMode::Incremental, incremental);
  EXPECT_EQ(changes->services.ids(), inc->services.ids());
}

TEST(example, BackfillByIdsReturnsThoseRecordsInIdOrder) {
  SyncRequest ids = streamRequest("deals");
  ids.ids = {"deal-000000005", "deal-000000001", "contact-000000002", "nonsense", "deal-000099999"};
  auto r = run({{"records", "10"}}, SyncMode::Backfill, ids);
  ASSERT_TRUE(r->result.ok());
  EXPECT_EQ(r->services.ids(), (std::vector<std::string>{"deal-000000001", "deal-000000005"}));
}

TEST(example, PoisonRecordsBecomeRecordErrorsAndTheRestOfThePageLands) {
  Settings settings{{"records", "20"}, {"page_size", "10"}, {"poison_ids", "deal-000000003, deal-000000012"}};
  auto r = run(settings, SyncMode::Initial, streamRequest("deals"));
  ASSERT_TRUE(r->result.ok());
  EXPECT_EQ(r->services.records.size(), 18u);
  ASSERT_EQ(r->services.errors.size(), 2u);
  EXPECT_EQ(r->services.errors[0].sourceId, "deal-000000003");
  EXPECT_EQ(r->services.errors[0].message, "amount: not a number: \"TBD\"");
  EXPECT_EQ(nlohmann::json::parse(r->services.errors[0].rawJson)["amount"], "TBD");
  EXPECT_EQ(r->services.errors[1].sourceId, "deal-000000012");

  settings["poison_ids"] = "event-000000004";
  auto events = run(settings, SyncMode::Initial, streamRequest("events"));
  ASSERT_EQ(events->services.errors.size(), 1u);
  EXPECT_EQ(events->services.errors[0].message, "updatedAt: not an ISO 8601 time or epoch milliseconds: \"TBD\"");
}

TEST(example, CanonicalFieldsAreSanitizedAndInTheModelsOrder) {
  Settings settings{{"records", "40"}};
  auto deals = run(settings, SyncMode::Initial, streamRequest("deals"));
  bool sawNullAmount = false;
  for (const auto& rec : deals->services.records) {
    auto f = nlohmann::ordered_json::parse(rec.fieldsJson);
    std::vector<std::string> keys;
    for (auto it = f.begin(); it != f.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"name", "amount", "stage", "close_date", "pipeline", "owner_id",
                                              "account_id"}));
    auto raw = nlohmann::json::parse(rec.rawJson);
    sawNullAmount = sawNullAmount || (raw["amount"] == "" && f["amount"].is_null());
    if (raw["closedate"] != "") {
      EXPECT_EQ(f["close_date"], raw["closedate"].get<std::string>().substr(0, 10));
    } else {
      EXPECT_TRUE(f["close_date"].is_null());
    }
  }
  EXPECT_TRUE(sawNullAmount);
  EXPECT_EQ(deals->services.records[0].fieldsJson.substr(0, 9), "{\"name\":\"");

  auto contacts = run(settings, SyncMode::Initial, streamRequest("contacts"));
  auto c = nlohmann::json::parse(contacts->services.records[7].fieldsJson);
  auto craw = nlohmann::json::parse(contacts->services.records[7].rawJson);
  EXPECT_NE(craw["email"].get<std::string>().front(),
            c["email"].get<std::string>().front());  // trimmed
  EXPECT_EQ(c["email"].get<std::string>().find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ "), std::string::npos);

  auto accounts = run(settings, SyncMode::Initial, streamRequest("accounts"));
  EXPECT_EQ(nlohmann::json::parse(accounts->services.records[7].fieldsJson)["domain"], "company7.example");

  auto events = run(settings, SyncMode::Initial, streamRequest("events"));
  EXPECT_EQ(events->services.records[0].fieldsJson, "");  // no canonical entity
}

TEST(example, SameSeedSameDataOtherSeedOtherData) {
  auto a = run({{"records", "30"}, {"seed", "7"}}, SyncMode::Initial, streamRequest("deals"));
  auto b = run({{"records", "30"}, {"seed", "7"}}, SyncMode::Initial, streamRequest("deals"));
  auto c = run({{"records", "30"}, {"seed", "8"}}, SyncMode::Initial, streamRequest("deals"));
  size_t same = 0, differ = 0;
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(a->services.records[i].rawJson, b->services.records[i].rawJson);
    (a->services.records[i].rawJson == c->services.records[i].rawJson ? same : differ)++;
  }
  EXPECT_GT(differ, 25u);
}

TEST(example, FailAtPageRetriesAfterCommittingTheEarlierPages) {
  Settings settings{{"records", "50"}, {"page_size", "10"}, {"fail_at_page", "3"}};
  auto r = run(settings, SyncMode::Initial, streamRequest("deals"));
  EXPECT_EQ(r->result.code, ResultCode::Retry);
  EXPECT_EQ(r->result.message, "simulated failure at page 3 of stream 'deals' (setting fail_at_page=3)");
  EXPECT_FALSE(r->result.retryAfterMs);
  EXPECT_EQ(r->services.checkpoints.size(), 2u);
  EXPECT_EQ(r->services.records.size(), 20u);

  settings["fail_mode"] = "fatal";
  r = run(settings, SyncMode::Initial, streamRequest("deals"));
  EXPECT_EQ(r->result.code, ResultCode::Fatal);
  EXPECT_EQ(r->result.message, "simulated failure at page 3 of stream 'deals' (setting fail_at_page=3)");

  settings["fail_stream"] = "contacts";
  r = run(settings, SyncMode::Initial, streamRequest("deals"));
  EXPECT_TRUE(r->result.ok());
}

TEST(example, FailModeWaitParksUntilARetryAfterTime) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto r = run({{"records", "50"}, {"page_size", "10"}, {"fail_at_page", "1"}, {"fail_mode", "wait"}},
               SyncMode::Initial, streamRequest("deals"));
  EXPECT_EQ(r->result.code, ResultCode::Wait);
  EXPECT_EQ(r->result.message,
            "simulated rate limit: simulated failure at page 1 of stream 'deals' (setting "
            "fail_at_page=1)");
  ASSERT_TRUE(r->result.retryAfterMs);
  EXPECT_GE(*r->result.retryAfterMs, now + 1000);
  EXPECT_LE(*r->result.retryAfterMs, now + 60000);
}

TEST(example, LatencyHonoursCancellation) {
  auto instance = makeInstance(example(), {{"records", "1000"}, {"page_size", "10"}, {"latency_ms", "30000"}});
  RecordingRunServices services;
  services.cancelled = true;
  auto start = std::chrono::steady_clock::now();
  CallResult r = instance->initialSync(streamRequest("deals"), services);
  EXPECT_EQ(r.code, ResultCode::Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(services.records.empty());
}

TEST(example, CheckValidatesSettingsNamingTheKey) {
  RecordingRunServices services;
  auto check = [&](Settings s) { return makeInstance(example(), std::move(s))->check(services); };
  CallResult r = check({{"page_size", "0"}});
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "setting 'page_size' must be between 1 and 100000, got 0");
  r = check({{"fail_mode", "sometimes"}});
  EXPECT_EQ(r.message, "setting 'fail_mode' must be one of 'retry', 'fatal', 'wait', got 'sometimes'");
  r = check({{"check_fail", "retry"}});
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "check failed (setting check_fail=retry)");
  EXPECT_TRUE(check({}).ok());
  // The host validates types against the schema before create; were a bad integer to reach
  // the plugin anyway, the SDK's configInt names the key.
  InstanceOptions options;
  options.settings["records"] = "many";
  auto created = ConnectorInstance::create(example(), std::move(options));
  EXPECT_EQ(created.result.code, ResultCode::Fatal);
  EXPECT_EQ(created.result.message, "setting 'records': not an integer: \"many\"");
}

TEST(example, CrashAtPageAbortsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto instance = makeInstance(example(), {{"records", "50"}, {"page_size", "10"}, {"crash_at_page", "2"}});
  RecordingRunServices services;
  EXPECT_DEATH(instance->initialSync(streamRequest("deals"), services), "");
}

TEST(example, InstancesRunConcurrentlyOnTheirOwnThreads) {
  Settings settings{{"records", "5000"}, {"page_size", "250"}, {"generation", "2"}};
  auto reference = run(settings, SyncMode::Initial, streamRequest("deals"));
  std::vector<std::unique_ptr<SyncRun>> runs(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < runs.size(); ++i) {
    threads.emplace_back([&, i] { runs[i] = run(settings, SyncMode::Initial, streamRequest("deals")); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : runs) {
    ASSERT_TRUE(r->result.ok());
    ASSERT_EQ(r->services.records.size(), reference->services.records.size());
    for (size_t k = 0; k < r->services.records.size(); ++k) {
      ASSERT_EQ(r->services.records[k].rawJson, reference->services.records[k].rawJson);
      ASSERT_EQ(r->services.records[k].fieldsJson, reference->services.records[k].fieldsJson);
    }
  }
}

}  // namespace example_connector_test
