// ABI 1.1's stream flags, discovered streams and keys-only records end to end: `tributary serve`
// with one worker process and a connection of the fixture plugin, in plain C and on sdk.hpp
// (tests/plugins/fixtures/fixture_v11_streams.c / .cpp), and the real `tributary connections`
// commands. Each bad input is asserted with its exact message.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "QueueTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;

namespace {

// The rows a test looks at: the generic records table, where the fixture's streams land.
struct Row {
  int64_t rawHash = 0;
  std::string updatedAt;
  bool deleted = false;
};

// serve with one worker and one connection, acme/pg, of a streams fixture plugin (copied alone
// into a plugin dir of its own, so nothing else is probed).
class FixtureHost {
 public:
  FixtureHost(test::QueueDatabase& q, std::string plugin, std::string settings)
      : q_(q), plugin_(std::move(plugin)), settings_(std::move(settings)) {
    std::filesystem::create_directories(dir_ / "plugins");
    const std::string file = plugin_.substr(plugin_.rfind('.') + 1) + ".so";
    std::filesystem::copy_file(std::filesystem::path(TRIBUTARY_TEST_FIXTURE_PLUGIN_DIR) / file,
                               dir_ / "plugins" / file);
    start();
  }
  ~FixtureHost() { stop(); }

  void restart(std::string settings) {
    stop();
    settings_ = std::move(settings);
    start();
  }
  void stop() {
    if (serve_) serve_->stop();
  }
  std::string log() const { return serve_ ? serve_->log() : ""; }
  const std::filesystem::path& config() const { return config_; }

  std::string connectionId() {
    auto c = q_.pool->acquire();
    return c->exec("SELECT id FROM connections WHERE name = 'pg'").text(0, 0);
  }
  std::string enqueue(const Json& payload, const std::string& kind = "sync") {
    auto c = q_.pool->acquire();
    EnqueueRequest r;
    r.kind = kind;
    r.workspaceId = c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
    r.connectionId = connectionId();
    r.priority = kPriorityManual;
    r.payload = payload;
    return q_.queue->enqueue(r).jobId;
  }
  Job waitJob(const std::string& id) {
    Job j;
    auto terminal = [](JobStatus s) {
      return s == JobStatus::Completed || s == JobStatus::Failed || s == JobStatus::Discarded ||
             s == JobStatus::Cancelled;
    };
    if (!test::eventually([&] { return terminal((j = q_.job(id)).status); }, seconds(60))) {
      ADD_FAILURE() << "job " << id << " did not end: " << j.toJson().dump(2) << "\n" << log();
    }
    return j;
  }
  Job run(const Json& payload, const std::string& kind = "sync") { return waitJob(enqueue(payload, kind)); }

  // `tributary ARGS --config CONFIG`, as an operator runs it.
  process::RunResult cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {test::tributaryBinary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(config_.string());
    return test::runProgram(argv);
  }

  std::map<std::string, Row> rows(const std::string& stream, const std::string& table = "records") {
    auto c = q_.pool->acquire();
    auto r = c->exec(
        "SELECT source_id, raw_hash, updated_at::text, deleted_at IS NOT NULL FROM " + table + " WHERE stream = $1",
        stream);
    std::map<std::string, Row> out;
    for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = Row{r.int64(i, 1), r.text(i, 2), r.boolean(i, 3)};
    return out;
  }

 private:
  void start() {
    config_ = dir_.write("tributary.yaml",
                         "database:\n  url: \"" + q_.db.conninfo() + "\"\n" + "plugins: {dirs: [\"" +
                             (dir_ / "plugins").string() +
                             "\"]}\n"
                             "workers: {processes: 1, concurrency: 2}\n"
                             "queue: {poll_interval: 300ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: "
                             "300ms, timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: "
                             "200ms}}}\n"
                             // Every checkpoint commits its batch: pages are batches.
                             "sync: {progress_interval: 100ms, overlap: 0s, batch: {initial: 1, min: 1, max: 1}}\n"
                             "workspaces: [{slug: acme}]\n"
                             "connections:\n  - workspace: acme\n    name: pg\n    connector: " +
                             plugin_ + "\n    settings: " + settings_ + "\n");
    const auto ready = dir_ / ("ready" + std::to_string(generation_++) + ".json");
    serve_ = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--config", config_.string(), "--port", "0",
                                 "--ready-file", ready.string()},
        dir_ / "serve.log");
    if (!serve_->waitForReadyFile(ready)) throw std::runtime_error("serve did not start:\n" + serve_->log());
  }

  test::QueueDatabase& q_;
  test::TempDir dir_;
  std::string plugin_;
  std::string settings_;
  std::filesystem::path config_;
  std::unique_ptr<test::ServerProcess> serve_;
  int generation_ = 0;
};

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

Json result(const Job& j) { return j.result.is_object() ? j.result : Json::object(); }

struct StreamsV11 : ::testing::TestWithParam<std::string> {
  test::QueueDatabase q;
  std::string plugin(const std::string& variant = "") const {
    return "tributary.fixture_v11_streams_" + GetParam() + (variant.empty() ? "" : "_" + variant);
  }
  int64_t watermark(const std::string& stream) {
    auto c = q.pool->acquire();
    return c->exec("SELECT (extract(epoch from watermark) * 1000)::bigint FROM stream_state WHERE stream = $1", stream)
        .int64(0, 0);
  }
};

INSTANTIATE_TEST_SUITE_P(CAndCpp, StreamsV11, ::testing::Values("c", "cpp"),
                         [](const auto& info) { return info.param; });

// Records a..d are modified at 1700000001000 .. 1700000004000 (2023-11-14T22:13:21Z ..); with
// `order: late`, a comes last. Pages (batches) hold two records.
constexpr int64_t kC = 1700000003000, kD = 1700000004000;

}  // namespace

TEST_P(StreamsV11, ADeclaredOrderedStreamThatGoesBackInTimeIsLoggedOnceAndTakesTheSafePath) {
  FixtureHost h(q, plugin(), "{streams: 'ordered::ordered,plain', order: late}");
  auto job = h.run(Json{{"streams", {"ordered", "plain"}}});
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  const std::string broken =
      "the stream declares TRIBUTARY_STREAM_MODIFICATION_ORDER, but record 'a' (modified 2023-11-14T22:13:21.000Z) "
      "came after record 'd' (modified 2023-11-14T22:13:24.000Z); this run is treated as unordered, so the next "
      "incremental starts from its first batch. Fix the plugin's order, or drop the flag";
  EXPECT_EQ(occurrences(h.log(), "acme/pg stream ordered: " + broken), 1u) << h.log();
  EXPECT_EQ(occurrences(h.log(), "declares TRIBUTARY_STREAM_MODIFICATION_ORDER"), 1u)
      << "the stream that promised nothing is not blamed\n"
      << h.log();
  EXPECT_EQ(result(job)["streams"]["ordered"]["order_warning"], broken);
  EXPECT_FALSE(result(job)["streams"]["plain"].contains("order_warning"));
  // The safe path: the watermark is the first batch's newest time (b, c), not the newest read (d).
  EXPECT_EQ(watermark("ordered"), kC);
  EXPECT_EQ(watermark("plain"), kC);
  EXPECT_EQ(occurrences(h.log(), "stream ordered: the initial sync did not read in modification order"), 1u) << h.log();

  // Read in order, the declared stream keeps the newest time it read (serve.log goes on across the restart).
  const size_t warnedBefore = occurrences(h.log(), "declares TRIBUTARY_STREAM_MODIFICATION_ORDER");
  h.restart("{streams: 'ordered::ordered,plain', order: asc}");
  job = h.run(Json{{"streams", {"ordered"}}, {"mode", "initial"}});
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(watermark("ordered"), kD);
  EXPECT_EQ(occurrences(h.log(), "declares TRIBUTARY_STREAM_MODIFICATION_ORDER"), warnedBefore) << h.log();
  EXPECT_FALSE(result(job)["streams"]["ordered"].contains("order_warning"));
}

TEST_P(StreamsV11, AStreamReadOnlyWholeRunsAFullRefreshOnAnIncrementalRequestAndSweepsWhatTheSourceDropped) {
  FixtureHost h(q, plugin(), "{streams: 'whole::full_refresh,plain'}");
  auto first = h.run(Json::object());
  ASSERT_EQ(first.status, JobStatus::Completed) << first.toJson().dump(2) << h.log();
  ASSERT_EQ(h.rows("whole").size(), 4u);

  h.restart("{streams: 'whole::full_refresh,plain', ids: 'a,b,c'}");  // d is gone at the source
  auto second = h.run(Json{{"mode", "incremental"}});
  ASSERT_EQ(second.status, JobStatus::Completed) << second.toJson().dump(2) << h.log();
  const Json whole = result(second)["streams"]["whole"];
  EXPECT_EQ(whole["mode"], "initial");
  EXPECT_EQ(whole["full_refresh"], true);
  EXPECT_EQ(whole["counts"]["deleted"], 1);
  EXPECT_EQ(result(second)["streams"]["plain"]["mode"], "incremental");
  auto rows = h.rows("whole");
  EXPECT_TRUE(rows.at("d").deleted) << "the full refresh swept the row the source dropped";
  EXPECT_FALSE(rows.at("a").deleted);
  EXPECT_FALSE(h.rows("plain").at("d").deleted) << "an incremental stream sweeps nothing";
  EXPECT_NE(h.log().find("acme/pg stream whole: the stream can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH): a "
                         "full refresh runs instead of the incremental sync asked for"),
            std::string::npos)
      << h.log();
}

TEST_P(StreamsV11, ABackfillOfAStreamReadOnlyWholeFailsWhenItIsAloneAndSkipsItBesideOthers) {
  FixtureHost h(q, plugin(), "{streams: 'whole::full_refresh,plain'}");
  ASSERT_EQ(h.run(Json::object()).status, JobStatus::Completed) << h.log();
  const std::string refused =
      "stream 'whole' can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH), not backfilled: run `tributary sync "
      "acme --connection pg --streams whole --mode initial`";
  const Json window = {{"from", 1700000000000}, {"to", 1700000009000}};
  auto alone = h.run(Json{{"streams", {"whole"}}, {"window", window}}, "backfill");
  EXPECT_EQ(alone.status, JobStatus::Failed) << alone.toJson().dump(2);
  EXPECT_EQ(alone.lastError.value_or(""), refused);

  auto all = h.run(Json{{"window", window}}, "backfill");
  ASSERT_EQ(all.status, JobStatus::Completed) << all.toJson().dump(2) << h.log();
  EXPECT_EQ(result(all)["streams"]["whole"]["status"], "skipped");
  EXPECT_EQ(result(all)["streams"]["whole"]["reason"], refused);
  EXPECT_EQ(result(all)["streams"]["plain"]["status"], "completed");
  EXPECT_EQ(result(all)["streams"]["plain"]["counts"]["records"], 4);
  EXPECT_NE(h.log().find("acme/pg: skipping " + refused), std::string::npos) << h.log();

  // Through the CLI, as an operator asks for it.
  auto cli = h.cli({"sync", "acme", "--connection", "pg", "--mode", "backfill", "--streams", "whole", "--from",
                    "2023-11-14T00:00:00Z", "--to", "2023-11-15T00:00:00Z", "--follow"});
  EXPECT_TRUE(test::exitedWith(cli.status, 1)) << cli.output;
  EXPECT_NE(cli.output.find("tributary sync: acme/pg: failed: " + refused), std::string::npos) << cli.output;
}

TEST_P(StreamsV11, KeysOnlyRecordsKeepTheirRowsThroughTheSweepWithoutRewritingThemAndMissingKeysAreCounted) {
  FixtureHost h(q, plugin(), "{streams: 'whole::full_refresh,accts:accounts:full_refresh'}");
  ASSERT_EQ(h.run(Json::object()).status, JobStatus::Completed) << h.log();
  const auto before = h.rows("whole");
  const auto beforeAccounts = h.rows("accts", "accounts");
  ASSERT_EQ(before.size(), 4u);
  ASSERT_EQ(beforeAccounts.size(), 4u);

  // The source streams only its keys: a and b are still there, c and d are gone, x is new to us.
  h.restart("{streams: 'whole::full_refresh,accts:accounts:full_refresh', ids: '', keys: 'a,b,x'}");
  auto job = h.run(Json::object());
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  for (const auto& [stream, table, was] :
       {std::tuple{"whole", "records", &before}, std::tuple{"accts", "accounts", &beforeAccounts}}) {
    auto rows = h.rows(stream, table);
    ASSERT_EQ(rows.size(), 4u) << stream << ": a missing key made a row";
    for (const char* kept : {"a", "b"}) {
      EXPECT_FALSE(rows.at(kept).deleted) << stream << " " << kept << " was swept though the source has it";
      EXPECT_EQ(rows.at(kept).rawHash, was->at(kept).rawHash) << stream << " " << kept;
      EXPECT_EQ(rows.at(kept).updatedAt, was->at(kept).updatedAt) << stream << " " << kept << " was rewritten";
    }
    EXPECT_TRUE(rows.at("c").deleted) << stream;
    EXPECT_TRUE(rows.at("d").deleted) << stream;
    const Json counts = result(job)["streams"][stream]["counts"];
    EXPECT_EQ(counts["records"], 3) << stream;
    EXPECT_EQ(counts["unchanged"], 2) << stream;
    EXPECT_EQ(counts["keys_only_missing"], 1) << stream;
    EXPECT_EQ(counts["deleted"], 2) << stream;
    EXPECT_EQ(counts["inserted"], 0) << stream;
  }
  EXPECT_EQ(result(job)["keys_only_missing"], 2);

  // A keys-only record that claims a deletion too is refused, naming it.
  h.restart("{streams: 'whole::full_refresh', ids: '', keys: 'k1', extra_flags: 1}");
  auto bad = h.run(Json::object());
  EXPECT_EQ(bad.status, JobStatus::Failed);
  EXPECT_EQ(bad.lastError.value_or(""),
            "stream whole: record 'k1' of stream 'whole' is both KEYS_ONLY and DELETED; a keys-only record says the "
            "row still exists");
  EXPECT_FALSE(h.rows("whole").at("a").deleted) << "the failed refresh swept";
}

TEST_P(StreamsV11, ASyncDiscoversItsStreamsStoresThemAndSyncsOnlyWhatItFound) {
  FixtureHost h(q, plugin(), "{streams: 'orders::ordered,people:contacts'}");
  auto job = h.run(Json{{"streams", {"orders"}}});
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(h.rows("orders").size(), 4u);
  EXPECT_NE(h.log().find("acme/pg: " + plugin() + " discovered 2 stream(s): orders, people"), std::string::npos)
      << h.log();

  // A stream of the descriptor's defaults is not one of this connection's.
  auto unknown = h.run(Json{{"streams", {"whole"}}});
  EXPECT_EQ(unknown.status, JobStatus::Failed);
  EXPECT_EQ(unknown.lastError.value_or(""), "connection acme/pg has no stream 'whole' (streams: orders, people)");

  auto listed = h.cli({"connections", "streams", "acme", "pg"});
  ASSERT_TRUE(test::exitedWith(listed.status, 0)) << listed.output;
  EXPECT_EQ(listed.output.rfind("acme/pg (" + plugin() + " 0.0.1): 2 streams discovered at ", 0), 0u) << listed.output;
  EXPECT_NE(listed.output.find(" by job " + unknown.id + "\n"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("  NAME    ENTITY    PRIMARY KEY  CURSOR FIELD  FLAGS               DESCRIPTION\n"
                               "  orders  -         id           updated       modification_order  discovered\n"
                               "  people  contacts  id           updated       -                   discovered\n"),
            std::string::npos)
      << listed.output;
  auto json = h.cli({"connections", "streams", "acme", "pg", "--json"});
  ASSERT_TRUE(test::exitedWith(json.status, 0)) << json.output;
  const Json j = Json::parse(json.output);
  EXPECT_EQ(j["connection"], "acme/pg");
  EXPECT_EQ(j["stored"], true);
  EXPECT_EQ(j["discovered"], true);
  EXPECT_EQ(j["streams"][1], Json({{"name", "people"},
                                   {"primary_key", "id"},
                                   {"cursor_field", "updated"},
                                   {"entity", "contacts"},
                                   {"description", "discovered"},
                                   {"flags", Json::array()}}));
  EXPECT_EQ(j["last_error"], nullptr);
}

TEST_P(StreamsV11, EachBadDiscoveredStreamFailsTheDiscoveryWithItsMessageAndTheStoredListStays) {
  FixtureHost h(q, plugin(), "{streams: 'orders'}");
  auto good = h.cli({"connections", "discover", "acme", "pg", "--wait"});
  ASSERT_TRUE(test::exitedWith(good.status, 0)) << good.output << h.log();
  EXPECT_EQ(good.output.rfind("queued a discovery of acme/pg: job ", 0), 0u) << good.output;
  EXPECT_NE(good.output.find("acme/pg (" + plugin() + " 0.0.1): 1 stream discovered at "), std::string::npos)
      << good.output;

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"orders,Bad-Name",
       "declare_stream: discovered stream 1 has the name 'Bad-Name', which is not lowercase [a-z0-9_]"},
      {"orders:people",
       "declare_stream: discovered stream 'orders' maps to unknown entity 'people' (known: deals, contacts, accounts, "
       "calls, documents, tasks, or \"\")"},
      {"orders::0x6",
       "declare_stream: discovered stream 'orders' has unknown flag bits 0x4 (known: "
       "TRIBUTARY_STREAM_MODIFICATION_ORDER 0x1, TRIBUTARY_STREAM_FULL_REFRESH 0x2)"},
      {"orders,logs,orders",
       "declare_stream: discovered stream 'orders' is declared twice; stream names are unique within a connection"},
  };
  for (const auto& [streams, message] : bad) {
    h.restart("{streams: '" + streams + "'}");
    auto r = h.cli({"connections", "discover", "acme", "pg", "--wait"});
    EXPECT_TRUE(test::exitedWith(r.status, 1)) << streams << ": " << r.output;
    EXPECT_NE(r.output.find("tributary connections discover: acme/pg: failed: discover failed: " + message + "\n"),
              std::string::npos)
        << streams << ": " << r.output;
    auto listed = h.cli({"connections", "streams", "acme", "pg"});
    EXPECT_NE(listed.output.find("1 stream discovered at "), std::string::npos) << listed.output;
    EXPECT_NE(listed.output.find("\n  orders  "), std::string::npos) << "the list before stays\n" << listed.output;
    EXPECT_NE(listed.output.find("): " + message + "\nthe streams above are from the discovery before it\n"),
              std::string::npos)
        << listed.output;
  }
  // A sync discovers first, and fails the same way, writing nothing.
  auto sync = h.run(Json::object());
  EXPECT_EQ(sync.status, JobStatus::Failed);
  EXPECT_EQ(sync.lastError.value_or(""), "discover failed: " + bad.back().second);
  EXPECT_TRUE(h.rows("orders").empty());
}

TEST_P(StreamsV11, AConnectionWhoseDiscoveryFindsNoStreamHasNothingToSync) {
  FixtureHost h(q, plugin(), "{streams: ''}");
  auto discover = h.cli({"connections", "discover", "acme", "pg", "--wait"});
  ASSERT_TRUE(test::exitedWith(discover.status, 0)) << discover.output << h.log();
  EXPECT_NE(discover.output.find("acme/pg (" + plugin() + " 0.0.1): 0 streams discovered at "), std::string::npos)
      << discover.output;
  auto sync = h.run(Json::object());
  EXPECT_EQ(sync.status, JobStatus::Failed);
  EXPECT_EQ(sync.lastError.value_or(""),
            "connection acme/pg has no streams: the discover hook of " + plugin() +
                " declared none, so there is nothing to sync (`tributary connections streams acme pg` shows what it "
                "found)");
}

TEST_P(StreamsV11, AConnectorWithoutADiscoverHookStoresItsDeclaredStreamsAndListsItsFlags) {
  FixtureHost h(q, plugin("declared"), "{}");
  auto none = h.cli({"connections", "streams", "acme", "pg"});
  ASSERT_TRUE(test::exitedWith(none.status, 0)) << none.output;
  EXPECT_EQ(none.output, "acme/pg (" + plugin("declared") +
                             "): no stream list stored yet. `tributary connections discover acme pg` stores one (a "
                             "connector without a discover hook stores the streams it declares, which `tributary "
                             "plugins list` also shows)\n");
  auto discover = h.cli({"connections", "discover", "acme", "pg", "--wait"});
  ASSERT_TRUE(test::exitedWith(discover.status, 0)) << discover.output << h.log();
  EXPECT_NE(discover.output.find("acme/pg (" + plugin("declared") +
                                 " 0.0.1): 3 streams declared by the connector (it has no discover hook), stored at "),
            std::string::npos)
      << discover.output;
  EXPECT_NE(discover.output.find("  whole    -       id           updated       full_refresh        Only read whole\n"),
            std::string::npos)
      << discover.output;

  auto plugins = h.cli({"plugins", "list"});
  ASSERT_TRUE(test::exitedWith(plugins.status, 0)) << plugins.output;
  EXPECT_NE(plugins.output.find("streams: ordered [modification_order], whole [full_refresh], plain\n"),
            std::string::npos)
      << plugins.output;
}

TEST_P(StreamsV11, PluginsListSaysAPluginDiscoversItsStreamsPerConnection) {
  FixtureHost h(q, plugin(), "{}");
  auto plugins = h.cli({"plugins", "list"});
  ASSERT_TRUE(test::exitedWith(plugins.status, 0)) << plugins.output;
  EXPECT_NE(plugins.output.find("streams: ordered [modification_order], whole [full_refresh], plain (each connection "
                                "discovers its own: tributary connections streams)\n"),
            std::string::npos)
      << plugins.output;
}
