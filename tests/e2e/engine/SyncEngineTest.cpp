// The sync engine end to end: `tributary serve` with one worker process, the example plugin,
// the fixture's PostgreSQL. Correctness is judged against a reference: the same data synced
// once, fully, into a fresh database.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "EngineTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;
using test::EngineHost;
using test::live;
using test::RowState;

namespace sync_engine_test {

Json result(const Job& j) { return j.result.is_object() ? j.result : Json::object(); }

int64_t count(test::QueueDatabase& q, const std::string& sql) {
  auto c = q.pool->acquire();
  return c->exec(sql).int64(0, 0);
}

TEST(SyncEngine, AnInitialSyncThenAnIncrementalOneThatFetchesOnlyTheChanges) {
  test::QueueDatabase q;
  // The example's clock is compressed (three records a second), so the overlap is a second.
  EngineHost h(q, "{records: 600, page_size: 50}", "", "{progress_interval: 100ms, overlap: 1s}");
  auto first = h.waitJob(h.enqueue(Json::object()));
  ASSERT_EQ(first.status, JobStatus::Completed) << first.toJson().dump(2) << h.log();
  EXPECT_EQ(result(first)["streams"]["deals"]["mode"], "initial");
  EXPECT_EQ(result(first)["streams"]["deals"]["counts"]["inserted"], 600);
  EXPECT_EQ(h.rows("deals").size(), 600u);
  EXPECT_EQ(h.rows("records", "events").size(), 600u);

  h.restart("{records: 600, page_size: 50, generation: 1}");
  auto second = h.waitJob(h.enqueue(Json::object()));
  ASSERT_EQ(second.status, JobStatus::Completed) << second.toJson().dump(2) << h.log();
  const Json deals = result(second)["streams"]["deals"];
  EXPECT_EQ(deals["mode"], "incremental");
  const int64_t read = deals["counts"]["records"];
  EXPECT_GT(read, 0);
  EXPECT_LT(read, 200) << "an incremental sync reads the changes, not the whole stream";
  EXPECT_LT(deals["pages"].get<int64_t>(), 12);

  auto got = h.rows("deals");
  auto want = test::referenceRows("{records: 600, page_size: 50, generation: 1}", "deals");
  EXPECT_EQ(live(got), want) << "live rows differ from a fresh full sync of the same data";
  int tombstones = 0;
  for (const auto& [id, r] : got) {
    if (!r.deleted) continue;
    ++tombstones;
    EXPECT_FALSE(want.count(id)) << id << " is deleted here but live at the source";
  }
  EXPECT_GT(tombstones, 0) << "generation 1 deletes some records";
  EXPECT_EQ(tombstones + live(got).size(), 600u);

  // The watermark comes from the source's times, never the host's clock (2023 here).
  auto c = q.pool->acquire();
  auto wm = c->exec("SELECT extract(year from watermark)::int FROM stream_state WHERE stream = 'deals'");
  EXPECT_LT(wm.int64(0, 0), 2026);
  auto conn = c->exec("SELECT status, last_sync_at IS NOT NULL, sync_cursor->>'lastSyncMode' FROM connections");
  EXPECT_EQ(conn.text(0, 0), "synced");
  EXPECT_TRUE(conn.boolean(0, 1));
  EXPECT_EQ(conn.text(0, 2), "incremental");
}

TEST(SyncEngine, AFailedFullRefreshLeavesTheEarlierRowsIntactAndASuccessfulOneSweeps) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 400, page_size: 50}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json::object())).status, JobStatus::Completed) << h.log();
  const auto before = h.rows("deals");
  ASSERT_EQ(before.size(), 400u);

  // A forced full resync over 300 records that dies on page 3 of deals: pages 1-2 commit, and
  // nothing the run did not reach may be touched.
  h.restart("{records: 300, page_size: 50, fail_at_page: 3, fail_mode: fatal, fail_stream: deals}");
  auto failed = h.waitJob(h.enqueue(Json{{"mode", "initial"}}));
  EXPECT_EQ(failed.status, JobStatus::Failed);
  EXPECT_NE(failed.lastError.value_or("").find("simulated failure at page 3 of stream 'deals'"), std::string::npos)
      << failed.lastError.value_or("");
  EXPECT_EQ(h.rows("deals"), before) << "a failed full refresh changed or deleted rows";

  h.restart("{records: 300, page_size: 50}");
  auto ok = h.waitJob(h.enqueue(Json{{"mode", "initial"}}));
  ASSERT_EQ(ok.status, JobStatus::Completed) << ok.toJson().dump(2) << h.log();
  auto after = h.rows("deals");
  int deleted = 0;
  for (const auto& [id, r] : after) {
    const int index = std::stoi(id.substr(5));
    EXPECT_EQ(r.deleted, index >= 300) << id;
    deleted += r.deleted;
  }
  EXPECT_EQ(deleted, 100);
  EXPECT_EQ(result(ok)["streams"]["deals"]["counts"]["deleted"], 100);
  EXPECT_EQ(count(q, "SELECT count(*) FROM sync_seen"), 0) << "the seen set is cleaned up";
}

TEST(SyncEngine, ResumesFromTheLastCheckpointAfterAWorkerIsKilled) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 3000, page_size: 100, latency_ms: 60}", "",
               "{progress_interval: 100ms, batch: {initial: 100, min: 100, max: 100}}");
  auto id = h.enqueue(Json{{"streams", {"deals"}}});
  auto c = q.pool->acquire();
  std::string cursor;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto r = c->exec("SELECT cursor->>'id' FROM stream_state WHERE stream = 'deals' AND cursor IS NOT NULL");
        if (r.empty()) return false;
        cursor = r.text(0, 0);
        return std::stoi(cursor.substr(5)) >= 499;  // at least five pages committed
      },
      seconds(60)))
      << h.log();
  auto pids = h.workerPids();
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids[0], SIGKILL);
  // What was committed when the worker died:
  cursor = c->exec("SELECT cursor->>'id' FROM stream_state WHERE stream = 'deals'").text(0, 0);
  const int committedPages = (std::stoi(cursor.substr(5)) + 1) / 100;
  ASSERT_LT(committedPages, 30) << "the sync finished before the kill";

  auto job = h.waitJob(id);
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.errors[0]["kind"], "worker_lost");
  auto run = c->exec("SELECT metadata, errors->>0 FROM sync_runs WHERE job_id = $1::uuid", id);
  ASSERT_EQ(run.rows(), 1) << "one run row per job";
  const Json meta = Json::parse(run.view(0, 0));
  EXPECT_TRUE(meta["streams"]["deals"]["resumed"].get<bool>());
  const int64_t pagesAfterResume = meta["streams"]["deals"]["pages"];
  EXPECT_LE(pagesAfterResume, 30 - committedPages + 1)
      << "the resumed run re-read more than one page before its last checkpoint (committed " << committedPages
      << " of 30 pages)";
  EXPECT_NE(run.text(0, 1).find("killed by signal 9 (SIGKILL) while running plugin tributary.example"),
            std::string::npos)
      << run.text(0, 1);
  EXPECT_EQ(h.rows("deals"), test::referenceRows("{records: 3000, page_size: 100}", "deals"));
}

TEST(SyncEngine, ARunWhoseJobWasTakenOverCommitsNothingMore) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 3000, page_size: 100, latency_ms: 60}", "",
               "{progress_interval: 100ms, batch: {initial: 100, min: 100, max: 100}}");
  auto id = h.enqueue(Json{{"streams", {"deals"}}});
  auto c = q.pool->acquire();
  ASSERT_TRUE(test::eventually(
      [&] { return !c->exec("SELECT 1 FROM stream_state WHERE stream = 'deals' AND cursor IS NOT NULL").empty(); },
      seconds(60)))
      << h.log();
  // As if its lease had run out and another host had claimed it: the old run is still going.
  c->exec(
      "UPDATE jobs SET worker_id = 'elsewhere:1', lease_expires_at = now() + interval '1 hour'"
      " WHERE id = $1::uuid AND status = 'running'",
      id);
  auto snapshot = [&] {
    return c
        ->exec(
            "SELECT (SELECT count(*) FROM deals)::text || ' ' || (SELECT cursor::text || status"
            " FROM stream_state WHERE stream = 'deals')")
        .text(0, 0);
  };
  const std::string atTakeover = snapshot();
  // Its next commit finds the job gone, and the run ends without a trace in the tables.
  ASSERT_TRUE(test::eventually([&] { return h.log().find("when it ended") != std::string::npos; }, seconds(30)))
      << h.log();
  EXPECT_NE(h.log().find("is no longer held by"), std::string::npos) << h.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(snapshot(), atTakeover) << "the old run wrote over the one that took its place\n" << h.log();
  auto job = q.job(id);
  EXPECT_EQ(job.status, JobStatus::Running);
  EXPECT_EQ(job.workerId, "elsewhere:1") << "the old worker finished a job it no longer held";
}

TEST(SyncEngine, RecordsSharingATimestampAcrossPageBoundariesAreNeverLost) {
  test::QueueDatabase q;
  // Ten records per timestamp, seven per page, and no overlap: every page boundary splits a
  // timestamp, and the next incremental run starts exactly at the watermark.
  EngineHost h(q, "{records: 500, page_size: 7, same_timestamp: 10}", "", "{progress_interval: 100ms, overlap: 0s}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_EQ(h.rows("deals"), test::referenceRows("{records: 500, page_size: 1000, same_timestamp: 10}", "deals"));
  h.restart("{records: 500, page_size: 7, same_timestamp: 10, generation: 1}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_EQ(live(h.rows("deals")),
            test::referenceRows("{records: 500, page_size: 1000, same_timestamp: 10, generation: 1}", "deals"));
}

TEST(SyncEngine, AnInitialSyncReadOutOfModificationOrderLowersTheWatermarkToItsFirstBatch) {
  // Listed by id over data that has seen a round of changes: later ids are not later times.
  // Had the initial sync run for hours, a record read early and changed later would keep a time
  // below the newest one read, so the next incremental must start from the first batch.
  auto watermarkAndPrefix = [](test::QueueDatabase& q) {
    auto c = q.pool->acquire();
    auto r = c->exec(
        "WITH w AS (SELECT watermark FROM stream_state WHERE stream = 'deals'),"
        " r AS (SELECT source_modified_at AS m, row_number() OVER (ORDER BY source_id) AS n FROM deals)"
        " SELECT (SELECT watermark < (SELECT max(source_modified_at) FROM deals) FROM w),"
        // the fewest whole pages (50 live records each, by id) whose newest time is the watermark
        "  (SELECT min(k * 50) FROM generate_series(1, 60) k, w WHERE (SELECT max(m) FROM r WHERE n <= k * 50)"
        "     = w.watermark)");
    return std::make_pair(r.boolean(0, 0), r.optInt64(0, 1));
  };
  {
    test::QueueDatabase q;
    EngineHost h(q, "{records: 3000, page_size: 50, generation: 1, order: id}", "",
                 "{progress_interval: 100ms, overlap: 1s}");
    ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
    EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 3000, page_size: 1000, generation: 1}", "deals"));
    auto [belowMax, prefix] = watermarkAndPrefix(q);
    EXPECT_TRUE(belowMax) << "the watermark is the newest time read, though the stream was not read in time order";
    ASSERT_TRUE(prefix) << "the watermark is no page's newest time";
    EXPECT_LE(*prefix, 1100) << "the first batch (about 1,000 records) sets the watermark";
    EXPECT_NE(h.log().find("did not read in modification order"), std::string::npos) << h.log();
    // The next incremental starts there and ends exactly where a full sync would.
    h.restart("{records: 3000, page_size: 50, generation: 2, order: id}");
    auto inc = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
    ASSERT_EQ(inc.status, JobStatus::Completed) << h.log();
    EXPECT_EQ(result(inc)["streams"]["deals"]["mode"], "incremental");
    EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 3000, page_size: 1000, generation: 2}", "deals"));
  }
  {
    // Read in time order, the same data keeps the newest time read.
    test::QueueDatabase q;
    EngineHost h(q, "{records: 3000, page_size: 50, generation: 1}", "", "{progress_interval: 100ms, overlap: 1s}");
    ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
    EXPECT_FALSE(watermarkAndPrefix(q).first);
    EXPECT_EQ(h.log().find("did not read in modification order"), std::string::npos);
  }
}

TEST(SyncEngine, PoisonRecordsAndWriteFailuresAreIsolatedWithTheirIds) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 300, page_size: 50, poison_ids: 'deal-000000007,contact-000000011'}");
  {
    auto c = q.pool->acquire();
    c->execScript("ALTER TABLE deals ADD CONSTRAINT refuse_13 CHECK (source_id <> 'deal-000000013')");
  }
  auto job = h.waitJob(h.enqueue(Json::object()));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(result(job)["failed"], 3);
  auto c = q.pool->acquire();
  auto errs =
      c->exec("SELECT stream, source_id, stage, error, raw IS NOT NULL FROM sync_record_errors ORDER BY source_id");
  ASSERT_EQ(errs.rows(), 3);
  EXPECT_EQ(errs.text(0, 1), "contact-000000011");
  EXPECT_EQ(errs.text(0, 2), "transform");
  EXPECT_EQ(errs.text(1, 1), "deal-000000007");
  EXPECT_EQ(errs.text(1, 2), "transform");
  EXPECT_EQ(errs.text(2, 1), "deal-000000013");
  EXPECT_EQ(errs.text(2, 2), "write");
  EXPECT_NE(errs.text(2, 3).find("violates check constraint \"refuse_13\""), std::string::npos) << errs.text(2, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(errs.boolean(i, 4)) << "the raw record is kept for replay";
  auto deals = h.rows("deals");
  EXPECT_EQ(deals.size(), 298u);
  EXPECT_FALSE(deals.count("deal-000000007"));
  EXPECT_FALSE(deals.count("deal-000000013"));
  EXPECT_TRUE(deals.count("deal-000000012") && deals.count("deal-000000014")) << "its neighbours landed";
  auto run = c->exec("SELECT status FROM sync_runs WHERE job_id = $1::uuid", job.id);
  EXPECT_EQ(run.text(0, 0), "completed_with_errors");
}

TEST(SyncEngine, TooManyFailedRecordsFailTheRun) {
  test::QueueDatabase q;
  std::string ids;
  for (int i = 0; i < 10; ++i) ids += (i ? "," : "") + fmt::format("deal-{:09d}", i);
  EngineHost h(q, "{records: 100, page_size: 50, poison_ids: '" + ids + "'}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  EXPECT_EQ(job.status, JobStatus::Failed);
  EXPECT_EQ(job.lastError,
            "10 of 100 records failed (10.0%), at or above the threshold of 5.0% (sync.failure_threshold)");
  EXPECT_EQ(h.rows("deals").size(), 90u) << "the good records are kept";
}

TEST(SyncEngine, ADryRunReportsChangesAndWritesNothing) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 400, page_size: 50}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json::object())).status, JobStatus::Completed) << h.log();
  h.restart("{records: 350, page_size: 50, generation: 1}");
  const auto deals = h.rows("deals");
  const auto state = [&] {
    auto c = q.pool->acquire();
    return c
        ->exec(
            "SELECT string_agg(stream || coalesce(cursor::text, '') || watermark::text || status, ',' ORDER BY stream)"
            " FROM stream_state")
        .text(0, 0);
  };
  const std::string stateBefore = state();
  const int64_t runs = count(q, "SELECT count(*) FROM sync_runs");
  const int64_t events = count(q, "SELECT count(*) FROM events");

  auto inc = h.waitJob(h.enqueue(Json{{"dry_run", true}}));
  ASSERT_EQ(inc.status, JobStatus::Completed) << inc.toJson().dump(2) << h.log();
  EXPECT_TRUE(result(inc)["dry_run"].get<bool>());
  EXPECT_GT(result(inc)["streams"]["deals"]["counts"]["updated"].get<int64_t>(), 0);
  auto full = h.waitJob(h.enqueue(Json{{"dry_run", true}, {"mode", "initial"}, {"streams", {"deals"}}}));
  ASSERT_EQ(full.status, JobStatus::Completed) << full.toJson().dump(2);
  EXPECT_GE(result(full)["streams"]["deals"]["would_delete"].get<int64_t>(), 50) << "ids 350-399 are gone";

  EXPECT_EQ(h.rows("deals"), deals) << "a dry run wrote rows";
  EXPECT_EQ(state(), stateBefore) << "a dry run moved a cursor";
  EXPECT_EQ(count(q, "SELECT count(*) FROM sync_runs"), runs);
  EXPECT_EQ(count(q, "SELECT count(*) FROM events"), events);
}

TEST(SyncEngine, UnchangedRowsAreNotRewritten) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 300, page_size: 50}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  auto versions = [&] {
    auto c = q.pool->acquire();
    return c->exec("SELECT string_agg(source_id || ':' || xmin::text, ',' ORDER BY source_id) FROM deals").text(0, 0);
  };
  const std::string before = versions();
  auto again = h.waitJob(h.enqueue(Json{{"mode", "initial"}, {"streams", {"deals"}}}));
  ASSERT_EQ(again.status, JobStatus::Completed);
  const Json counts = result(again)["streams"]["deals"]["counts"];
  EXPECT_EQ(counts["unchanged"], 300);
  EXPECT_EQ(counts["inserted"], 0);
  EXPECT_EQ(counts["updated"], 0);
  EXPECT_EQ(versions(), before) << "an unchanged row got a new row version";
}

TEST(SyncEngine, ABackfillRunsBesideAnIncrementalSyncAndNeverMovesItsCursor) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 600, page_size: 50}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json::object())).status, JobStatus::Completed) << h.log();
  h.restart("{records: 600, page_size: 20, generation: 1, latency_ms: 20}");
  auto watermark = [&] {
    auto c = q.pool->acquire();
    return c->exec("SELECT watermark::text || coalesce(cursor::text, '') FROM stream_state WHERE stream = 'deals'")
        .text(0, 0);
  };
  const std::string before = watermark();
  // A window over the second generation's changes: the same rows the incremental sync reads.
  Json window = {{"from", "2024-11-01T00:00:00Z"}, {"to", "2030-01-01T00:00:00Z"}};
  auto alone = h.waitJob(h.enqueue(Json{{"window", window}, {"streams", {"deals"}}}, "backfill"));
  ASSERT_EQ(alone.status, JobStatus::Completed) << alone.toJson().dump(2) << h.log();
  EXPECT_GT(result(alone)["streams"]["deals"]["counts"]["records"].get<int64_t>(), 0);
  EXPECT_EQ(watermark(), before) << "a backfill moved the incremental cursor";

  // Now both at once, over the same rows.
  auto bf = h.enqueue(Json{{"window", window}}, "backfill");
  auto inc = h.enqueue(Json::object());
  auto c = q.pool->acquire();
  EXPECT_TRUE(test::eventually(
      [&] {
        return c->exec("SELECT count(*) FROM jobs WHERE status = 'running' AND kind IN ('sync', 'backfill')")
                   .int64(0, 0) == 2;
      },
      seconds(30)))
      << "the two never ran side by side";
  EXPECT_EQ(h.waitJob(bf).status, JobStatus::Completed);
  EXPECT_EQ(h.waitJob(inc).status, JobStatus::Completed);
  EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 600, page_size: 50, generation: 1}", "deals"));
}

TEST(SyncEngine, BadCredentialsFailTheJobAtOnceWithThePluginsMessage) {
  test::QueueDatabase q;
  test::TempDir secrets;
  auto key = secrets.write("key", "invalid\n");
  EngineHost h(q, "{records: 10, api_key: {secret_file: \"" + key.string() + "\"}}");
  auto job = h.waitJob(h.enqueue(Json::object()));
  EXPECT_EQ(job.status, JobStatus::Failed);
  EXPECT_EQ(job.attempts, 1) << "FATAL is not retried";
  EXPECT_EQ(job.lastError, "check failed: authentication failed: api_key was rejected; set a valid api_key");
  auto c = q.pool->acquire();
  auto conn = c->exec("SELECT status, error_message FROM connections");
  EXPECT_EQ(conn.text(0, 0), "error");
  EXPECT_EQ(conn.text(0, 1), "check failed: authentication failed: api_key was rejected; set a valid api_key");
  EXPECT_EQ(count(q, "SELECT count(*) FROM deals"), 0);
  EXPECT_EQ(h.log().find("invalid"), std::string::npos) << "a secret reached the log";
}

TEST(SyncEngine, EventsAnnounceTheRunInTheOutbox) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 200, page_size: 20, latency_ms: 30}");
  auto job = h.waitJob(h.enqueue(Json::object()));
  ASSERT_EQ(job.status, JobStatus::Completed);
  auto c = q.pool->acquire();
  auto ev = c->exec("SELECT type, payload FROM events ORDER BY id");
  ASSERT_GE(ev.rows(), 3);
  EXPECT_EQ(ev.text(0, 0), "sync.started");
  EXPECT_EQ(ev.text(ev.rows() - 1, 0), "sync.completed");
  bool progress = false;
  for (int i = 1; i < ev.rows() - 1; ++i) progress |= ev.text(i, 0) == "sync.progress";
  EXPECT_TRUE(progress);
  const Json done = Json::parse(ev.view(ev.rows() - 1, 1));
  EXPECT_EQ(done["streams"]["deals"]["counts"]["inserted"], 200);
  EXPECT_EQ(done["totals"]["inserted"], 800);
}

TEST(SyncEngine, SyncFollowShowsProgressAndExitsWithTheOutcome) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 300, page_size: 30, latency_ms: 20}");
  const auto cfg = h.dir / "tributary.yaml";
  auto ok = test::runProgram({test::tributaryBinary().string(), "sync", "acme", "--follow", "--config", cfg.string()});
  EXPECT_TRUE(ok.ok()) << ok.output;
  EXPECT_NE(ok.output.find("queued acme/example: job "), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("acme/example  completed  attempt 1/3"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("  deals          initial"), std::string::npos) << ok.output;

  h.restart("{records: 300, page_size: 30, fail_at_page: 2, fail_mode: fatal}");
  auto bad = test::runProgram({test::tributaryBinary().string(), "sync", "acme", "--connection", "example", "--mode",
                               "initial", "--follow", "--config", cfg.string()});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.output.find("tributary sync: acme/example: failed: stream deals: simulated failure at page 2"),
            std::string::npos)
      << bad.output;
}

// A plugin that crashes takes down its worker process, never the host: the crash is recorded on
// its job with the signal and the plugin, and other jobs go on.
TEST(SyncEngine, ACrashingPluginIsRecordedAndOtherJobsGoOn) {
  test::QueueDatabase q;
  EngineHost h(
      q, "{records: 200, page_size: 20, crash_at_page: 3, crash_mode: segfault}",
      "  - {workspace: acme, name: healthy, connector: tributary.example, settings: {records: 200, page_size: 20}}\n");
  auto crashing = h.enqueue(Json{{"streams", {"deals"}}});
  queue::EnqueueRequest second;
  second.kind = "sync";
  second.workspaceId = h.workspaceId();
  {
    auto c = q.pool->acquire();
    second.connectionId = c->exec("SELECT id FROM connections WHERE name = 'healthy'").text(0, 0);
  }
  auto healthy = q.queue->enqueue(second).jobId;
  auto job = h.waitJob(crashing);
  EXPECT_EQ(job.status, JobStatus::Discarded) << "out of attempts: a dead letter" << job.toJson().dump(2);
  EXPECT_EQ(job.attempts, 3);
  for (const auto& e : job.errors) {
    EXPECT_NE(e["error"].get<std::string>().find(
                  "killed by signal 11 (SIGSEGV) while running plugin tributary.example 1.0.0"),
              std::string::npos)
        << e.dump();
  }
  auto other = h.waitJob(healthy);
  EXPECT_EQ(other.status, JobStatus::Completed) << h.log();
  EXPECT_EQ(other.attempts, 1) << "a job beside the crash pays no attempt for it";
  for (const auto& e : other.errors) {
    EXPECT_EQ(e["kind"], "released");
    EXPECT_NE(e["error"].get<std::string>().find("while running job " + crashing), std::string::npos) << e.dump();
  }
  EXPECT_EQ(count(q, "SELECT count(*) FROM accounts WHERE source = 'healthy'"), 200);
}

// `tributary records replay` re-reads failed records by id: those that now work are stored
// and their errors resolved; those that fail again keep one open error, counted.
TEST(SyncEngine, RecordsReplayReReadsFailedRecordsByIdAndResolvesTheirErrors) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 300, page_size: 50, poison_ids: 'deal-000000007,deal-000000008'}");
  {
    auto c = q.pool->acquire();
    c->execScript("ALTER TABLE deals ADD CONSTRAINT refuse_13 CHECK (source_id <> 'deal-000000013')");
  }
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_EQ(count(q, "SELECT count(*) FROM sync_record_errors WHERE resolved_at IS NULL"), 3);

  // The vendor fixed deal 7, the database now takes deal 13; deal 8 is still broken.
  {
    auto c = q.pool->acquire();
    c->execScript("ALTER TABLE deals DROP CONSTRAINT refuse_13");
  }
  h.restart("{records: 300, page_size: 50, poison_ids: 'deal-000000008'}");
  const auto cfg = h.dir / "tributary.yaml";
  auto replay =
      test::runProgram({test::tributaryBinary().string(), "records", "replay", "acme", "--config", cfg.string()});
  ASSERT_TRUE(replay.ok()) << replay.output;
  EXPECT_NE(replay.output.find("queued a replay of 3 record(s) of acme/example stream deals: job "), std::string::npos)
      << replay.output;
  auto jobId = replay.output.substr(replay.output.rfind("job ") + 4, 36);
  auto job = h.waitJob(jobId);
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(result(job)["streams"]["deals"]["mode"], "backfill");
  EXPECT_EQ(result(job)["streams"]["deals"]["counts"]["records"], 2) << "only the replayed ids were read";

  auto c = q.pool->acquire();
  auto open = c->exec("SELECT source_id, occurrences FROM sync_record_errors WHERE resolved_at IS NULL");
  ASSERT_EQ(open.rows(), 1);
  EXPECT_EQ(open.text(0, 0), "deal-000000008");
  EXPECT_EQ(open.int64(0, 1), 2);
  EXPECT_EQ(count(q, "SELECT count(*) FROM sync_record_errors WHERE resolved_at IS NOT NULL"), 2);
  auto deals = h.rows("deals");
  EXPECT_TRUE(deals.count("deal-000000007") && deals.count("deal-000000013"));
  EXPECT_FALSE(deals.count("deal-000000008"));

  auto list = test::runProgram(
      {test::tributaryBinary().string(), "records", "replay", "acme", "--list", "--config", cfg.string()});
  EXPECT_NE(list.output.find("acme/example stream deals: 1 open error(s)\ndeal-000000008: "), std::string::npos)
      << list.output;
}

// A record that fails during a full refresh was still seen: its row must not be taken for
// deleted when the refresh completes.
TEST(SyncEngine, AFullRefreshDoesNotDeleteTheRowsOfRecordsThatFailed) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 200, page_size: 50}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  h.restart("{records: 200, page_size: 50, poison_ids: 'deal-000000005'}");
  auto job = h.waitJob(h.enqueue(Json{{"mode", "initial"}, {"streams", {"deals"}}}));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(result(job)["failed"], 1);
  auto rows = h.rows("deals");
  ASSERT_TRUE(rows.count("deal-000000005"));
  EXPECT_FALSE(rows["deal-000000005"].deleted) << "a row whose record failed was swept as unseen";
  EXPECT_EQ(live(rows).size(), 200u);
}

}  // namespace sync_engine_test
