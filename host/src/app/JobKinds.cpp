#include "app/JobKinds.h"

#include "actions/ActionJobHandler.h"
#include "actions/ActionJobs.h"
#include "db/PgArray.h"
#include "engine/DiscoverJobHandler.h"
#include "engine/RunRecorder.h"
#include "engine/SyncJobHandler.h"
#include "secrets/HostKeys.h"

namespace tributary::app {

void registerJobKinds(queue::HandlerRegistry& registry, std::shared_ptr<const config::Config> cfg,
                      std::shared_ptr<const plugins::PluginRegistry> plugins) {
  queue::registerBuiltinKinds(registry, cfg->workers.testJobKinds);
  // One HTTP client for the process: its pool and the session of the shared rate-limit budgets.
  auto http = std::make_shared<http::HttpService>(cfg->http);
  // The key ring of the credentials the host keeps, opened when a run first needs one.
  http->setKeyRing([cfg] { return secrets::requiredKeyRing(*cfg); });
  auto sync = std::make_shared<engine::SyncJobHandler>(cfg, plugins, http);
  registry.add("sync", sync);
  registry.add("backfill", sync);
  registry.add("discover", std::make_shared<engine::DiscoverJobHandler>(cfg, plugins, http));
  registry.add(actions::kJobKind, std::make_shared<actions::ActionJobHandler>(cfg, plugins, http));
}

std::vector<std::string> connectionKinds() { return {"sync", "backfill", "discover", actions::kJobKind}; }

std::vector<std::string> runnableConnections(db::Connection& conn, const config::Config& cfg,
                                             const plugins::PluginRegistry& plugins) {
  std::vector<std::string> slugs, names;
  for (const auto& c : cfg.connections) {
    if (!plugins.find(c.connector)) continue;
    slugs.push_back(c.workspace);
    names.push_back(c.name);
  }
  std::vector<std::string> ids;
  if (slugs.empty()) return ids;
  auto r = conn.exec(
      "SELECT c.id FROM connections c JOIN workspaces w ON w.id = c.workspace_id"
      " JOIN unnest($1::text[], $2::text[]) AS mine(slug, name) ON mine.slug = w.slug AND mine.name = c.name",
      db::textArray(slugs), db::textArray(names));
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
  return ids;
}

Json loadedPlugins(const plugins::PluginRegistry& plugins) {
  Json out = Json::object();
  for (const auto& p : plugins.plugins()) out[p->name()] = p->version();
  return out;
}

std::shared_ptr<queue::JobQueue> makeJobQueue(std::shared_ptr<db::Pool> pool, const config::QueueConfig& cfg) {
  auto queue = std::make_shared<queue::JobQueue>(std::move(pool), cfg);
  queue->setAttemptListener(std::make_shared<engine::RunCloser>());
  return queue;
}

}  // namespace tributary::app
