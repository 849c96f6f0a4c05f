#pragma once

#include <memory>

#include "config/Config.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::actions {

// Runs `action` jobs: one ActionRun each.
class ActionJobHandler : public queue::JobHandler {
 public:
  ActionJobHandler(std::shared_ptr<const config::Config> cfg, std::shared_ptr<const plugins::PluginRegistry> registry)
      : cfg_(std::move(cfg)), registry_(std::move(registry)) {}
  queue::Outcome run(queue::JobContext& ctx) override;

 private:
  std::shared_ptr<const config::Config> cfg_;
  std::shared_ptr<const plugins::PluginRegistry> registry_;
};

}  // namespace tributary::actions
