#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"

namespace tributary::engine {

// One stream of a connection as stream_state holds it, for people to read.
struct StreamStateView {
  std::string stream;
  std::string status;  // idle, running, completed, failed, cancelled
  std::optional<std::string> lastMode;
  bool resumable = false;                     // a checkpoint of an unfinished run waits to be resumed
  std::optional<std::string> carriedState;    // JSON text (set_stream_state), whole
  std::optional<std::string> carriedStateAt;  // ISO 8601, when it was committed
  std::optional<std::string> carriedStateJobId;
  std::optional<std::string> lastSuccessAt;  // ISO 8601
  std::optional<std::string> lastError;
};

// What the engine's tables say of one sync or backfill job, beyond the job row, for `tributary
// jobs show`: its run (status, the plugin's statistics, the follow-ups it queued) and the state
// of its connection's streams (with each one's carried state).
struct RunReport {
  std::optional<std::string> runId;
  std::optional<std::string> runStatus;
  Json plugin;     // {counters, facts}, or null before the run wrote any
  Json followUps;  // [{kind, stream, reason, [window], job_id, deduplicated}], or null before the run ended
  std::vector<StreamStateView> streams;

  // `connectionId`: the job's connection, whose streams are listed.
  static RunReport forJob(db::Connection& conn, const std::string& jobId, const std::string& connectionId);
  Json toJson() const;
};

}  // namespace tributary::engine
