#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "db/Connection.h"

namespace tributary::scheduler {

// The mode each scheduled sync runs in, by connection id: "incremental" when the connection has
// a cursor to resume from, "initial" otherwise, as the seeds' orchestrator chose
// (`conn.last_sync_at ? 'incremental' : 'initial'`). A cursor today is connections.sync_cursor or
// connections.last_sync_at; when the sync engine keeps per-stream cursors (stream_state), this is
// the one place to point at them. Ids not found are left out.
std::unordered_map<std::string, std::string> scheduledSyncModes(
    db::Connection& conn, const std::vector<std::string>& connectionIds);

}  // namespace tributary::scheduler
