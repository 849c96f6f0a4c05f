#include "app/JobKinds.h"

#include "engine/SyncJobHandler.h"

namespace tributary::app {

void registerJobKinds(queue::HandlerRegistry& registry, std::shared_ptr<const config::Config> cfg,
                      std::shared_ptr<const plugins::PluginRegistry> plugins) {
  queue::registerBuiltinKinds(registry, cfg->workers.testJobKinds);
  auto sync = std::make_shared<engine::SyncJobHandler>(cfg, plugins);
  registry.add("sync", sync);
  registry.add("backfill", sync);
}

}  // namespace tributary::app
