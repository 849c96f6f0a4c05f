#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/SyncMode.h"
#include "db/Connection.h"

namespace tributary::scheduler {

// The mode each scheduled sync runs in, by connection id: "incremental" when the connection has
// a cursor to resume from, "initial" otherwise, as the seeds' orchestrator chose
// (`conn.last_sync_at ? 'incremental' : 'initial'`). A cursor is a committed stream_state.cursor
// of any of its streams, or the seeds' connections.sync_cursor / last_sync_at. A stream with no
// cursor of its own inside an incremental job is the sync engine's to start afresh. This is the
// one place to change the rule. Ids not found are left out.
std::unordered_map<std::string, sync::Mode> scheduledSyncModes(db::Connection& conn,
                                                               const std::vector<std::string>& connectionIds);

}  // namespace tributary::scheduler
