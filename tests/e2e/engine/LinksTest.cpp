// Links (ABI 1.1, emit_link) end to end: `tributary serve` with its worker process, a links
// fixture plugin (every case runs against the one in plain C and the one on sdk.hpp, see
// tests/plugins/fixtures/fixture_v11_links.c for their scripts), the fixture's PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "QueueTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;

namespace {

// `tributary serve` on a test database with one connection, "crm", of a links fixture.
class LinksHost {
 public:
  // `syncYaml`: the sync section; by default every checkpoint commits its batch, so each case's
  // batches are its script's.
  LinksHost(test::QueueDatabase& q, std::string connector, std::string settings,
            std::string syncYaml = "{progress_interval: 100ms, batch: {initial: 1, min: 1, max: 1}}")
      : q_(q), connector_(std::move(connector)), settings_(std::move(settings)), sync_(std::move(syncYaml)) {
    start();
  }
  ~LinksHost() { stop(); }

  void restart(std::string settings) {
    stop();
    settings_ = std::move(settings);
    start();
  }
  void stop() {
    if (serve_) serve_->stop();
  }
  std::string log() const { return serve_ ? serve_->log() : ""; }

  std::string enqueue(const Json& payload) {
    EnqueueRequest r;
    r.kind = "sync";
    r.workspaceId = sql("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
    r.connectionId = sql("SELECT id FROM connections WHERE name = 'crm'").text(0, 0);
    r.priority = kPriorityManual;
    r.payload = payload;
    r.maxAttempts = 6;  // the kill test spends some
    return q_.queue->enqueue(r).jobId;
  }
  Job waitJob(const std::string& id, seconds timeout = seconds(120)) {
    Job j;
    auto ended = [](JobStatus s) {
      return s == JobStatus::Completed || s == JobStatus::Failed || s == JobStatus::Discarded ||
             s == JobStatus::Cancelled;
    };
    if (!test::eventually([&] { return ended((j = q_.job(id)).status); }, timeout)) {
      ADD_FAILURE() << "job " << id << " did not end: " << j.toJson().dump(2) << "\n" << log();
    }
    return j;
  }
  // The worker processes running a job now (ids are hostname:pid:bootid).
  std::vector<int> workerPids() {
    std::vector<int> out;
    auto r = sql("SELECT DISTINCT worker_id FROM jobs WHERE status = 'running'");
    for (int i = 0; i < r.rows(); ++i) {
      auto parts = strings::split(r.text(i, 0), ':');
      if (parts.size() >= 2) out.push_back(std::stoi(parts[1]));
    }
    return out;
  }

  db::Result sql(const std::string& statement) {
    auto c = q_.pool->acquire();
    return c->exec(statement);
  }

  test::TempDir dir;

 private:
  void start() {
    const auto plugins = test::buildDir() / "tests" / "fixture-plugins-links";
    auto cfg =
        dir.write("tributary.yaml",
                  "database:\n  url: \"" + q_.db.conninfo() + "\"\n" + "plugins: {dirs: [\"" + plugins.string() +
                      "\"]}\n"
                      "workers: {processes: 1, concurrency: 4}\n"
                      "queue: {poll_interval: 500ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: "
                      "300ms, timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                      "sync: " +
                      sync_ +
                      "\n"
                      "workspaces: [{slug: acme}]\n"
                      "connections:\n  - workspace: acme\n    name: crm\n    connector: " +
                      connector_ + "\n    settings: " + settings_ + "\n");
    const auto ready = dir / ("ready" + std::to_string(generation_++) + ".json");
    serve_ = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                                 "--ready-file", ready.string()},
        dir / "serve.log");
    if (!serve_->waitForReadyFile(ready)) throw std::runtime_error("serve did not start:\n" + serve_->log());
  }

  test::QueueDatabase& q_;
  std::string connector_, settings_, sync_;
  std::unique_ptr<test::ServerProcess> serve_;
  int generation_ = 0;
};

// Runs every case against the fixture in plain C and the one on sdk.hpp.
struct LinksThroughTheEngine : ::testing::TestWithParam<std::string> {
  test::QueueDatabase q;
  std::string connector() const { return "tributary.fixture_v11_links_" + GetParam(); }

  // "type:from>to" per link, " (removed)" after removed ones, in key order.
  std::vector<std::string> links() {
    auto c = q.pool->acquire();
    auto r = c->exec(
        "SELECT type || ':' || from_id || '>' || to_id || CASE WHEN deleted_at IS NULL THEN '' ELSE ' (removed)' END"
        " FROM record_links ORDER BY type, from_id, to_id");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }
  // source_id -> account_id ("(null)" for NULL) of a canonical table.
  std::map<std::string, std::string> accounts(const std::string& table) {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT source_id, coalesce(account_id, '(null)') FROM " + table);
    std::map<std::string, std::string> out;
    for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = r.text(i, 1);
    return out;
  }
  db::Result sql(const std::string& statement) {
    auto c = q.pool->acquire();
    return c->exec(statement);
  }
};

using Strings = std::vector<std::string>;
using Accounts = std::map<std::string, std::string>;

}  // namespace

TEST_P(LinksThroughTheEngine, LinksLandWithTheirBatchAndAFailureBeforeTheNextCheckpointLeavesNeither) {
  LinksHost h(q, connector(),
              "{deals: 'r:d1:one,l:deal_account:d1:a1,l:deal_contact:d1:c1,c,"
              "r:d2:two,l:deal_account:d2:a2,l:deal_contact:d1:c2,f'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed) << job.toJson().dump(2);
  EXPECT_EQ(job.lastError.value_or(""), "stream deals: scripted failure at op 7 of stream 'deals'");
  EXPECT_EQ(links(), (Strings{"deal_account:d1>a1", "deal_contact:d1>c1"}));
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}}));
}

TEST_P(LinksThroughTheEngine, ACrashBeforeTheCommitLeavesNeitherTheBatchsRecordsNorItsLinks) {
  test::TempDir files;
  const auto pause = files / "paused";
  LinksHost h(q, connector(),
              "{pause_file: '" + pause.string() +
                  "', deals: 'r:d1:one,l:deal_account:d1:a1,l:deal_contact:d1:c1,c,"
                  "r:d2:two,l:deal_account:d2:a2,l:contact_account:p1:a3,p,c,r:d3:three,c'}");
  auto id = h.enqueue(Json{{"streams", {"deals"}}});
  // The first batch committed, the second emitted and waiting for its checkpoint.
  ASSERT_TRUE(test::eventually(
      [&] {
        return std::filesystem::exists(pause) &&
               !sql("SELECT 1 FROM stream_state WHERE stream = 'deals' AND cursor->>'op' = '4'").empty();
      },
      seconds(60)))
      << h.log();
  auto pids = h.workerPids();
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids[0], SIGKILL);
  EXPECT_EQ(links(), (Strings{"deal_account:d1>a1", "deal_contact:d1>c1"}));
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}}));
  // The job is rescued and resumes at its last checkpoint: each link once.
  auto job = h.waitJob(id);
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(links(),
            (Strings{"contact_account:p1>a3", "deal_account:d1>a1", "deal_account:d2>a2", "deal_contact:d1>c1"}));
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}, {"d2", "a2"}, {"d3", "(null)"}}));
}

TEST_P(LinksThroughTheEngine, ALaterUpsertOfADealKeepsTheAccountItsLinkWrote) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one:from-the-record,l:deal_account:d1:a1,c,r:d2:two,c'}");
  auto first = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  ASSERT_EQ(first.status, JobStatus::Completed) << first.toJson().dump(2) << h.log();
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}, {"d2", "(null)"}}));
  const Json& deals = first.result["streams"]["deals"];
  EXPECT_EQ(deals["counts"]["links"], 1);
  EXPECT_EQ(deals["counts"]["links_deleted"], 0);
  EXPECT_EQ(deals["owned_values_ignored"], 1) << deals.dump(2);
  EXPECT_NE(h.log().find("stream deals: 1 records gave a value for deals.account_id (link type deal_account), which "
                         "links write alone; the values were ignored"),
            std::string::npos)
      << h.log();

  // The deal changes at the source: the row is rewritten, its account stays the link's.
  h.restart("{deals: 'r:d1:renamed:other,c'}");
  auto second = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  ASSERT_EQ(second.status, JobStatus::Completed) << second.toJson().dump(2) << h.log();
  EXPECT_EQ(second.result["streams"]["deals"]["counts"]["updated"], 1);
  EXPECT_EQ(sql("SELECT name FROM deals WHERE source_id = 'd1'").text(0, 0), "renamed");
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}, {"d2", "(null)"}}));
}

TEST_P(LinksThroughTheEngine, AnAssociationPassWritesTheColumnAndARemovedLinkClearsIt) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one,r:d2:two,c', contacts: 'r:p1:pat,c'}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals", "contacts"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "(null)"}, {"d2", "(null)"}}));

  // The deal_links stream emits links only, of deals and of contacts.
  h.restart("{deal_links: 'l:deal_account:d1:a1,l:deal_account:d2:a2,l:contact_account:p1:a1,c'}");
  auto pass = h.waitJob(h.enqueue(Json{{"streams", {"deal_links"}}}));
  ASSERT_EQ(pass.status, JobStatus::Completed) << pass.toJson().dump(2) << h.log();
  EXPECT_EQ(pass.result["streams"]["deal_links"]["counts"]["links"], 3);
  EXPECT_EQ(pass.result["streams"]["deal_links"]["counts"]["records"], 0);
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a1"}, {"d2", "a2"}}));
  EXPECT_EQ(accounts("contacts"), (Accounts{{"p1", "a1"}}));

  // d1 moves to a3; d2's link is removed; removing one the column does not hold changes nothing.
  h.restart(
      "{deal_links: 'l:deal_account:d1:a3,x:deal_account:d1:a1,x:deal_account:d2:a2,"
      "x:contact_account:p1:a9,c'}");
  auto next = h.waitJob(h.enqueue(Json{{"streams", {"deal_links"}}}));
  ASSERT_EQ(next.status, JobStatus::Completed) << next.toJson().dump(2) << h.log();
  EXPECT_EQ(next.result["streams"]["deal_links"]["counts"]["links_deleted"], 3);
  EXPECT_EQ(accounts("deals"), (Accounts{{"d1", "a3"}, {"d2", "(null)"}}));
  EXPECT_EQ(accounts("contacts"), (Accounts{{"p1", "a1"}}));
  EXPECT_EQ(links(), (Strings{"contact_account:p1>a1", "contact_account:p1>a9 (removed)",
                              "deal_account:d1>a1 (removed)", "deal_account:d1>a3", "deal_account:d2>a2 (removed)"}));
  EXPECT_EQ(sql("SELECT count(DISTINCT last_run_id) FROM record_links").int64(0, 0), 2)
      << "last_run_id names the run that last changed each link";
}

TEST_P(LinksThroughTheEngine, ALinkBeforeItsRowFillsTheRowWhenItArrives) {
  LinksHost h(q, connector(), "{deal_links: 'l:deal_account:d9:a9,l:contact_account:p9:a8,c'}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deal_links"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_TRUE(accounts("deals").empty());
  EXPECT_EQ(links(), (Strings{"contact_account:p9>a8", "deal_account:d9>a9"}));
  h.restart("{deals: 'r:d9:nine,r:d10:ten,c', contacts: 'r:p9:pat:from-the-record,c'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals", "contacts"}}}));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(accounts("deals"), (Accounts{{"d10", "(null)"}, {"d9", "a9"}}));
  EXPECT_EQ(accounts("contacts"), (Accounts{{"p9", "a8"}}));
}

TEST_P(LinksThroughTheEngine, ALinkOfAnUndeclaredTypeFailsTheRunNamingTheDeclaredOnes) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one,l:deal_owner:d1:u1,c'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed) << job.toJson().dump(2);
  EXPECT_EQ(job.lastError.value_or(""),
            "stream deals: emit_link: unknown link type 'deal_owner' (declared: deal_account, contact_account, "
            "deal_contact)");
  EXPECT_TRUE(links().empty());
  EXPECT_TRUE(accounts("deals").empty()) << "the batch of the bad link was stored";
}

TEST_P(LinksThroughTheEngine, ALinkForAnotherStreamFailsTheRunNamingBoth) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one,s:contacts:contact_account:p1:a1,c'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed) << job.toJson().dump(2);
  EXPECT_EQ(job.lastError.value_or(""),
            "stream deals: emit_link: the plugin emitted a link for stream 'contacts' during a call for stream "
            "'deals'");
  EXPECT_TRUE(links().empty());
}

TEST_P(LinksThroughTheEngine, ALinkWithAnEmptyIdFailsTheRunNamingTheField) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one,l:deal_account::a1,c'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed) << job.toJson().dump(2);
  EXPECT_EQ(job.lastError.value_or(""),
            "stream deals: emit_link: link 'deal_account' from '' to 'a1' has an empty from_id");
  h.restart("{deals: 'r:d1:one,l:deal_contact:d1:,c'}");
  job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed) << job.toJson().dump(2);
  EXPECT_EQ(job.lastError.value_or(""),
            "stream deals: emit_link: link 'deal_contact' from 'd1' to '' has an empty to_id");
  EXPECT_TRUE(links().empty());
}

TEST_P(LinksThroughTheEngine, ADryRunCountsLinksAndWritesNone) {
  LinksHost h(q, connector(), "{deals: 'r:d1:one,l:deal_account:d1:a1,c,x:deal_contact:d1:c1,l:deal_contact:d1:c2,c'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}, {"dry_run", true}}));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(job.result["streams"]["deals"]["counts"]["links"], 3) << job.result.dump(2);
  EXPECT_EQ(job.result["streams"]["deals"]["counts"]["links_deleted"], 1);
  EXPECT_TRUE(links().empty());
  EXPECT_TRUE(accounts("deals").empty());
}

// kill -9 during a run that emits links and commits a carried-over position, again and again:
// each committed batch holds its links exactly once, and an interrupted batch is read again
// whole, so the links and the owned columns end as one clean run leaves them; the position
// (set_stream_state before each checkpoint) commits with its batch, so every resumed attempt gets
// the one that goes with its cursor (the fixture fails the run otherwise), and the next run the
// whole stream's.
TEST_P(LinksThroughTheEngine, KillNineDuringARunThatEmitsLinksLosesAndDoublesNothing) {
  constexpr int kDeals = 3000;
  const std::string settings = "{bulk_deals: " + std::to_string(kDeals) + ", page_size: 100, latency_ms: 100";
  LinksHost h(q, connector(), settings + "}");
  auto expected = [&](int generation) {
    std::set<std::string> linkSet;
    Accounts owned;
    for (int i = 0; i < kDeals; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "d-%09d", i);
      const std::string old = "a-" + std::to_string(i % 50);
      if (generation >= 1 && i % 10 == 0) {
        const std::string moved = "a-" + std::to_string((i + 1) % 50);
        linkSet.insert("deal_account:" + std::string(id) + ">" + old + " (removed)");
        linkSet.insert("deal_account:" + std::string(id) + ">" + moved);
        owned[id] = moved;
      } else {
        linkSet.insert("deal_account:" + std::string(id) + ">" + old);
        owned[id] = old;
      }
      linkSet.insert("deal_contact:" + std::string(id) + ">c-" + std::to_string(2 * i));
      linkSet.insert("deal_contact:" + std::string(id) + ">c-" + std::to_string(2 * i + 1));
    }
    return std::pair(linkSet, owned);
  };
  auto committed = [&] {
    auto r = sql("SELECT (cursor->>'next')::int FROM stream_state WHERE stream = 'deals' AND cursor IS NOT NULL");
    return r.empty() ? 0 : static_cast<int>(r.int64(0, 0));
  };
  for (int generation = 0; generation <= 1; ++generation) {
    if (generation > 0) h.restart(settings + ", generation: " + std::to_string(generation) + "}");
    auto id = h.enqueue(Json{{"streams", {"deals"}}});
    int killedAt = 0;
    for (int kill = 0; kill < 2; ++kill) {
      // At least five more pages committed since the last kill, and the run not done.
      ASSERT_TRUE(
          test::eventually([&] { return committed() >= killedAt + 500 && h.workerPids().size() == 1; }, seconds(90)))
          << "generation " << generation << ", kill " << kill << ": " << q.job(id).toJson().dump(2) << h.log();
      killedAt = committed();
      ASSERT_LT(killedAt, kDeals) << "the run finished before the kill";
      ::kill(h.workerPids().at(0), SIGKILL);
    }
    auto job = h.waitJob(id, seconds(180));
    ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
    EXPECT_EQ(job.attempts, 3) << "generation " << generation;
    const auto [linkSet, owned] = expected(generation);
    const Strings stored = links();
    EXPECT_EQ(std::set<std::string>(stored.begin(), stored.end()), linkSet) << "generation " << generation;
    EXPECT_EQ(stored.size(), linkSet.size()) << "a link is stored twice";
    EXPECT_EQ(accounts("deals"), owned) << "generation " << generation;
    EXPECT_EQ(sql("SELECT count(*) FROM deals").int64(0, 0), kDeals);
    EXPECT_EQ(sql("SELECT carried_state::text FROM stream_state WHERE stream = 'deals'").text(0, 0),
              "{\"position\": " + std::to_string(kDeals) + "}");
  }
}

// Not a benchmark (no timing is asserted), but the figures docs/connector-abi.md quotes: 100,000
// deals alone, then with their 300,000 links, new and then unchanged, through the real engine.
// Only with TRIBUTARY_LARGE_TESTS=1.
TEST_P(LinksThroughTheEngine, AHundredThousandDealsWithThreeHundredThousandLinksGoThroughCopy) {
  if (!std::getenv("TRIBUTARY_LARGE_TESTS")) GTEST_SKIP() << "set TRIBUTARY_LARGE_TESTS=1 to run it";
  constexpr int64_t kDeals = 100000;
  auto timed = [&](test::QueueDatabase& db, const std::string& settings, int runs) {
    LinksHost h(db, connector(), settings, "{progress_interval: 1s}");
    std::vector<int64_t> ms;
    for (int i = 0; i < runs; ++i) {
      auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}), seconds(900));
      EXPECT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
      ms.push_back(job.result.value("duration_ms", int64_t{0}));
    }
    return ms;
  };
  test::QueueDatabase alone(test::QueueDatabase::fastQueueConfig(), "alone");
  const auto dealsAlone = timed(alone, "{bulk_deals: 100000, page_size: 1000, bulk_links: 0}", 1);
  const auto withLinks = timed(q, "{bulk_deals: 100000, page_size: 1000}", 2);
  EXPECT_EQ(sql("SELECT count(*) FROM record_links").int64(0, 0), 3 * kDeals);
  EXPECT_EQ(sql("SELECT count(*) FROM deals WHERE account_id IS NOT NULL").int64(0, 0), kDeals);
  std::cout << "links: " << kDeals << " deals alone in " << dealsAlone[0] << " ms; with " << 3 * kDeals << " links in "
            << withLinks[0] << " ms (new), " << withLinks[1] << " ms (unchanged)" << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LinksThroughTheEngine, ::testing::Values("c", "cpp"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });
