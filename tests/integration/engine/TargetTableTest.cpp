#include "engine/TargetTable.h"

#include <gtest/gtest.h>

#include "EngineRoom.h"

using namespace tributary;
using namespace tributary::engine;

using TargetTableTest = test::EngineRoom;

TEST_F(TargetTableTest, AnswersWhatARunAsksBeforeAStream) {
  StreamTarget deals{ws, "example", conn, "deals", findEntity("deals")};
  StreamTarget notes{ws, "example", conn, "notes", nullptr};
  auto c = q.pool->acquire();
  EXPECT_EQ(deals.table(), "deals");
  EXPECT_EQ(notes.table(), "records");
  EXPECT_TRUE(target::emptyForSource(*c, deals));
  EXPECT_FALSE(target::hasLiveRows(*c, deals));
  sql("INSERT INTO deals (workspace_id, source, source_id, connection_id, stream, raw, raw_hash, deleted_at)"
      " VALUES ($1::uuid, 'example', 'd1', $2::uuid, 'deals', '{}', 0, now())",
      ws, conn);
  EXPECT_FALSE(target::emptyForSource(*c, deals)) << "a deleted row still conflicts";
  EXPECT_FALSE(target::hasLiveRows(*c, deals));
  sql("INSERT INTO deals (workspace_id, source, source_id, connection_id, stream, raw, raw_hash)"
      " VALUES ($1::uuid, 'example', 'd2', $2::uuid, 'deals', '{}', 0)",
      ws, conn);
  EXPECT_TRUE(target::hasLiveRows(*c, deals));
  EXPECT_TRUE(target::emptyForSource(*c, notes)) << "the records table is per stream";
  EXPECT_FALSE(target::hasOpenRecordErrors(*c, deals));
  sql("INSERT INTO sync_record_errors (workspace_id, connection_id, stream, source_id, stage, error)"
      " VALUES ($1::uuid, $2::uuid, 'deals', 'd9', 'validate', 'bad')",
      ws, conn);
  EXPECT_TRUE(target::hasOpenRecordErrors(*c, deals));
  EXPECT_FALSE(target::hasOpenRecordErrors(*c, notes));
}

TEST_F(TargetTableTest, TheSweepSparesWhatWasSeenAndWhatWasWrittenSinceTheRefreshBegan) {
  StreamTarget deals{ws, "example", conn, "deals", findEntity("deals")};
  const std::string run = "00000000-0000-4000-8000-000000000001";
  sql("INSERT INTO deals (workspace_id, source, source_id, connection_id, stream, raw, raw_hash, updated_at)"
      " VALUES ($1::uuid, 'example', 'seen', $2::uuid, 'deals', '{}', 0, now() - interval '1 hour'),"
      "        ($1::uuid, 'example', 'gone', $2::uuid, 'deals', '{}', 0, now() - interval '1 hour'),"
      "        ($1::uuid, 'example', 'new', $2::uuid, 'deals', '{}', 0, now() + interval '1 hour')",
      ws, conn);
  sql("INSERT INTO sync_seen (run_id, stream, source_id) VALUES ($1::uuid, 'deals', 'seen')", run);
  auto c = q.pool->acquire();
  const std::string startedAt = sql("SELECT now()::text").text(0, 0);
  EXPECT_EQ(target::sweepUnseen(*c, deals, run, std::nullopt), 0) << "no start time: nothing is judged";
  EXPECT_EQ(target::sweepUnseen(*c, deals, run, startedAt), 1);
  EXPECT_EQ(sql("SELECT string_agg(source_id, ',') FROM deals WHERE deleted_at IS NOT NULL").text(0, 0), "gone");
}
