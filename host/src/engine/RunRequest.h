#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "common/SyncMode.h"

namespace tributary::engine {

// What a sync or backfill job asks of the engine, read from its kind and payload:
//   {"mode": "auto"|"initial"|"incremental"|"backfill", "sync_type": "manual"|"scheduled"|"backfill",
//    "dry_run": bool, "replay": bool, "streams": [names], "window": {"from": T, "to": T},
//    "ids": [ids], "follow_up_of": {"run_id", "job_id"}, "reason": text}
// where T is epoch milliseconds or an ISO 8601 time. A `backfill` job is a backfill whatever its
// mode says, and needs a window or ids, unless it is a follow-up another run's plugin asked for
// (follow_up_of), which may cover the whole stream.
struct RunRequest {
  sync::Requested mode;  // none: the engine picks per stream
  std::string syncType = "manual";
  bool dryRun = false;
  bool replay = false;               // re-reading records known to be broken (records replay)
  std::vector<std::string> streams;  // empty: every stream of the connector
  std::optional<int64_t> windowFromMs, windowToMs;
  std::vector<std::string> ids;

  bool backfill() const { return mode == sync::Mode::Backfill; }
  // Throws std::invalid_argument naming the key and the value at fault.
  static RunRequest parse(const std::string& jobKind, const Json& payload);
};

}  // namespace tributary::engine
