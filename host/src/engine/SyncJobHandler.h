#pragma once

#include <memory>

#include "config/Config.h"
#include "http/HttpService.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::engine {

// Runs `sync` and `backfill` jobs: one connection, all (or the requested) streams, through its
// plugin, into the canonical tables. See SyncRun.
class SyncJobHandler : public queue::JobHandler {
 public:
  // `http` null: a client of the process's own, made from cfg's http: settings.
  SyncJobHandler(std::shared_ptr<const config::Config> cfg, std::shared_ptr<const plugins::PluginRegistry> registry,
                 std::shared_ptr<http::HttpService> http = nullptr);
  queue::Outcome run(queue::JobContext& ctx) override;

 private:
  std::shared_ptr<const config::Config> cfg_;
  std::shared_ptr<const plugins::PluginRegistry> registry_;
  std::shared_ptr<http::HttpService> http_;
};

}  // namespace tributary::engine
