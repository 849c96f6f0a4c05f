#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "config/Config.h"
#include "http/VendorClient.h"
#include "plugins/ConnectorInstance.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::engine {

// This worker cannot run the job, another may: it is left to one that can (queue's Declined).
struct NotHere : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The connection a job of the engine (sync, backfill, discover) is for, as this worker runs it:
// its row, its entry in this worker's configuration and its loaded plugin.
struct JobConnection {
  std::string id, workspaceId, workspaceSlug, name, connector;
  const config::ConnectionConfig* conf = nullptr;
  std::shared_ptr<const plugins::ConnectorPlugin> plugin;

  std::string label() const { return workspaceSlug + "/" + name; }

  // Throws NotHere when this worker lacks what the job needs and another host may have it (the
  // connection in its YAML, the connector loaded, the plugin version the payload asks for),
  // std::invalid_argument when no worker can run it (no such connection, or disabled), and
  // db::DbError.
  static JobConnection load(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry);

  // An instance of the plugin with the connection's settings and secrets, logging as the
  // connection; names the executor on the job. Throws std::runtime_error with create's message.
  std::unique_ptr<plugins::ConnectorInstance> createInstance(queue::JobContext& ctx) const;

  // What the HTTP client needs to know of the connection's vendor: its account, its budgets
  // (the plugin's classes, the operator's overrides, the headroom) and the plugin's rules.
  http::VendorProfile vendorProfile() const;
  // The run's vendor client: budgets shared through the database of `ctx`'s pool; counts into
  // `runCounters`; waits end when `cancelled` says so.
  std::unique_ptr<http::VendorClient> vendorClient(queue::JobContext& ctx, http::HttpService& service,
                                                   std::function<bool()> cancelled,
                                                   http::HttpCounters* runCounters) const;
};

// The queue's outcome for a plugin call that ended as `r`, its message after `where`
// ("check failed: ..."); a wait without a time waits a second.
queue::Outcome outcomeOf(const plugins::CallResult& r, const std::string& where);

}  // namespace tributary::engine
