// What a review and a kill -9 run of the sync core found (issue 12), end to end: `tributary
// serve` with its worker processes, the example plugin, the fixture's PostgreSQL. Correctness is
// judged against a reference: the same data synced once, fully, into a fresh database.
#include <gtest/gtest.h>
#include <signal.h>

#include "EngineTestSupport.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;
using test::EngineHost;
using test::live;
using test::RowState;

namespace {

db::Result sql(test::QueueDatabase& q, const std::string& statement) {
  auto c = q.pool->acquire();
  return c->exec(statement);
}

}  // namespace

TEST(CoreCorrectness, ARecordFromTheFutureNeitherMovesTheWatermarkNorStopsLaterIncrementals) {
  // One record stamped 9999-12-31 used to leave the watermark there for good: every later
  // incremental asked for changes since 9999 and got none.
  const std::string future = "future_ids: 'deal-000000010'";
  test::QueueDatabase q;
  EngineHost h(q, "{records: 300, page_size: 50, " + future + "}", "", "{progress_interval: 100ms, overlap: 1s}");
  auto first = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  ASSERT_EQ(first.status, JobStatus::Completed) << first.toJson().dump(2) << h.log();
  auto err = sql(q, "SELECT source_id, error FROM sync_record_errors");
  ASSERT_EQ(err.rows(), 1);
  EXPECT_EQ(err.text(0, 0), "deal-000000010");
  EXPECT_NE(err.text(0, 1).find("ahead of the database's clock"), std::string::npos) << err.text(0, 1);
  EXPECT_TRUE(sql(q, "SELECT watermark < now() FROM stream_state WHERE stream = 'deals'").boolean(0, 0));

  h.restart("{records: 300, page_size: 50, generation: 1, " + future + "}");
  auto inc = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  ASSERT_EQ(inc.status, JobStatus::Completed) << inc.toJson().dump(2) << h.log();
  EXPECT_EQ(inc.result["streams"]["deals"]["mode"], "incremental");
  EXPECT_GT(inc.result["streams"]["deals"]["counts"]["updated"].get<int64_t>(), 0) << "the incremental read nothing";
  EXPECT_EQ(live(h.rows("deals")),
            live(test::referenceRows("{records: 300, page_size: 1000, generation: 1, " + future + "}", "deals")));
}

TEST(CoreCorrectness, AnIncrementalSyncListedByIdStartsTheNextFromItsFirstBatch) {
  // A source that filters by modified-since but pages by id: a record read early in a long
  // incremental and changed before the run ends keeps a time below the newest one read. The
  // next incremental therefore starts from the run's first batch, as after an initial sync.
  test::QueueDatabase q;
  EngineHost h(q, "{records: 3000, page_size: 50, generation: 1, order: id}", "",
               "{progress_interval: 100ms, overlap: 1s, batch: {initial: 100, min: 100, max: 100}}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  h.restart("{records: 3000, page_size: 50, generation: 2, order: id}");
  auto inc = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}));
  ASSERT_EQ(inc.status, JobStatus::Completed) << h.log();
  EXPECT_EQ(inc.result["streams"]["deals"]["mode"], "incremental");
  EXPECT_NE(h.log().find("the incremental sync did not read in modification order"), std::string::npos) << h.log();
  EXPECT_TRUE(sql(q,
                  "SELECT (SELECT watermark FROM stream_state WHERE stream = 'deals') <"
                  " (SELECT max(source_modified_at) FROM deals)")
                  .boolean(0, 0))
      << "the watermark is the newest time read, though the incremental was not read in time order";
  h.restart("{records: 3000, page_size: 50, generation: 3, order: id}");
  ASSERT_EQ(h.waitJob(h.enqueue(Json{{"streams", {"deals"}}})).status, JobStatus::Completed) << h.log();
  EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 3000, page_size: 1000, generation: 3}", "deals"));
}

TEST(CoreCorrectness, AScheduledFirstSyncThatRanOutOfAttemptsResumesInsteadOfStartingOver) {
  // Every call fails at its fifth page, after four committed ones: no single job can finish
  // the 20 pages within its attempts. Scheduled jobs used to ask for `initial`, which restarted
  // the stream from zero each time, so it never finished and each restart spent vendor quota.
  test::QueueDatabase q;
  EngineHost h(q, "{records: 1000, page_size: 50, fail_at_page: 5, fail_stream: deals}",
               "    schedule: \"*/2 * * * * *\"\n",
               "{progress_interval: 100ms, batch: {initial: 50, min: 50, max: 50}}");
  ASSERT_TRUE(test::eventually(
      [&] {
        return sql(q, "SELECT count(*) FROM stream_state WHERE initialized_at IS NOT NULL").int64(0, 0) == 4 &&
               sql(q, "SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')").int64(0, 0) == 0;
      },
      seconds(120)))
      << sql(q, "SELECT string_agg(status || ' ' || attempts, ', ') FROM jobs").text(0, 0) << h.log();
  auto jobs = sql(q, "SELECT count(*), count(*) FILTER (WHERE status = 'discarded') FROM jobs");
  EXPECT_GE(jobs.int64(0, 1), 1) << "a job ran out of attempts on the way, as the test means";
  EXPECT_EQ(sql(q, "SELECT DISTINCT payload->>'mode' FROM jobs").text(0, 0), "auto");
  // Every committed page was read once: no stream started over. (Four streams of 1,000 records;
  // the other three fail nowhere and are read once, after deals completes.)
  const int64_t read =
      sql(q, "SELECT sum((a->>'records')::bigint) FROM sync_runs r, jsonb_array_elements(r.attempts) a").int64(0, 0);
  EXPECT_LE(read, 4 * 1000 + 50) << "a stream was read again from the start";
  EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 1000, page_size: 50}", "deals"));
}

TEST(CoreCorrectness, ARunsCountsCoverEveryAttemptOfItsJob) {
  test::QueueDatabase q;
  EngineHost h(q, "{records: 3000, page_size: 100, latency_ms: 60}", "",
               "{progress_interval: 100ms, batch: {initial: 100, min: 100, max: 100}}");
  auto id = h.enqueue(Json{{"streams", {"deals"}}});
  ASSERT_TRUE(test::eventually(
      [&] {
        auto r = sql(q, "SELECT cursor->>'id' FROM stream_state WHERE stream = 'deals' AND cursor IS NOT NULL");
        return !r.empty() && std::stoi(r.text(0, 0).substr(5)) >= 499;
      },
      seconds(60)))
      << h.log();
  auto pids = h.workerPids();
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids[0], SIGKILL);
  auto job = h.waitJob(id);
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  ASSERT_EQ(job.attempts, 2);
  auto run = sql(q, "SELECT records_synced, attempts FROM sync_runs");
  ASSERT_EQ(run.rows(), 1);
  EXPECT_EQ(run.int64(0, 0), 3000) << "the run counted only its last attempt";
  const Json attempts = Json::parse(run.text(0, 1));
  ASSERT_EQ(attempts.size(), 2u) << attempts.dump(2);
  EXPECT_EQ(attempts[0]["status"], "lost");
  EXPECT_NE(attempts[0]["error"].get<std::string>().find("killed by signal 9"), std::string::npos);
  EXPECT_GE(attempts[0]["inserted"].get<int64_t>(), 500);
  EXPECT_EQ(attempts[0]["inserted"].get<int64_t>() + attempts[1]["inserted"].get<int64_t>(), 3000);
  EXPECT_EQ(attempts[1]["status"], "completed");
  EXPECT_EQ(job.result["inserted"], 3000) << "the job's result covers every attempt";
  EXPECT_EQ(job.result["attempts"], 2);
}

TEST(CoreCorrectness, ARateLimitWaitIsNotAFailure) {
  // Every call hits the vendor's rate limit at its third page and is told to come back in a
  // second: the job waits (using no attempt), resumes, and finishes; nothing says it failed.
  test::QueueDatabase q;
  EngineHost h(q, "{records: 500, page_size: 50, fail_at_page: 3, fail_mode: wait, fail_stream: deals}", "",
               "{progress_interval: 100ms, batch: {initial: 50, min: 50, max: 50}}");
  auto job = h.waitJob(h.enqueue(Json{{"streams", {"deals"}}}), seconds(120));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << h.log();
  EXPECT_EQ(job.attempts, 1) << "waits used attempts";
  EXPECT_EQ(sql(q, "SELECT count(*) FROM events WHERE type = 'sync.failed'").int64(0, 0), 0);
  EXPECT_GE(sql(q, "SELECT count(*) FROM events WHERE type = 'sync.waiting'").int64(0, 0), 1);
  auto run = sql(q, "SELECT status, errors::text, attempts FROM sync_runs");
  EXPECT_EQ(run.text(0, 0), "completed");
  EXPECT_EQ(run.text(0, 1), "[]") << "a wait is recorded as no error";
  const Json attempts = Json::parse(run.text(0, 2));
  ASSERT_GE(attempts.size(), 2u);
  EXPECT_EQ(attempts[0]["status"], "waiting");
  EXPECT_EQ(attempts.back()["status"], "completed");
  EXPECT_EQ(live(h.rows("deals")), test::referenceRows("{records: 500, page_size: 50}", "deals"));
}
