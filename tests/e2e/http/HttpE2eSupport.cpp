#include "HttpE2eSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "common/Strings.h"

namespace tributary::test::http_e2e {
namespace fs = std::filesystem;

std::string LoggedRequest::param(const std::string& name) const {
  for (const auto& pair : strings::split(query, '&')) {
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string::npos ? "" : pair.substr(eq + 1);
  }
  return "";
}

Simulator::Simulator(const std::string& scenarioYaml) {
  const auto scenario = dir_.write("scenario.yaml", scenarioYaml);
  const auto readyFile = dir_ / "sim-ready.json";
  process_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{(buildDir() / "bin" / "tributary-sim").string(), "--scenario", scenario.string(),
                               "--port", "0", "--ready-file", readyFile.string()},
      dir_ / "sim.log");
  auto ready = process_->waitForReadyFile(readyFile, std::chrono::seconds(20));
  if (!ready) throw std::runtime_error("tributary-sim did not start:\n" + process_->log());
  ready_ = *ready;
}

Simulator::~Simulator() {
  if (process_) process_->stop();
}

std::string Simulator::baseUrl(const std::string& vendor) const {
  return ready_["vendors"][vendor]["base_url"].get<std::string>();
}

std::string Simulator::adminUrl(const std::string& vendor) const {
  return ready_["vendors"][vendor]["admin_url"].get<std::string>();
}

std::string Simulator::log() const { return process_ ? process_->log() : ""; }

void Simulator::addFaults(const Json& rules, const std::string& vendor) {
  auto r = httpRequest("POST", adminUrl(vendor) + "/faults", Json{{"faults", rules}}.dump());
  if (r.status != 200)
    throw std::runtime_error("POST /admin/faults answered " + std::to_string(r.status) + ": " + r.body);
}

std::vector<LoggedRequest> Simulator::requests(const std::string& pathPrefix, const std::string& vendor) const {
  std::vector<LoggedRequest> out;
  uint64_t since = 0;
  for (;;) {
    auto r = httpGet(adminUrl(vendor) + "/requests?since=" + std::to_string(since) + "&limit=5000");
    if (r.status != 200) throw std::runtime_error("GET /admin/requests answered " + std::to_string(r.status));
    const Json page = r.json();
    if (page["requests"].empty()) break;
    for (const auto& e : page["requests"]) {
      since = e["seq"].get<uint64_t>();
      LoggedRequest l;
      l.seq = since;
      l.method = e["method"].get<std::string>();
      l.path = e["path"].get<std::string>();
      l.query = e["query"].get<std::string>();
      l.status = e["status"].get<int>();
      l.timeMs = e["time_ms"].get<int64_t>();
      l.connection = e["connection"].get<uint64_t>();
      l.faults = e["faults"].get<std::string>();
      if (l.path.rfind(pathPrefix, 0) == 0) out.push_back(std::move(l));
    }
  }
  return out;
}

Json Simulator::orders(const std::string& vendor) const {
  auto r = httpGet(adminUrl(vendor) + "/orders");
  if (r.status != 200) throw std::runtime_error("GET /admin/orders answered " + std::to_string(r.status));
  return r.json()["orders"];
}

std::map<std::string, std::string> Simulator::groundTruth(const std::string& object, const std::string& vendor) const {
  auto r = httpGet(adminUrl(vendor) + "/ground-truth?object=" + object);
  if (r.status != 200) throw std::runtime_error("GET /admin/ground-truth answered " + std::to_string(r.status));
  const Json truth = r.json();
  std::map<std::string, std::string> out;
  for (const auto& row : truth["rows"]) {
    if (!row["deleted"].get<bool>()) out[row["id"].get<std::string>()] = row["modified_at"].get<std::string>();
  }
  return out;
}

std::string hubspotScenario(const std::string& objects, const std::string& rateLimits) {
  return "seed: 15\n"
         "vendors:\n"
         "  hubspot:\n"
         "    objects: " +
         objects +
         "\n"
         "    poison_rate: 0\n"
         "    rate_limits: " +
         rateLimits + "\n";
}

std::vector<std::string> Host::workerIds() const {
  std::vector<std::string> out;
  for (const auto& w : ready["workers"]) out.push_back(w["worker_id"].get<std::string>());
  return out;
}

std::unique_ptr<Host> startHost(QueueDatabase& q, const std::string& name, const std::string& http,
                                const std::string& connections, int concurrency) {
  auto h = std::make_unique<Host>();
  const auto plugins = buildDir() / "tests" / "fixture-plugins-http";
  const auto cfg =
      h->dir.write("tributary.yaml",
                   "state_dir: " + (h->dir / "state").string() + "\ndatabase:\n  url: \"" + q.db.conninfo() +
                       "\"\nplugins: {dirs: [\"" + plugins.string() +
                       "\"]}\n"
                       "workers: {processes: 1, concurrency: " +
                       std::to_string(concurrency) +
                       "}\n"
                       "queue: {poll_interval: 200ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                       " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n" +
                       (http.empty() ? "" : "http: " + http + "\n") +
                       "workspaces: [{slug: acme}]\n"
                       "connections:\n" +
                       connections);
  const auto readyFile = h->dir / "ready.json";
  h->serve = std::make_unique<ServerProcess>(
      std::vector<std::string>{tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                               "--ready-file", readyFile.string()},
      h->dir / (name + ".log"));
  auto r = h->serve->waitForReadyFile(readyFile);
  if (!r) throw std::runtime_error(name + " did not start:\n" + h->log());
  h->ready = *r;
  return h;
}

std::string connectionYaml(const std::string& name, const std::string& baseUrl, const fs::path& tokenFile,
                           const std::string& settings, const std::string& rateLimit) {
  return "  - workspace: acme\n    name: " + name +
         "\n    connector: tributary.fixture_http\n    settings: {base_url: \"" + baseUrl +
         "\", token: {secret_file: \"" + tokenFile.string() + "\"}, " + settings + "}\n" +
         (rateLimit.empty() ? "" : "    rate_limit: " + rateLimit + "\n");
}

fs::path hubspotTokenFile(const TempDir& dir) { return dir.write("hubspot-token", "hubspot-test-token"); }

std::string connectionId(QueueDatabase& q, const std::string& name) {
  auto c = q.pool->acquire();
  auto r = c->exec("SELECT id FROM connections WHERE name = $1", name);
  if (r.empty()) throw std::runtime_error("no connection " + name);
  return r.text(0, 0);
}

std::string enqueueSync(QueueDatabase& q, const std::string& connectionName) {
  queue::EnqueueRequest r;
  r.kind = "sync";
  {
    auto c = q.pool->acquire();
    r.workspaceId = c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
  }
  r.connectionId = connectionId(q, connectionName);
  r.priority = queue::kPriorityManual;
  r.payload = Json{{"mode", "initial"}};
  return q.queue->enqueue(r).jobId;
}

queue::Job waitJob(QueueDatabase& q, const std::string& jobId, std::chrono::seconds timeout, const std::string& logs) {
  queue::Job j;
  auto terminal = [](queue::JobStatus s) {
    return s == queue::JobStatus::Completed || s == queue::JobStatus::Failed || s == queue::JobStatus::Discarded ||
           s == queue::JobStatus::Cancelled;
  };
  if (!eventually([&] { return terminal((j = q.job(jobId)).status); }, timeout)) {
    ADD_FAILURE() << "job " << jobId << " did not end in " << timeout.count() << " s: " << j.toJson().dump(2) << "\n"
                  << logs;
  }
  return j;
}

std::map<std::string, std::string> records(QueueDatabase& q, const std::string& connectionName) {
  const std::string id = connectionId(q, connectionName);
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT source_id, coalesce(to_char(source_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
      " '') FROM records WHERE connection_id = $1::uuid AND stream = 'items' AND deleted_at IS NULL",
      id);
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = r.text(i, 1);
  return out;
}

Json runMetadata(QueueDatabase& q, const std::string& jobId) {
  auto c = q.pool->acquire();
  auto r = c->exec("SELECT metadata FROM sync_runs WHERE job_id = $1::uuid ORDER BY started_at DESC LIMIT 1", jobId);
  return r.empty() ? Json() : Json::parse(r.text(0, 0));
}

std::vector<std::string> runWorkers(QueueDatabase& q, const std::string& jobId) {
  auto c = q.pool->acquire();
  auto r =
      c->exec("SELECT a ->> 'worker' FROM sync_runs, jsonb_array_elements(attempts) a WHERE job_id = $1::uuid", jobId);
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

std::string describe(const std::vector<LoggedRequest>& log) {
  std::string out;
  for (const auto& r : log) {
    out += "#" + std::to_string(r.seq) + " +" + std::to_string(r.timeMs - log.front().timeMs) + "ms " + r.method + " " +
           r.path + (r.query.empty() ? "" : "?" + r.query) + " -> " + std::to_string(r.status) +
           (r.faults.empty() ? "" : " [" + r.faults + "]") + " conn " + std::to_string(r.connection) + "\n";
  }
  return out;
}

int maxInWindow(const std::vector<int64_t>& times, int64_t windowMs) {
  std::vector<int64_t> t = times;
  std::sort(t.begin(), t.end());
  int best = 0;
  size_t j = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (j < i) j = i;
    while (j < t.size() && t[j] < t[i] + windowMs) ++j;
    best = std::max(best, static_cast<int>(j - i));
  }
  return best;
}

}  // namespace tributary::test::http_e2e
