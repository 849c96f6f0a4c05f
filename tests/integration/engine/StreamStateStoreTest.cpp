#include "engine/StreamStateStore.h"

#include <gtest/gtest.h>

#include "EngineRoom.h"
#include "scheduler/SyncMode.h"

using namespace tributary;
using namespace tributary::engine;
using sync::Mode;

namespace {

const plugins::StreamDescriptor kDeals{"deals", "id", "updated_at", "deals", ""};

struct StreamStateStoreTest : test::EngineRoom {
  std::unique_ptr<StreamStateStore> store;
  std::unique_ptr<RunFence> f;
  db::PooledConnection c;
  const std::string runId = "00000000-0000-4000-8000-000000000001";

  void SetUp() override {
    EngineRoom::SetUp();
    store = std::make_unique<StreamStateStore>(conn, job.id);
    f = fence();
    c = q.pool->acquire();
  }
  StreamPlan plan(Mode mode, bool trackSeen = false) {
    StreamPlan p;
    p.stream = &kDeals;
    p.mode = mode;
    p.trackSeen = trackSeen;
    return p;
  }
  // One batch's commit, as the writer makes it.
  void commitBatch(Mode mode, const std::string& cursor, std::optional<int64_t> firstMs, std::optional<int64_t> maxMs,
                   bool outOfOrder = false, int64_t seen = 0) {
    CommitInfo i;
    i.cursor = cursor;
    i.firstModifiedMs = firstMs;
    i.maxModifiedMs = maxMs;
    i.outOfOrder = outOfOrder;
    i.seenAdded = seen;
    db::Transaction tx(*c);
    StreamCheckpointer(*store, *f, mode, "deals", nullptr).beforeCommit(*c, i);
    tx.commit();
  }
  StreamTarget target() { return StreamTarget{ws, "example", conn, "deals", findEntity("deals")}; }
};

}  // namespace

TEST_F(StreamStateStoreTest, AStreamNeverStartedHasNoState) {
  auto s = store->load(*c, "deals");
  EXPECT_FALSE(s.exists);
  EXPECT_FALSE(s.initialized);
  EXPECT_FALSE(s.cursor);
  EXPECT_FALSE(store->loadBackfill(*c, "deals"));
}

TEST_F(StreamStateStoreTest, AnInitialSyncsBatchesMoveItsCursorAndWatermarkAndItsEndInitializesTheStream) {
  store->startFresh(*c, *f, plan(Mode::Initial), runId);
  auto s = store->load(*c, "deals");
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.cursorMode, Mode::Initial);
  EXPECT_EQ(s.cursorJobId, job.id);
  EXPECT_EQ(s.initialRunId, runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 5000);
  commitBatch(Mode::Initial, R"({"page": 2})", 6000, 9000);
  commitBatch(Mode::Initial, "", 9000, 9500);  // a final batch with no checkpoint keeps the cursor
  s = store->load(*c, "deals");
  EXPECT_EQ(s.cursor, R"({"page": 2})");
  EXPECT_EQ(s.watermarkMs, 9500);
  EXPECT_FALSE(s.initialized);
  auto done = store->complete(*c, *f, plan(Mode::Initial), target(), 0, "acme/example");
  EXPECT_FALSE(done.loweredTo) << "read in modification order";
  s = store->load(*c, "deals");
  EXPECT_TRUE(s.initialized);
  EXPECT_FALSE(s.cursor);
  EXPECT_FALSE(s.cursorMode);
  EXPECT_EQ(s.watermarkMs, 9500);
  EXPECT_EQ(sql("SELECT status FROM stream_state").text(0, 0), "completed");
}

TEST_F(StreamStateStoreTest, AnInitialSyncReadOutOfOrderLowersTheWatermarkToItsFirstBatchAtTheEnd) {
  store->startFresh(*c, *f, plan(Mode::Initial), runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 5000);
  commitBatch(Mode::Initial, R"({"page": 2})", 3000, 9000);  // starts older than what came before
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 9000);
  auto done = store->complete(*c, *f, plan(Mode::Initial), target(), 0, "acme/example");
  ASSERT_TRUE(done.loweredTo);
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 5000) << "the first batch's newest time";
}

TEST_F(StreamStateStoreTest, TheWatermarkNeverMovesBack) {
  store->startFresh(*c, *f, plan(Mode::Incremental), runId);
  commitBatch(Mode::Incremental, R"({"p": 1})", 7000, 7000);
  commitBatch(Mode::Incremental, R"({"p": 2})", 2000, 2000);
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 7000);
}

TEST_F(StreamStateStoreTest, AResumedRunKeepsItsCursorAndAFreshStartDropsTheOldSeenSet) {
  store->startFresh(*c, *f, plan(Mode::Initial, true), runId);
  sql("INSERT INTO sync_seen (run_id, stream, source_id) VALUES ($1::uuid, 'deals', 'd1')", runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 1000, false, 1);
  StreamPlan resumed = plan(Mode::Initial, true);
  resumed.resume = true;
  store->startResumed(*c, *f, resumed, runId);
  auto s = store->load(*c, "deals");
  EXPECT_EQ(s.cursor, R"({"page": 1})");
  EXPECT_TRUE(s.initialTracksSeen);
  EXPECT_EQ(sql("SELECT count(*) FROM sync_seen").int64(0, 0), 1);
  store->startFresh(*c, *f, plan(Mode::Initial), "00000000-0000-4000-8000-000000000002");
  s = store->load(*c, "deals");
  EXPECT_FALSE(s.cursor);
  EXPECT_FALSE(s.initialTracksSeen);
  EXPECT_EQ(sql("SELECT count(*) FROM sync_seen").int64(0, 0), 0) << "the abandoned refresh's seen set is gone";
}

TEST_F(StreamStateStoreTest, AFullRefreshMarksTheRowsItDidNotSeeDeletedOnlyWhenItsSeenSetIsWhole) {
  sql("INSERT INTO deals (workspace_id, source, source_id, connection_id, stream, raw, raw_hash, updated_at)"
      " SELECT $1::uuid, 'example', 'd' || i, $2::uuid, 'deals', '{}', 0, now() - interval '1 hour'"
      " FROM generate_series(1, 3) i",
      ws, conn);
  store->startFresh(*c, *f, plan(Mode::Initial, true), runId);
  sql("INSERT INTO sync_seen (run_id, stream, source_id) VALUES ($1::uuid, 'deals', 'd1'), ($1::uuid, 'deals', 'd2')",
      runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 1000, false, 3);  // says 3 were seen: the set is not whole
  auto partial = store->complete(*c, *f, plan(Mode::Initial, true), target(), 0, "acme/example");
  EXPECT_EQ(partial.swept, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM deals WHERE deleted_at IS NOT NULL").int64(0, 0), 0);

  store->startFresh(*c, *f, plan(Mode::Initial, true), runId);
  sql("INSERT INTO sync_seen (run_id, stream, source_id) VALUES ($1::uuid, 'deals', 'd1'), ($1::uuid, 'deals', 'd2')",
      runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 1000, false, 2);
  auto whole = store->complete(*c, *f, plan(Mode::Initial, true), target(), 0, "acme/example");
  EXPECT_EQ(whole.swept, 1);
  EXPECT_EQ(sql("SELECT source_id FROM deals WHERE deleted_at IS NOT NULL").text(0, 0), "d3");
  EXPECT_EQ(sql("SELECT count(*) FROM sync_seen").int64(0, 0), 0);
}

TEST_F(StreamStateStoreTest, ABackfillKeepsItsOwnCursorAndNeverTouchesTheStreams) {
  store->startBackfill(*c, "deals");
  auto b = store->loadBackfill(*c, "deals");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->cursor);
  commitBatch(Mode::Backfill, R"({"page": 4})", 1000, 99'000);
  b = store->loadBackfill(*c, "deals");
  EXPECT_EQ(b->cursor, R"({"page": 4})");
  EXPECT_FALSE(b->done);
  EXPECT_FALSE(store->load(*c, "deals").exists);
  store->complete(*c, *f, plan(Mode::Backfill), target(), 0, "acme/example");
  EXPECT_TRUE(store->loadBackfill(*c, "deals")->done);
}

TEST_F(StreamStateStoreTest, AFailedStreamSaysWhyAndAStaleRunCommitsNoState) {
  store->startFresh(*c, *f, plan(Mode::Initial), runId);
  store->markEnded(*c, *f, "deals", "failed", "stream deals: boom");
  auto r = sql("SELECT status, last_error FROM stream_state");
  EXPECT_EQ(r.text(0, 0), "failed");
  EXPECT_EQ(r.text(0, 1), "stream deals: boom");
  loseTheJob();
  EXPECT_THROW(commitBatch(Mode::Initial, R"({"page": 9})", 1000, 1000), queue::ClaimLost);
  EXPECT_THROW(store->complete(*c, *f, plan(Mode::Initial), target(), 0, "acme/example"), queue::ClaimLost);
  auto s = store->load(*c, "deals");
  EXPECT_FALSE(s.cursor) << "the stale batch's cursor was not committed";
  EXPECT_FALSE(s.initialized);
  EXPECT_TRUE(f->lost());
}

TEST_F(StreamStateStoreTest, TheWatermarkNeverPassesTheDatabasesClockPlusTheSkew) {
  store->startFresh(*c, *f, plan(Mode::Initial), runId);
  commitBatch(Mode::Initial, R"({"page": 1})", 1000, 253402214400000);  // 9999-12-31, past the writer's check
  auto s = store->load(*c, "deals");
  ASSERT_TRUE(s.watermarkMs);
  EXPECT_LE(*s.watermarkMs, s.dbNowMs + 3'600'000) << "a record from the future moved the watermark there";
  EXPECT_GE(*s.watermarkMs, s.dbNowMs + 3'600'000 - 60'000);
}

TEST_F(StreamStateStoreTest, AnIncrementalSyncReadOutOfOrderLowersTheWatermarkToItsFirstBatch) {
  // A source that filters by modified-since but pages by id: a record read early and changed
  // while the run went on keeps a time below the newest one read.
  store->startFresh(*c, *f, plan(Mode::Incremental), runId);
  commitBatch(Mode::Incremental, R"({"page": 1})", 20'000, 21'000);
  commitBatch(Mode::Incremental, R"({"page": 2})", 12'000, 90'000);
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 90'000);
  auto done = store->complete(*c, *f, plan(Mode::Incremental), target(), 0, "acme/example");
  ASSERT_TRUE(done.loweredTo);
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 21'000) << "the next incremental starts from the first batch";

  // The same source read in order keeps the newest time read.
  store->startFresh(*c, *f, plan(Mode::Incremental), runId);
  commitBatch(Mode::Incremental, R"({"page": 3})", 22'000, 30'000);
  commitBatch(Mode::Incremental, R"({"page": 4})", 30'000, 95'000);
  EXPECT_FALSE(store->complete(*c, *f, plan(Mode::Incremental), target(), 0, "acme/example").loweredTo);
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 95'000);
}

TEST_F(StreamStateStoreTest, AWatermarkLeftInTheFutureIsDroppedSoOnlyOneRunReadsEverything) {
  // Left by a record stamped 9999-12-31 before such records were refused.
  sql("INSERT INTO stream_state (connection_id, stream, initialized_at, watermark)"
      " VALUES ($1::uuid, 'deals', now(), '9999-12-31')",
      conn);
  StreamPlanner planner(std::nullopt, job.id, std::chrono::minutes(5));
  auto first = planner.plan(kDeals, store->load(*c, "deals"), [] { return true; });
  ASSERT_FALSE(first.sinceMs) << "the first run reads everything";
  store->startFresh(*c, *f, first, runId);
  EXPECT_FALSE(store->load(*c, "deals").watermarkMs) << "the untrusted watermark is dropped at once";
  commitBatch(Mode::Incremental, R"({"page": 1})", 5000, 9000);
  store->complete(*c, *f, first, target(), 0, "acme/example");
  EXPECT_EQ(store->load(*c, "deals").watermarkMs, 9000);
  auto second = planner.plan(kDeals, store->load(*c, "deals"), [] { return true; });
  EXPECT_EQ(second.sinceMs, 9000 - 300'000) << "the next run starts from the new watermark";
  EXPECT_TRUE(second.warning.empty());
}

TEST_F(StreamStateStoreTest, AStreamReadOnlyWholeGivesItsConnectionsAutoSyncsAnInitialSyncsTimeout) {
  // Every run of it is a full refresh, however long its initial sync took: a scheduled sync must
  // not be killed at an incremental's timeout (scheduler::autoSyncModes).
  const plugins::StreamDescriptor whole{"tables", "id", "", "", "", TRIBUTARY_STREAM_FULL_REFRESH};
  for (const auto* stream : {&kDeals, &whole}) {
    StreamPlan p = plan(Mode::Initial);
    p.stream = stream;
    store->startFresh(*c, *f, p, runId);
    store->complete(*c, *f, p, target(), 0, "acme/example");
  }
  EXPECT_EQ(scheduler::autoSyncModes(*c, {conn}).at(conn), Mode::Initial);
  sql("UPDATE stream_state SET read_whole = false");  // the plugin dropped the flag (its next run says so)
  EXPECT_EQ(scheduler::autoSyncModes(*c, {conn}).at(conn), Mode::Incremental);
}
