#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/SyncMode.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::engine {

// What stream_state holds of one stream when a run plans it (StreamStateStore::load).
struct StreamSnapshot {
  bool exists = false;
  bool initialized = false;                 // an initial sync completed once
  std::optional<std::string> cursor;        // the last checkpoint of an unfinished run
  std::optional<sync::Mode> cursorMode;     // that run's mode
  std::optional<int64_t> cursorSinceMs;     // that incremental run's start point
  std::optional<int64_t> watermarkMs;       // the newest source time committed
  std::optional<std::string> initialRunId;  // the unfinished initial sync's run (its seen set)
  bool initialTracksSeen = false;           // that initial sync is a full refresh over existing rows
  std::optional<std::string> cursorJobId;   // the job that left the cursor
  int64_t dbNowMs = 0;                      // the database\'s clock when it was read
  std::optional<std::string> carriedState;  // the plugin's state that outlives a completed run (JSON)
};

// What backfill_cursors holds of one stream of one backfill job (StreamStateStore::loadBackfill).
struct BackfillSnapshot {
  std::optional<std::string> cursor;
  bool done = false;  // an earlier attempt of the job finished this stream
};

// How one stream of a run is read.
struct StreamPlan {
  const plugins::StreamDescriptor* stream = nullptr;
  sync::Mode mode = sync::Mode::Initial;
  bool resume = false;             // from `cursor`, the last checkpoint of an unfinished run
  std::string cursor;              // "" for none
  std::optional<int64_t> sinceMs;  // incremental: from here (the watermark minus the overlap)
  bool trackSeen = false;          // a full refresh over existing rows: record the ids it sees
  std::string seenRunId;           // the run whose seen set a resumed refresh adds to
  bool skip = false;               // a backfill stream an earlier attempt finished, or one read only whole
  std::string skipReason;          // why a stream is skipped, when not because it is done
  std::string warning;             // what the run should log about this plan, if anything
  std::string state;               // the carried state the plugin gets (state_json); "" for none
  bool dropState = false;          // a requested full resync: the stored state goes when it starts
};

// Decides each stream's mode and start point from what its state says; no database. The rules:
// a stream with a checkpoint left by an unfinished run resumes it; otherwise a stream whose
// initial sync completed runs incrementally from its watermark minus the overlap, and one that
// never completed one runs an initial sync. A job asking for `initial` forces a full resync,
// unless it is that same job resuming its own initial sync (a retry). A backfill keeps its own
// cursors, per job, and never touches the stream's. A watermark further ahead of the
// database's clock than the allowed skew is not trusted (it came from a record stamped in the
// future, before such records were refused): the stream is read from the start, once. A stream
// that can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH) runs a full refresh every time,
// whatever was asked: it resumes its own unfinished one, and otherwise starts one afresh.
// The carried state (set_stream_state) goes to every run of the stream, resumed or not, and to
// a backfill to read, except a forced full resync, which starts without it and drops it.
class StreamPlanner {
 public:
  StreamPlanner(sync::Requested requested, std::string jobId, std::chrono::milliseconds overlap,
                std::chrono::milliseconds maxClockSkew = std::chrono::hours(1));

  // The connector's streams named by `names` (all of them when empty), in that order. Throws
  // std::invalid_argument naming the unknown stream and the known ones; `label` names the
  // connection in that message.
  static std::vector<const plugins::StreamDescriptor*> select(const std::vector<plugins::StreamDescriptor>& streams,
                                                              const std::vector<std::string>& names,
                                                              const std::string& label);

  // `targetHasLiveRows` is asked only when a fresh initial sync is planned: whether the target
  // already holds live rows of this stream, which makes it a full refresh that must record the
  // ids it sees to mark the others deleted at the end.
  StreamPlan plan(const plugins::StreamDescriptor& stream, const StreamSnapshot& state,
                  const std::function<bool()>& targetHasLiveRows) const;
  // `carriedState`: the stream's (stream_state), which a backfill reads but never moves.
  StreamPlan planBackfill(const plugins::StreamDescriptor& stream, const std::optional<BackfillSnapshot>& state,
                          const std::optional<std::string>& carriedState = std::nullopt) const;

  // Why a backfill cannot read `stream` (TRIBUTARY_STREAM_FULL_REFRESH), and what to run instead,
  // for connection `connection` of workspace `workspace`.
  static std::string readWholeOnly(const plugins::StreamDescriptor& stream, const std::string& workspace,
                                   const std::string& connection);

  // The run's mode as sync_runs and the events name it: backfill for a backfill job, else
  // initial when any stream runs an initial sync, else incremental.
  sync::Mode runMode(const std::vector<StreamPlan>& plans) const;

 private:
  sync::Requested requested_;
  std::string jobId_;
  std::chrono::milliseconds overlap_;
  std::chrono::milliseconds maxClockSkew_;
};

}  // namespace tributary::engine
