#pragma once

#include <memory>

#include "config/Config.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::app {

// Every job kind a worker process runs: the built-ins, and the sync engine's `sync` and
// `backfill`.
void registerJobKinds(queue::HandlerRegistry& registry, std::shared_ptr<const config::Config> cfg,
                      std::shared_ptr<const plugins::PluginRegistry> plugins);

}  // namespace tributary::app
