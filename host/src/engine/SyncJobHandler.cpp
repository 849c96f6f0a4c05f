#include "engine/SyncJobHandler.h"

#include "engine/SyncRun.h"

namespace tributary::engine {

SyncJobHandler::SyncJobHandler(std::shared_ptr<const config::Config> cfg,
                               std::shared_ptr<const plugins::PluginRegistry> registry,
                               std::shared_ptr<http::HttpService> http)
    : cfg_(std::move(cfg)), registry_(std::move(registry)), http_(std::move(http)) {
  if (!http_) http_ = std::make_shared<http::HttpService>(cfg_->http);
}

queue::Outcome SyncJobHandler::run(queue::JobContext& ctx) {
  SyncRun run(ctx, *cfg_, *registry_, *http_);
  return run.execute();
}

}  // namespace tributary::engine
