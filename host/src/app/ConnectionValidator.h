#pragma once

#include "config/Config.h"
#include "config/Diagnostic.h"
#include "plugins/PluginRegistry.h"

namespace tributary::app {

// Checks each connection against its plugin: the connector is loaded, every setting is one it
// declares and has its type, every required setting is there, every secret setting comes from
// ${ENV} or a secret_file rather than sitting in the file, and every rate_limit class is one it
// declares. Problems are positioned at the offending key.
void validateConnections(const config::Config& cfg, const plugins::PluginRegistry& registry,
                         config::Diagnostics& diagnostics);

// The part of validateConnections for one connection's rate_limit: every class it overrides is
// one its connector declares. A problem is positioned at the class's key.
void validateRateLimits(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                        config::Diagnostics& diagnostics);

// The part of validateConnections for one connection's auth: its type is one the connector
// accepts, with what that type needs.
void validateAuth(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                  config::Diagnostics& diagnostics);
// The plugin dirs to scan: the configured ones, or the defaults.
std::vector<std::filesystem::path> pluginDirs(const config::Config& cfg);

// Scans the plugin dirs, logging one line per plugin loaded or refused (unless `quiet`, for
// commands whose output is the listing itself). Each runs the plugins' code in another place:
// probePlugins in a child process per plugin (serve, `plugins list`, `config check`: no plugin
// code in this process; the registry holds descriptors only); loadProbedPlugins probes each
// in a child, then loads here the ones that passed (workers); loadPlugins loads them here
// (tools and benchmarks that run plugins in their own process).
plugins::PluginRegistry probePlugins(const config::Config& cfg, bool quiet = false);
plugins::PluginRegistry loadProbedPlugins(const config::Config& cfg, bool quiet = false);
plugins::PluginRegistry loadPlugins(const config::Config& cfg, bool quiet = false);

}  // namespace tributary::app
