#pragma once

// A real host for sync-engine tests: `tributary serve` on a test database with the example
// plugin, one worker process, and timings that suit tests.

#include <map>
#include <memory>
#include <string>

#include "QueueTestSupport.h"

namespace tributary::test {

struct RowState {
  int64_t rawHash = 0;
  std::string modified;
  bool deleted = false;
  bool operator==(const RowState& o) const {
    return rawHash == o.rawHash && modified == o.modified && deleted == o.deleted;
  }
};

class EngineHost {
 public:
  // `settings` is the YAML flow mapping of the example connection's settings, e.g.
  // "{records: 500, page_size: 50}".
  // `syncYaml` is the flow mapping of the sync section.
  explicit EngineHost(QueueDatabase& q, std::string settings, std::string extraYaml = "",
                      std::string syncYaml = "{progress_interval: 100ms}");
  ~EngineHost();

  // Rewrites the connection's settings and restarts serve (the worker reads them at start).
  void restart(std::string settings);
  void stop();
  std::string log() const;

  std::string connectionId();
  std::string workspaceId();
  // Enqueues a sync job as the CLI does (priority manual).
  std::string enqueue(const Json& payload, const std::string& kind = "sync");
  // Waits for a job to end; returns it.
  queue::Job waitJob(const std::string& id, std::chrono::seconds timeout = std::chrono::seconds(120));
  std::vector<int> workerPids();

  // source_id -> state, for a canonical table or "records".
  std::map<std::string, RowState> rows(const std::string& table, const std::string& stream = "");

  QueueDatabase& q;
  TempDir dir;

 private:
  void start();
  std::string settings_;
  std::string extra_;
  std::string sync_;
  std::unique_ptr<ServerProcess> serve_;
  int generation_ = 0;
};

// The rows that are not tombstones (deleted at the source), for comparing what a sync keeps.
std::map<std::string, RowState> live(const std::map<std::string, RowState>& rows);

// The rows a perfect sync holds: the same settings synced once, fully, into a fresh database.
std::map<std::string, RowState> referenceRows(const std::string& settings, const std::string& table,
                                              const std::string& stream = "");

}  // namespace tributary::test
