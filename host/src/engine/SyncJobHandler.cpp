#include "engine/SyncJobHandler.h"

#include "engine/SyncRun.h"

namespace tributary::engine {

SyncJobHandler::SyncJobHandler(std::shared_ptr<const config::Config> cfg,
                               std::shared_ptr<const plugins::PluginRegistry> registry)
    : cfg_(std::move(cfg)), registry_(std::move(registry)) {}

queue::Outcome SyncJobHandler::run(queue::JobContext& ctx) {
  SyncRun run(ctx, *cfg_, *registry_);
  return run.execute();
}

}  // namespace tributary::engine
