#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/SyncMode.h"
#include "db/Connection.h"

namespace tributary::scheduler {

// What an `auto` sync of each connection is expected to run, by connection id, to choose its
// timeout: initial (queue.timeouts.initial) while any of its streams has an initial sync that
// never completed or can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH: every run is a full
// refresh), or none ever completed one (nor did the seeds' system: connections.sync_cursor
// or last_sync_at); incremental otherwise. Scheduled syncs, and manual ones that name no mode,
// ask for `auto`: the engine then resumes an unfinished initial sync from its checkpoint,
// whichever job left it, instead of starting it again. Ids not found are left out.
std::unordered_map<std::string, sync::Mode> autoSyncModes(db::Connection& conn,
                                                          const std::vector<std::string>& connectionIds);

}  // namespace tributary::scheduler
