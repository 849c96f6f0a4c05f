#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/Connection.h"
#include "engine/EntitySchema.h"

namespace tributary::engine {

// Where one stream's records go: a canonical table (deals, contacts, ...) or the generic
// `records` table, and the rows of it that belong to this connection and stream.
struct StreamTarget {
  std::string workspaceId;
  std::string source;  // the connection's name
  std::string connectionId;
  std::string stream;
  const Entity* entity = nullptr;  // null: the generic records table

  const std::string& table() const;
};

// What the engine asks of a stream's target table outside the writer's batches. The writer
// (StreamWriter) owns the rows' writes; these are the questions a run asks before it starts a
// stream, and the full refresh's sweep at its end.
namespace target {

// Whether the target holds live (not deleted) rows of the stream: a fresh initial sync over
// them is a full refresh, which must record the ids it sees.
bool hasLiveRows(db::Connection& conn, const StreamTarget& t);
// Whether the target holds no row of this source at all (a first sync: plain INSERTs do).
bool emptyForSource(db::Connection& conn, const StreamTarget& t);
// Whether the stream has unresolved record errors, which stored records then resolve.
bool hasOpenRecordErrors(db::Connection& conn, const StreamTarget& t);
// Marks deleted the live rows of the stream that the full refresh `seenRunId` did not see,
// except rows written since `refreshStartedAt` (a backfill beside the refresh wrote them; they
// are not the refresh's to judge; with no start time, none is). Returns how many. In the
// caller's transaction.
int64_t sweepUnseen(db::Connection& conn, const StreamTarget& t, const std::string& seenRunId,
                    const std::optional<std::string>& refreshStartedAt);

}  // namespace target
}  // namespace tributary::engine
