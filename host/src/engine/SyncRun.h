#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "engine/EngineServices.h"
#include "engine/FollowUps.h"
#include "engine/JobConnection.h"
#include "engine/RunFence.h"
#include "engine/RunRecorder.h"
#include "engine/RunRequest.h"
#include "engine/RunStatistics.h"
#include "engine/StreamPlanner.h"
#include "engine/StreamStateStore.h"
#include "engine/StreamWriter.h"
#include "plugins/CallResult.h"
#include "plugins/ConnectorInstance.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::engine {

// One sync job of one connection, start to end: it reads the request (RunRequest), plans each
// stream (StreamPlanner, from StreamStateStore's snapshot), opens the run (RunRecorder), runs the
// plugin's check and then its sync hook stream by stream, writing through a StreamWriter whose
// commits store the stream's state (StreamCheckpointer), and closes the run, queueing the
// follow-ups its plugin asked for (FollowUps) and storing its statistics (RunStatistics). Every writing
// transaction checks the job's claim last (RunFence): a run whose job was taken over commits
// nothing more.
//
// Isolation: READ COMMITTED. Each batch is one transaction keyed by natural keys; concurrent
// runs over the same rows (a backfill beside an incremental sync) serialize on row locks, and an
// upsert never replaces a row with an older source version, so their order does not matter.
class SyncRun {
 public:
  SyncRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry,
          http::HttpService& http);
  ~SyncRun();

  queue::Outcome execute();

 private:
  struct StreamResult {
    plugins::CallResult call;
    WriteCounts counts;
    int64_t pages = 0;
    int64_t wouldDelete = 0;         // dry runs
    int64_t swept = 0;               // rows a completed full refresh marked deleted
    int64_t unidentifiedErrors = 0;  // failed records with no id
  };

  void loadConnection();
  void createInstance();
  // For a plugin with a discover hook: its streams for this run, found now (and stored, unless a
  // dry run). An outcome when the run ends here (the discovery failed or found no stream).
  std::optional<queue::Outcome> discoverStreams();
  std::vector<StreamPlan> plan();
  void openRun(const std::vector<StreamPlan>& plans);
  StreamResult runStream(StreamPlan& plan);
  queue::Outcome finishRun(const std::vector<StreamPlan>& plans, const std::vector<StreamResult>& results);
  // The check or a stream ended the run early: the run records a wait or a failure, and the
  // job gets the matching outcome.
  queue::Outcome endEarly(const plugins::CallResult& r, const std::string& where);
  void writeProgress(bool force);
  StreamTarget targetOf(const plugins::StreamDescriptor& s) const;
  std::string label() const { return workspaceSlug_ + "/" + name_; }
  int64_t elapsedMs() const;

  queue::JobContext& ctx_;
  const config::Config& cfg_;
  const plugins::PluginRegistry& registry_;
  http::HttpService& http_;
  const queue::Job& job_;

  // The connection (the fields are connection_'s, named for brevity)
  JobConnection connection_;
  std::string connectionId_, workspaceId_, workspaceSlug_, name_, connector_;
  const config::ConnectionConfig* conf_ = nullptr;
  std::shared_ptr<const plugins::ConnectorPlugin> plugin_;
  std::unique_ptr<plugins::ConnectorInstance> instance_;
  std::unique_ptr<http::VendorClient> vendor_;  // the plugin's requests, for every hook of the run
  // The streams the run chooses from: the plugin's declared ones, or discovered_.
  const std::vector<plugins::StreamDescriptor>* streams_ = nullptr;
  std::vector<plugins::StreamDescriptor> discovered_;

  // The request, and what the run does with it
  RunRequest request_;
  std::unique_ptr<StreamPlanner> planner_;
  std::unique_ptr<StreamStateStore> state_;
  std::unique_ptr<RunFence> fence_;  // set once the request says whether it is a dry run
  std::unique_ptr<RunRecorder> recorder_;

  // The run as it goes
  std::chrono::steady_clock::time_point started_;
  RunStats stats_;
  std::optional<Json> finishedBefore_;  // an earlier attempt's result: nothing to do
  CallCounters counters_;
  RunStatistics statistics_;              // the plugin's counters and facts, every attempt's
  std::unique_ptr<FollowUps> followUps_;  // what the plugin asked to queue when the run succeeds
  std::chrono::steady_clock::time_point lastProgressWrite_{};
};

}  // namespace tributary::engine
