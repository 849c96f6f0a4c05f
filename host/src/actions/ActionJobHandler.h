#pragma once

#include <memory>

#include "config/Config.h"
#include "http/HttpService.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::actions {

// Runs `action` jobs: one ActionRun each.
class ActionJobHandler : public queue::JobHandler {
 public:
  // `http` null: a client of the process's own, made from cfg's http: settings.
  ActionJobHandler(std::shared_ptr<const config::Config> cfg, std::shared_ptr<const plugins::PluginRegistry> registry,
                   std::shared_ptr<http::HttpService> http = nullptr)
      : cfg_(std::move(cfg)),
        registry_(std::move(registry)),
        http_(http ? std::move(http) : std::make_shared<http::HttpService>(cfg_->http)) {}
  queue::Outcome run(queue::JobContext& ctx) override;

 private:
  std::shared_ptr<const config::Config> cfg_;
  std::shared_ptr<const plugins::PluginRegistry> registry_;
  std::shared_ptr<http::HttpService> http_;
};

}  // namespace tributary::actions
