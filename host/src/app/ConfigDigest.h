#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "config/Config.h"

namespace tributary::app {

// Whether `connector` declares its setting `key` a secret (its value never reaches the database).
using SecretKeys = std::function<bool(const std::string& connector, const std::string& key)>;

// The workspaces and connections a configuration asks of the database, exactly as the config
// sync writes them, with a digest of the whole and one of each item.
//
// Two files get the same digest exactly when applying either leaves the same rows: key order,
// comments, quoting, a default written out or left out, the order of list items and how they
// are spread over connections.d do not count; neither do secrets' values (from ${ENV} or a
// secret_file), which never reach the database, nor keys the sync does not write (rate_limit,
// and everything outside workspaces and connections). Every value that is written counts, a
// non-secret ${ENV} one as it resolved on this host.
class DesiredConfig {
 public:
  struct Workspace {
    std::string slug;
    std::string name;
  };
  struct Connection {
    std::string workspace;
    std::string name;
    std::string connector;
    std::optional<std::string> schedule;
    Json settings;  // the non-secret settings, and base_url
    bool enabled = true;
    std::string timezone;
    std::optional<std::string> misfire;
    std::string qualifiedName() const { return workspace + "/" + name; }
  };

  static DesiredConfig from(const config::Config& cfg, const SecretKeys& isSecret);

  // Sorted by slug, and by workspace then name.
  const std::vector<Workspace>& workspaces() const { return workspaces_; }
  const std::vector<Connection>& connections() const { return connections_; }
  // Lowercase hex SHA-256 of the canonical form.
  const std::string& digest() const { return digest_; }
  // {"workspaces": {SLUG: DIGEST}, "connections": {"WS/NAME": DIGEST}}: what tells which differ.
  const Json& items() const { return items_; }

 private:
  std::vector<Workspace> workspaces_;
  std::vector<Connection> connections_;
  std::string digest_;
  Json items_;
};

// The first 12 hex digits of a digest, for messages.
std::string shortDigest(const std::string& digest);

// What differs between the applied configuration's items and this host's, by name.
struct ConfigDifference {
  std::vector<std::string> onlyApplied;   // "acme/crm", or "workspace acme"
  std::vector<std::string> onlyThisHost;  // in this host's file, not applied
  std::vector<std::string> changed;       // in both, with other values

  static ConfigDifference between(const Json& appliedItems, const Json& thisHostItems);
  bool empty() const { return onlyApplied.empty() && onlyThisHost.empty() && changed.empty(); }
  // "only in the applied configuration: acme/crm; only in this host's: acme/erp; changed: acme/hr"
  std::string describe(const std::string& mine = "this host's") const;
  Json toJson() const;
};

}  // namespace tributary::app
