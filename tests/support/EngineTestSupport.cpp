#include "EngineTestSupport.h"

#include <gtest/gtest.h>

#include "common/Strings.h"

namespace tributary::test {

EngineHost::EngineHost(QueueDatabase& qdb, std::string settings, std::string extraYaml, std::string syncYaml)
    : q(qdb), settings_(std::move(settings)), extra_(std::move(extraYaml)), sync_(std::move(syncYaml)) {
  start();
}

EngineHost::~EngineHost() { stop(); }

void EngineHost::start() {
  const auto plugins = buildDir() / "plugins";
  auto cfg = dir.write("tributary.yaml",
                       "database:\n  url: \"" + q.db.conninfo() + "\"\n" + "plugins: {dirs: [\"" + plugins.string() +
                           "\"]}\n" +
                           "workers: {processes: 1, concurrency: 4}\n"
                           "queue: {poll_interval: 500ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                           " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                           "sync: " +
                           sync_ +
                           "\n"
                           "workspaces: [{slug: acme}]\n"
                           "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings: " +
                           settings_ + "\n" + extra_);
  const auto ready = dir / ("ready" + std::to_string(generation_++) + ".json");
  serve_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                               "--ready-file", ready.string()},
      dir / "serve.log");
  if (!serve_->waitForReadyFile(ready)) throw std::runtime_error("serve did not start:\n" + serve_->log());
}

void EngineHost::stop() {
  if (serve_) serve_->stop();
}

void EngineHost::restart(std::string settings) {
  stop();
  settings_ = std::move(settings);
  start();
}

std::string EngineHost::log() const { return serve_ ? serve_->log() : ""; }

std::string EngineHost::connectionId() {
  auto c = q.pool->acquire();
  return c->exec("SELECT id FROM connections WHERE name = 'example'").text(0, 0);
}

std::string EngineHost::workspaceId() {
  auto c = q.pool->acquire();
  return c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
}

std::string EngineHost::enqueue(const Json& payload, const std::string& kind) {
  queue::EnqueueRequest r;
  r.kind = kind;
  r.workspaceId = workspaceId();
  r.connectionId = connectionId();
  r.priority = queue::kPriorityManual;
  r.payload = payload;
  return q.queue->enqueue(r).jobId;
}

queue::Job EngineHost::waitJob(const std::string& id, std::chrono::seconds timeout) {
  queue::Job j;
  auto terminal = [](queue::JobStatus s) {
    return s == queue::JobStatus::Completed || s == queue::JobStatus::Failed || s == queue::JobStatus::Discarded ||
           s == queue::JobStatus::Cancelled;
  };
  if (!eventually([&] { return terminal((j = q.job(id)).status); }, timeout)) {
    ADD_FAILURE() << "job " << id << " did not end: " << j.toJson().dump(2) << "\n" << log();
  }
  return j;
}

std::vector<int> EngineHost::workerPids() {
  std::vector<int> out;
  auto c = q.pool->acquire();
  auto r = c->exec("SELECT DISTINCT worker_id FROM jobs WHERE status = 'running'");
  for (int i = 0; i < r.rows(); ++i) {
    auto parts = strings::split(r.text(i, 0), ':');
    if (parts.size() >= 2) out.push_back(std::stoi(parts[1]));  // hostname:pid:bootid
  }
  return out;
}

std::map<std::string, RowState> EngineHost::rows(const std::string& table, const std::string& stream) {
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT source_id, raw_hash, coalesce(to_char(source_modified_at AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), ''), deleted_at IS NOT NULL FROM " +
          table + " WHERE ($1 = '' OR stream = $1)",
      stream);
  std::map<std::string, RowState> out;
  for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = RowState{r.int64(i, 1), r.text(i, 2), r.boolean(i, 3)};
  return out;
}

std::map<std::string, RowState> referenceRows(const std::string& settings, const std::string& table,
                                              const std::string& stream) {
  QueueDatabase ref(QueueDatabase::fastQueueConfig(), "ref");
  EngineHost host(ref, settings);
  auto job = host.waitJob(host.enqueue(Json{{"mode", "initial"}}));
  if (job.status != queue::JobStatus::Completed) {
    ADD_FAILURE() << "the reference sync did not complete: " << job.toJson().dump(2);
  }
  return host.rows(table, stream);
}

std::map<std::string, RowState> live(const std::map<std::string, RowState>& rows) {
  std::map<std::string, RowState> out;
  for (const auto& [id, r] : rows) {
    if (!r.deleted) out[id] = r;
  }
  return out;
}

}  // namespace tributary::test
