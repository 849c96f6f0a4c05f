#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::engine {

// What connection_streams holds of one connection (migration 012).
struct StoredStreams {
  // The last successful discovery's streams, in the plugin's order; none before the first.
  std::optional<std::vector<plugins::StreamDescriptor>> streams;
  bool discovered = true;  // false: the connector has no discover hook, these are its declared ones
  std::string plugin, pluginVersion;
  std::string discoveredAt;  // ISO 8601, UTC
  std::string jobId;         // the discover or sync job that found them
  // The last discovery that failed since then (the stored streams stayed as they were).
  std::optional<std::string> lastError, lastErrorAt, lastErrorJobId;

  // {connection_id?, streams (as `plugins list --json` lists a descriptor's, or null), discovered,
  //  plugin, plugin_version, discovered_at, job_id, last_error, last_error_at, last_error_job_id}
  Json toJson() const;
};

// Every statement on connection_streams: the streams a worker found for a connection, for the
// run that found them and for readers that run no plugin code (the CLI, the API process).
class ConnectionStreamsStore {
 public:
  explicit ConnectionStreamsStore(std::string connectionId) : connectionId_(std::move(connectionId)) {}

  // Nothing when no discovery of the connection was ever stored, successful or not.
  std::optional<StoredStreams> load(db::Connection& conn) const;
  // Replaces the stored list (and clears a recorded failure). In the caller's transaction.
  void store(db::Connection& conn, const std::vector<plugins::StreamDescriptor>& streams, bool discovered,
             const std::string& plugin, const std::string& pluginVersion, const std::string& jobId) const;
  // A discovery failed: the stored list stays, the failure is recorded beside it.
  void storeFailure(db::Connection& conn, const std::string& error, const std::string& jobId) const;

 private:
  std::string connectionId_;
};

// The streams as JSON, one object per stream: {name, primary_key, cursor_field, entity,
// description, flags: [names]}.
Json streamsJson(const std::vector<plugins::StreamDescriptor>& streams);

}  // namespace tributary::engine
