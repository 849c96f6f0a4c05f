#include "app/JobKinds.h"

#include "engine/RunRecorder.h"
#include "engine/SyncJobHandler.h"

namespace tributary::app {

void registerJobKinds(queue::HandlerRegistry& registry, std::shared_ptr<const config::Config> cfg,
                      std::shared_ptr<const plugins::PluginRegistry> plugins) {
  queue::registerBuiltinKinds(registry, cfg->workers.testJobKinds);
  auto sync = std::make_shared<engine::SyncJobHandler>(cfg, plugins);
  registry.add("sync", sync);
  registry.add("backfill", sync);
}

std::shared_ptr<queue::JobQueue> makeJobQueue(std::shared_ptr<db::Pool> pool, const config::QueueConfig& cfg) {
  auto queue = std::make_shared<queue::JobQueue>(std::move(pool), cfg);
  queue->setAttemptListener(std::make_shared<engine::RunCloser>());
  return queue;
}

}  // namespace tributary::app
