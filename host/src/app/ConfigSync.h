#pragma once

#include "config/Config.h"
#include "db/Connection.h"
#include "plugins/PluginRegistry.h"

namespace tributary::app {

struct ConfigSyncResult {
  int workspaces = 0;
  int connections = 0;
  int disabled = 0;  // connections in the database but no longer in YAML
};

// Makes the workspaces and connections tables follow the YAML, in one transaction. A
// connection removed from YAML is disabled, never deleted, so its data stays; one that
// returns is enabled again. Secret settings never reach the database.
ConfigSyncResult syncConfigToDatabase(db::Connection& conn, const config::Config& cfg,
                                      const plugins::PluginRegistry& registry);

}  // namespace tributary::app
