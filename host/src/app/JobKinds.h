#pragma once

#include <memory>

#include "config/Config.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::app {

// Every job kind a worker process runs: the built-ins, the sync engine's `sync`, `backfill`
// and `discover` (a connection's streams, found by its plugin: `tributary connections discover`),
// and `action` (a connector's write-back).
void registerJobKinds(queue::HandlerRegistry& registry, std::shared_ptr<const config::Config> cfg,
                      std::shared_ptr<const plugins::PluginRegistry> plugins);
// The kinds whose jobs run a connection's plugin: a worker claims them only for the
// connections it can run (runnableConnections).
std::vector<std::string> connectionKinds();

// What a worker process tells the queue it can run: the ids of the connections of its YAML
// whose connector it loaded (jobs of other connections are left to other hosts), and its plugins
// with their versions.
std::vector<std::string> runnableConnections(db::Connection& conn, const config::Config& cfg,
                                             const plugins::PluginRegistry& plugins);
Json loadedPlugins(const plugins::PluginRegistry& plugins);

// The job queue as the host uses it: the engine closes the runs of attempts the queue ends on
// its own (rescues). Every queue a host process makes comes from here.
std::shared_ptr<queue::JobQueue> makeJobQueue(std::shared_ptr<db::Pool> pool, const config::QueueConfig& cfg);

}  // namespace tributary::app
