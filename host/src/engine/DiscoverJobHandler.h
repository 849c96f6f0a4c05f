#pragma once

#include <memory>

#include "config/Config.h"
#include "http/HttpService.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::engine {

// Runs `discover` jobs (`tributary connections discover`): one connection's streams, found by
// its plugin's discover hook (StreamDiscovery) and stored in connection_streams, where the CLI and
// the API read them. A connector without the hook stores its declared streams. A failed discovery
// fails the job with the plugin's or the host's message and keeps the stored list. The job's
// result: {connection, connector, version, discovered, streams: [...]}.
class DiscoverJobHandler : public queue::JobHandler {
 public:
  // `http` null: a client of the process's own, made from cfg's http: settings.
  DiscoverJobHandler(std::shared_ptr<const config::Config> cfg, std::shared_ptr<const plugins::PluginRegistry> registry,
                     std::shared_ptr<http::HttpService> http = nullptr);
  queue::Outcome run(queue::JobContext& ctx) override;

 private:
  std::shared_ptr<const config::Config> cfg_;
  std::shared_ptr<const plugins::PluginRegistry> registry_;
  std::shared_ptr<http::HttpService> http_;
};

}  // namespace tributary::engine
