#pragma once

#include <memory>
#include <string>

#include "common/Json.h"
#include "config/Config.h"
#include "engine/JobConnection.h"
#include "http/HttpService.h"
#include "plugins/ConnectorInstance.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::actions {

// One `action` job, start to end: the connection and its plugin, the payload {action, body}
// checked against the action's declared fields (plugins::ActionBody, the authoritative check),
// one instance, one call of the action hook, and its result mapped onto the job:
//   OK        completed, result {action, result, duration_ms, http_calls[, counters, facts]}
//   RETRY     retried under the policy when the action is idempotent; otherwise failed, saying
//             it was not retried and why
//   FATAL     failed;  WAIT: parked until the time given, no attempt used;  CANCELLED: cancelled
// A connection this worker cannot run (not in its YAML, connector not loaded) is declined, as a
// sync is.
class ActionRun {
 public:
  ActionRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry,
            http::HttpService& http);
  queue::Outcome execute();

 private:
  std::string label() const { return connection_.label(); }

  queue::JobContext& ctx_;
  const config::Config& cfg_;
  const plugins::PluginRegistry& registry_;
  http::HttpService& http_;
  const queue::Job& job_;
  engine::JobConnection connection_;
  std::unique_ptr<plugins::ConnectorInstance> instance_;
  std::unique_ptr<http::VendorClient> vendor_;
};

}  // namespace tributary::actions
