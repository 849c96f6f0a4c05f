#pragma once

#include "config/Config.h"
#include "queue/JobHandler.h"

namespace tributary::app {

// Every job kind a worker process runs: the built-ins, and the sync engine's.
void registerJobKinds(queue::HandlerRegistry& registry, const config::Config& cfg);

}  // namespace tributary::app
