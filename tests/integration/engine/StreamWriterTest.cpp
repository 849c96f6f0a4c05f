#include "engine/StreamWriter.h"

#include <gtest/gtest.h>

#include <thread>

#include "QueueTestSupport.h"

using namespace tributary;
using namespace tributary::engine;

namespace {

// Records what each batch would store beside its records.
struct RecordingHook : BatchCommitHook {
  std::vector<CommitInfo>& commits;
  explicit RecordingHook(std::vector<CommitInfo>& c) : commits(c) {}
  void beforeCommit(db::Connection&, const CommitInfo& i) override { commits.push_back(i); }
};

struct Writer : ::testing::Test {
  test::QueueDatabase q;
  db::PooledConnection a = q.pool->acquire();
  db::PooledConnection b = q.pool->acquire();
  std::string ws, conn;
  std::vector<CommitInfo> commits;
  RecordingHook hook{commits};

  void SetUp() override {
    ws = q.workspace();
    conn = q.connection(ws);
  }

  std::unique_ptr<StreamWriter> make(StreamWriter::Options o = {}, int connections = 2) {
    o.initialBatch = o.minBatch = o.maxBatch = 2;
    std::vector<db::Connection*> cs = {&*a};
    if (connections == 2) cs.push_back(&*b);
    return std::make_unique<StreamWriter>(cs, StreamTarget{ws, "example", conn, "deals", findEntity("deals")}, o, hook);
  }

  static plugins::RecordView rec(std::string_view id, int64_t modified, std::string_view fields,
                                 std::string_view raw = "{}", bool deleted = false) {
    return plugins::RecordView{"deals", id, modified, deleted, 0, fields, raw};
  }

  db::Result rows() {
    auto c = q.pool->acquire();
    return c->exec(
        "SELECT source_id, name, amount::text, (extract(epoch from source_modified_at) * 1000)::bigint,"
        " deleted_at IS NOT NULL FROM deals ORDER BY source_id");
  }
};

}  // namespace

TEST_F(Writer, ABatchCommitsWithItsCheckpointAndNothingBefore) {
  auto w = make();
  w->add(rec("d1", 1000, R"({"name":"one"})"));
  w->add(rec("d2", 2000, R"({"name":"two"})"));
  EXPECT_TRUE(w->checkpoint(R"({"page":1})"));
  w->add(rec("d3", 3000, R"({"name":"three"})"));
  w->abort();  // the uncommitted record is dropped, the committed batch stays
  auto r = rows();
  ASSERT_EQ(r.rows(), 2);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].cursor, R"({"page":1})");
  EXPECT_EQ(commits[0].maxModifiedMs, 2000);
  EXPECT_EQ(commits[0].counts.inserted, 2);
}

TEST_F(Writer, ThePlainInsertFallsBackToUpsertWhenARowExistsAfterAll) {
  StreamWriter::Options o;
  o.targetEmpty = true;
  auto w = make(o);
  w->add(rec("d1", 1000, R"({"name":"one"})", R"({"v":1})"));
  w->add(rec("d2", 1000, R"({"name":"two"})"));
  w->checkpoint("{}");
  // The source sends d1 again in a later page (it changed while we paged).
  w->add(rec("d1", 5000, R"({"name":"one, later"})", R"({"v":2})"));
  w->add(rec("d3", 1000, R"({"name":"three"})"));
  w->checkpoint("{}");
  w->finish();
  auto r = rows();
  ASSERT_EQ(r.rows(), 3);
  EXPECT_EQ(r.text(0, 1), "one, later");
  EXPECT_EQ(w->totals().inserted, 3);
  EXPECT_EQ(w->totals().updated, 1);
}

TEST_F(Writer, DuplicatesInOneBatchKeepTheLastAndOlderVersionsNeverWin) {
  auto w = make({}, 1);
  w->add(rec("d1", 2000, R"({"name":"new"})", R"({"v":2})"));
  w->add(rec("d1", 3000, R"({"name":"newer"})", R"({"v":3})"));
  w->checkpoint("{}");
  w->add(rec("d1", 1000, R"({"name":"old"})", R"({"v":1})"));  // a late backfill of an old version
  w->add(rec("d9", 1000, R"({"name":"x"})"));
  w->checkpoint("{}");
  w->finish();
  auto r = rows();
  EXPECT_EQ(r.text(0, 1), "newer");
  EXPECT_EQ(r.int64(0, 3), 3000);
}

TEST_F(Writer, DeletionsSetDeletedAtAndAReturnClearsIt) {
  auto w = make({}, 1);
  w->add(rec("d1", 1000, R"({"name":"one"})"));
  w->add(rec("d2", 1000, R"({"name":"two"})"));
  w->checkpoint("{}");
  w->add(rec("d1", 2000, "", R"({"id":"d1"})", true));
  w->add(rec("d2", 2000, R"({"name":"two"})", R"({"v":2})"));
  w->checkpoint("{}");
  w->add(rec("d1", 3000, R"({"name":"back"})", R"({"v":3})"));
  w->add(rec("d3", 1000, "", R"({"id":"d3"})", true));
  w->checkpoint("{}");
  w->finish();
  auto r = rows();
  ASSERT_EQ(r.rows(), 3);
  EXPECT_FALSE(r.boolean(0, 4)) << "a record that returns is live again";
  EXPECT_EQ(r.text(0, 1), "back");
  EXPECT_TRUE(r.boolean(2, 4)) << "a deletion of an unknown record leaves a tombstone";
}

TEST_F(Writer, InvalidRecordsBecomeErrorsAndTheRestLands) {
  StreamWriter::Options o;
  o.runId = "";
  auto w = make(o, 1);
  w->add(rec("d1", 1000, R"({"amount":"TBD"})", R"({"amount":"TBD"})"));
  w->add(rec("", 1000, R"({"name":"no id"})"));
  w->add(rec("d3", 1000, R"({"name":"fine"})"));
  w->add(rec("d4", 1000, R"({"name":"fine too"})"));
  w->checkpoint("{}");
  w->add(rec("d5", 1000, R"({"name":"ok"})", std::string_view("{\"bad\":\"\xff\"}")));
  w->finish();
  EXPECT_EQ(rows().rows(), 2);
  EXPECT_EQ(w->totals().failed, 3);
  auto c = q.pool->acquire();
  auto e = c->exec("SELECT coalesce(source_id, '-'), stage, error FROM sync_record_errors ORDER BY id");
  ASSERT_EQ(e.rows(), 3);
  EXPECT_EQ(e.text(0, 0), "d1");
  EXPECT_EQ(e.text(0, 2), "amount: expected a number, got \"TBD\"");
  EXPECT_EQ(e.text(1, 0), "-");
  EXPECT_EQ(e.text(1, 2), "the record has no source id");
  EXPECT_EQ(e.text(2, 0), "d5");
  EXPECT_EQ(e.text(2, 2), "the record is not valid UTF-8 (or holds a NUL byte)");
}

TEST_F(Writer, ARecordTheDatabaseRefusesIsIsolatedByItsId) {
  {
    auto c = q.pool->acquire();
    c->execScript("ALTER TABLE deals ADD CONSTRAINT no_negative CHECK (amount >= 0)");
  }
  StreamWriter::Options o;
  o.initialBatch = 8;
  auto w = make({}, 1);
  for (int i = 0; i < 7; ++i) {
    w->add(rec("d" + std::to_string(i), 1000, i == 5 ? R"({"amount":-1})" : R"({"amount":1})"));
  }
  w->finish();
  EXPECT_EQ(rows().rows(), 6);
  auto c = q.pool->acquire();
  auto e = c->exec("SELECT source_id, stage, error, raw FROM sync_record_errors");
  ASSERT_EQ(e.rows(), 1);
  EXPECT_EQ(e.text(0, 0), "d5");
  EXPECT_EQ(e.text(0, 1), "write");
  EXPECT_EQ(e.text(0, 2),
            "the database refused the record: ERROR:  new row for relation \"deals\" violates check "
            "constraint \"no_negative\"");
  EXPECT_EQ(e.text(0, 3), "{}");
}

TEST_F(Writer, UnchangedRowsAreCountedAndNotRewritten) {
  auto w = make({}, 1);
  w->add(rec("d1", 1000, R"({"name":"one"})"));
  w->add(rec("d2", 1000, R"({"name":"two"})"));
  w->finish();
  auto c = q.pool->acquire();
  auto before = c->exec("SELECT xmin::text FROM deals ORDER BY source_id");
  auto again = make({}, 1);
  again->add(rec("d1", 1000, R"({"name":"one"})"));
  again->add(rec("d2", 1000, R"({"name":"two, changed"})"));
  again->finish();
  EXPECT_EQ(again->totals().unchanged, 1);
  EXPECT_EQ(again->totals().updated, 1);
  auto after = c->exec("SELECT xmin::text FROM deals ORDER BY source_id");
  EXPECT_EQ(after.text(0, 0), before.text(0, 0));
  EXPECT_NE(after.text(1, 0), before.text(1, 0));
}

TEST_F(Writer, ATranscriptHoldingControlCharactersIsStoredAsWrittenNotRefused) {
  StreamWriter::Options o;
  StreamWriter w({&*a}, StreamTarget{ws, "example", conn, "calls", findEntity("calls")}, o, hook);
  const std::string text = "line one\r\n\tindented \x01 bell\x07 esc\x1b end";
  w.add(plugins::RecordView{"calls", "c1", 1000, false, 0, Json{{"transcript", text}}.dump(), "{}"});
  w.finish();
  EXPECT_EQ(w.totals().failed, 0);
  auto c = q.pool->acquire();
  auto r = c->exec("SELECT transcript #>> '{}' FROM calls WHERE source_id = 'c1'");
  ASSERT_EQ(r.rows(), 1) << "the record was refused";
  EXPECT_EQ(r.text(0, 0), text);
  EXPECT_EQ(c->exec("SELECT count(*) FROM sync_record_errors").int64(0, 0), 0);
}

TEST_F(Writer, ARecordStampedFromTheFutureOrBeforeTheYearOneIsARecordErrorNamingItsTimeAndTheRestLands) {
  auto w = make({}, 1);
  const int64_t now = q.pool->acquire()->exec("SELECT (extract(epoch from now()) * 1000)::bigint").int64(0, 0);
  w->add(rec("d1", now - 60'000, R"({"name":"a minute ago"})"));
  w->add(rec("d2", now + 30 * 60'000, R"({"name":"half an hour ahead: within the skew"})"));
  w->add(rec("d3", 253402214400000, R"({"name":"9999-12-31"})"));
  w->add(rec("d4", INT64_MAX, R"({"name":"the end of time"})"));
  w->add(rec("d5", -99'999'999'999'999, R"({"name":"before the year 1"})"));
  w->checkpoint("{}");
  w->finish();
  auto r = rows();
  ASSERT_EQ(r.rows(), 2) << "the sane records landed; the batch did not fail";
  EXPECT_EQ(r.text(0, 0), "d1");
  EXPECT_EQ(r.text(1, 0), "d2");
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].maxModifiedMs, now + 30 * 60'000) << "the watermark's candidate is no refused record's time";
  auto c = q.pool->acquire();
  auto e = c->exec("SELECT source_id, stage, error FROM sync_record_errors ORDER BY source_id");
  ASSERT_EQ(e.rows(), 3);
  EXPECT_EQ(e.text(0, 0), "d3");
  EXPECT_EQ(e.text(0, 1), "validate");
  EXPECT_EQ(e.text(0, 2).rfind("modified_at_ms is 253402214400000 (9999-12-31T00:00:00.000Z), more than 1h "
                               "(sync.max_clock_skew) ahead of the database's clock (",
                               0),
            0u)
      << e.text(0, 2);
  EXPECT_NE(e.text(1, 2).find("(after the year 9999)"), std::string::npos) << e.text(1, 2);
  EXPECT_EQ(e.text(2, 2), "modified_at_ms is -99999999999999, before the year 1: not a time the engine stores");
}

TEST_F(Writer, WithEqualSourceTimesTheReadThatBeganLaterWins) {
  // A backfill began reading first; an incremental sync began later and saw the newer version,
  // with the same (second-granularity) source time. The backfill's stale read commits last.
  auto stale = make({}, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  db::PooledConnection other = q.pool->acquire();
  StreamWriter fresh(
      {&*other}, StreamTarget{ws, "example", conn, "deals", findEntity("deals")},
      [] {
        StreamWriter::Options o;
        o.initialBatch = o.minBatch = o.maxBatch = 2;
        return o;
      }(),
      hook);
  fresh.add(rec("d1", 5000, R"({"name":"newer"})", R"({"v":2})"));
  fresh.finish();
  stale->add(rec("d1", 5000, R"({"name":"older"})", R"({"v":1})"));
  stale->finish();
  EXPECT_EQ(rows().text(0, 1), "newer") << "a read that began earlier won the tie";
  // The same read may rewrite its own rows (a record that changed within the second it paged).
  fresh.add(rec("d1", 5000, R"({"name":"newest"})", R"({"v":3})"));
  fresh.finish();
  EXPECT_EQ(rows().text(0, 1), "newest");
}

TEST_F(Writer, ARecordWithNoTimeNeverClearsAKnownOne) {
  auto w = make({}, 1);
  w->add(rec("d1", 7000, R"({"name":"known"})", R"({"v":1})"));
  w->finish();
  auto later = make({}, 1);
  later->add(plugins::RecordView{"deals", "d1", std::nullopt, false, 0, R"({"name":"no time"})", R"({"v":2})"});
  later->finish();
  auto r = rows();
  EXPECT_EQ(r.text(0, 1), "no time") << "a later read with no time still updates the row";
  EXPECT_EQ(r.int64(0, 3), 7000) << "but keeps the known source time, so the guard stays on";
  auto stale = make({}, 1);
  stale->add(rec("d1", 6000, R"({"name":"stale"})", R"({"v":0})"));
  stale->finish();
  EXPECT_EQ(rows().text(0, 1), "no time") << "an older version never wins";
}

namespace {

plugins::RecordView key(std::string_view id) {
  plugins::RecordView v{"deals", id, std::nullopt, false, TRIBUTARY_RECORD_KEYS_ONLY, "", ""};
  v.keysOnly = true;
  return v;
}

}  // namespace

TEST_F(Writer, KeysOnlyRecordsMarkTheirRowsSeenWithoutRewritingThemAndCountMissingKeys) {
  auto w = make({}, 1);
  w->add(rec("d1", 1000, R"({"name":"one"})", R"({"v":1})"));
  w->add(rec("d2", 2000, R"({"name":"two"})", R"({"v":2})"));
  w->add(rec("d3", 3000, R"({"name":"three"})", R"({"v":3})"));
  w->finish();
  q.pool->acquire()->exec("UPDATE deals SET deleted_at = now() WHERE source_id = 'd3'");
  auto c = q.pool->acquire();
  const std::string before =
      c->exec("SELECT string_agg(source_id || xmin::text || raw::text, ',' ORDER BY source_id) FROM deals").text(0, 0);
  const std::string runId = "00000000-0000-4000-8000-00000000000a";
  StreamWriter::Options o;
  o.trackSeen = true;
  o.runId = runId;
  commits.clear();
  auto keys = make(o, 2);
  keys->add(key("d1"));
  keys->add(key("d2"));
  keys->checkpoint(R"({"page":1})");  // a batch of keys alone
  keys->add(key("d3"));               // its row is deleted: no live row to keep
  keys->add(key("x1"));               // no row at all
  keys->add(key("x1"));
  keys->finish();
  EXPECT_EQ(
      c->exec("SELECT string_agg(source_id || xmin::text || raw::text, ',' ORDER BY source_id) FROM deals").text(0, 0),
      before)
      << "a keys-only record rewrote a row";
  EXPECT_EQ(c->exec("SELECT count(*) FROM deals WHERE source_id = 'x1'").int64(0, 0), 0) << "a missing key made a row";
  const WriteCounts t = keys->totals();
  EXPECT_EQ(t.records, 5);
  EXPECT_EQ(t.unchanged, 2);
  EXPECT_EQ(t.keysOnlyMissing, 2) << "d3 (deleted) and x1 (counted once)";
  EXPECT_EQ(t.inserted + t.updated + t.deleted + t.failed, 0);
  EXPECT_EQ(
      c->exec("SELECT string_agg(source_id, ',' ORDER BY source_id) FROM sync_seen WHERE run_id = $1::uuid", runId)
          .text(0, 0),
      "d1,d2,d3,x1")
      << "every key is seen, so the sweep keeps its row";
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0].counts.unchanged, 2);
  EXPECT_FALSE(commits[0].maxModifiedMs) << "a keys-only record moves no watermark";
  EXPECT_EQ(commits[0].seenAdded + commits[1].seenAdded, 4);
}

TEST_F(Writer, AKeySentWholeInTheSameBatchIsWrittenAndCountedOnce) {
  auto w = make({}, 1);
  w->add(rec("d1", 1000, R"({"name":"one"})", R"({"v":1})"));
  w->finish();
  auto again = make({}, 1);
  again->add(key("d1"));
  again->add(rec("d1", 2000, R"({"name":"one, changed"})", R"({"v":2})"));
  again->add(key("d2"));
  again->add(rec("d2", 2000, R"({"name":"two"})", R"({"v":1})"));
  again->finish();
  auto r = rows();
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.text(0, 1), "one, changed");
  EXPECT_EQ(r.text(1, 1), "two");
  const WriteCounts t = again->totals();
  EXPECT_EQ(t.updated, 1);
  EXPECT_EQ(t.inserted, 1);
  EXPECT_EQ(t.unchanged, 0);
  EXPECT_EQ(t.keysOnlyMissing, 0);
}

TEST_F(Writer, KeysOnlyRecordsIntoAnEmptyTargetInsertNothingAndCountAsMissing) {
  StreamWriter::Options o;
  o.targetEmpty = true;  // the plain INSERT path
  auto w = make(o, 1);
  w->add(key("k1"));
  w->add(rec("d1", 1000, R"({"name":"one"})"));
  w->add(key("k2"));
  w->finish();
  auto r = rows();
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.text(0, 0), "d1");
  EXPECT_EQ(w->totals().inserted, 1);
  EXPECT_EQ(w->totals().keysOnlyMissing, 2);
  EXPECT_EQ(w->totals().failed, 0);
}

TEST_F(Writer, AKeysOnlyRecordWithNoIdIsARecordError) {
  auto w = make({}, 1);
  w->add(key(""));
  w->finish();
  EXPECT_EQ(w->totals().failed, 1);
  EXPECT_EQ(w->unidentifiedErrors(), 1) << "a full refresh must not sweep when a key went unidentified";
  EXPECT_EQ(q.pool->acquire()->exec("SELECT error FROM sync_record_errors").text(0, 0), "the record has no source id");
}

TEST_F(Writer, ADeclaredOrderedStreamThatGoesBackInTimeIsReportedOnceNamingBothRecords) {
  StreamWriter::Options o;
  o.declaredOrdered = true;
  o.label = "acme/example";
  auto w = make(o, 1);
  w->add(rec("d1", 1700000001000, R"({"name":"one"})"));
  w->add(rec("d2", 1700000003000, R"({"name":"two"})"));
  w->checkpoint("{}");
  w->add(rec("d3", 1700000002000, R"({"name":"three"})"));  // older than d2, in the next batch
  w->add(rec("d4", 1700000000000, R"({"name":"four"})"));   // older again: reported once
  w->finish();
  ASSERT_TRUE(w->orderViolation());
  EXPECT_EQ(*w->orderViolation(),
            "the stream declares TRIBUTARY_STREAM_MODIFICATION_ORDER, but record 'd3' (modified "
            "2023-11-14T22:13:22.000Z) came after record 'd2' (modified 2023-11-14T22:13:23.000Z); this run is "
            "treated as unordered, so the next incremental starts from its first batch. Fix the plugin's order, or "
            "drop the flag");
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_FALSE(commits[0].outOfOrder);
  EXPECT_TRUE(commits[1].outOfOrder) << "the break across batches takes the safe path";

  commits.clear();
  auto plain = make({}, 1);  // not declared: the writer only notes the batch's own disorder
  plain->add(rec("d1", 2000, R"({"name":"one"})"));
  plain->add(rec("d2", 3000, R"({"name":"two"})"));
  plain->checkpoint("{}");
  plain->add(rec("d3", 1000, R"({"name":"three"})"));
  plain->finish();
  EXPECT_FALSE(plain->orderViolation());
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_FALSE(commits[1].outOfOrder) << "across batches, the stream's state judges the order";
}
