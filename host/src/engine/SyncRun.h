#pragma once

#include <atomic>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "config/Config.h"
#include "db/Pool.h"
#include "engine/StreamWriter.h"
#include "plugins/CallResult.h"
#include "plugins/ConnectorInstance.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::engine {

// One sync job of one connection: it plans each stream's mode, runs the plugin's check and
// then its sync hooks stream by stream, writes through a StreamWriter, and records the run
// (sync_runs, events, stream_state, connections) as it goes.
//
// Modes per stream: a stream with a checkpoint left by an unfinished run resumes that run;
// otherwise a stream whose initial sync completed runs incrementally from its watermark minus
// the overlap, and one that never completed one runs an initial sync. A job with mode
// "initial" forces a full resync; a backfill job keeps its own cursors and never moves the
// stream's. A full resync over existing rows marks the rows it did not see deleted, but only
// once the stream completed.
//
// Isolation: READ COMMITTED. Each batch is one transaction keyed by natural keys; concurrent
// runs over the same rows (a backfill beside an incremental sync) serialize on row locks, and an
// upsert never replaces a row with an older source version, so their order does not matter.
class SyncRun {
 public:
  SyncRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry);
  ~SyncRun();

  queue::Outcome execute();

  enum class StreamMode { Initial, Incremental, Backfill };

 private:
  struct StreamPlan {
    const plugins::StreamDescriptor* stream = nullptr;
    StreamMode mode = StreamMode::Initial;
    bool resume = false;
    std::string cursor;
    std::optional<int64_t> sinceMs;
    bool trackSeen = false;
    std::string seenRunId;
    bool skip = false;  // a backfill stream already done by an earlier attempt
  };
  struct StreamResult {
    plugins::CallResult call;
    WriteCounts counts;
    int64_t pages = 0;
    int64_t wouldDelete = 0;         // dry runs
    int64_t swept = 0;               // rows a completed full refresh marked deleted
    int64_t unidentifiedErrors = 0;  // failed records with no id
  };

  queue::Outcome fail(queue::Outcome::Kind kind, const std::string& message);
  void loadConnection();
  void createInstance();
  void parsePayload();
  std::vector<StreamPlan> plan();
  void openRun(const std::vector<StreamPlan>& plans);
  StreamResult runStream(StreamPlan& plan);
  void completeStream(db::Connection& conn, const StreamPlan& plan, StreamResult& result);
  // Throws unless this job still runs on this worker, and keeps it so until `conn`'s transaction
  // ends: a run whose job was rescued elsewhere (its lease expired) or released never commits
  // another batch, cursor or sweep over the run that took its place.
  void fence(db::Connection& conn) const;
  mutable std::atomic<bool> lost_{false};  // a fence failed: this run reports nothing more
  queue::Outcome finishRun(const std::vector<StreamPlan>& plans, const std::vector<StreamResult>& results);
  queue::Outcome outcomeOf(const plugins::CallResult& r, const std::string& where);
  void recordFailure(const std::string& status, const std::string& error, bool connectionError);
  void writeProgress(bool force);
  std::string modeName(StreamMode m) const;
  std::string tableOf(const plugins::StreamDescriptor& s) const;

  queue::JobContext& ctx_;
  const config::Config& cfg_;
  const plugins::PluginRegistry& registry_;
  const queue::Job& job_;

  // The connection
  std::string connectionId_, workspaceId_, workspaceSlug_, name_, connector_;
  const config::ConnectionConfig* conf_ = nullptr;
  std::shared_ptr<const plugins::ConnectorPlugin> plugin_;
  std::unique_ptr<plugins::ConnectorInstance> instance_;

  // The request
  std::string requestedMode_ = "auto";
  std::string syncType_ = "manual";
  bool dryRun_ = false;
  bool replay_ = false;
  std::vector<std::string> streamNames_;
  std::optional<int64_t> windowFrom_, windowTo_;
  std::vector<std::string> ids_;

  // The run
  std::string runId_;
  std::chrono::steady_clock::time_point started_;
  Json streamsMeta_ = Json::object();
  Json progress_ = Json::object();
  int64_t httpCalls_ = 0, http429s_ = 0;
  std::chrono::steady_clock::time_point lastProgressWrite_{};
};

}  // namespace tributary::engine
