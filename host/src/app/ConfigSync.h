#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/ConfigDigest.h"
#include "config/Config.h"
#include "db/Connection.h"
#include "plugins/PluginRegistry.h"

namespace tributary::app {

struct ConfigSyncResult {
  int workspaces = 0;
  int connections = 0;
  int disabled = 0;  // connections in the database but no longer in YAML
};

// Makes the workspaces and connections tables follow `desired`, in the caller's transaction. A
// connection removed from YAML is disabled, never deleted, so its data stays; one that returns
// is enabled again. Secret settings never reach the database (DesiredConfig leaves them out).
ConfigSyncResult applyDesiredConfig(db::Connection& conn, const DesiredConfig& desired);

// The same from a configuration, in one transaction, unconditionally (no digest, no lock): for
// tools and benchmarks that own their database.
ConfigSyncResult syncConfigToDatabase(db::Connection& conn, const config::Config& cfg,
                                      const plugins::PluginRegistry& registry);

// The secret settings the loaded plugins declare.
SecretKeys secretKeysOf(const plugins::PluginRegistry& registry);

// The configuration the database follows (config_applied).
struct AppliedConfig {
  std::string digest;
  Json items;
  std::string appliedBy;  // "HOSTNAME pid N"
  std::string configFile;
  std::string reason;
  std::string appliedAt;  // ISO 8601, UTC
};

// A serve running against the database now (config_hosts, live by its session's advisory lock).
struct RunningHost {
  std::string host;  // "HOSTNAME pid N"
  std::string role;  // all or worker
  std::string configFile;
  std::string digest;
  std::string version;
  std::string startedAt;
  int backendPid = 0;
};

// Which YAML the database follows when several hosts share it (docs/operators.md, "Which host
// applies the configuration"). At start, under an advisory lock, a host (role all) applies its
// YAML when
//   - no configuration was ever applied to this database (the first host), or
//   - it was started with --apply-config, or
//   - every other running host (role all) has this same YAML (none running counts: a lone host
//     applies its file, as one host always did),
// and otherwise changes nothing: a host whose YAML matches the applied one has nothing to do,
// and one whose YAML differs (drift) logs it loudly and shows it in /ready, until it is
// restarted with the applied file or with --apply-config. A worker host never applies.
// Each running host registers with its digest, holding a shared advisory lock on a session of
// its own, so that a host that exits or crashes stops counting when PostgreSQL ends its session.
class ConfigSync {
 public:
  struct Options {
    bool workerOnly = false;  // serve --role worker: never applies
    bool apply = false;       // serve --apply-config
    std::string hostName;     // "HOSTNAME pid N"
    std::filesystem::path configFile;
    // How often the host checks its registration (re-registering after a lost session) and
    // whether another host applied a configuration meanwhile, which it then logs.
    std::chrono::milliseconds checkInterval{10'000};
  };

  enum class Outcome { Applied, Matches, Drift };
  struct Decision {
    bool apply = false;
    std::string reason;  // why it applies
  };
  struct StartResult {
    Outcome outcome = Outcome::Matches;
    std::string reason;
    ConfigSyncResult synced;  // when applied
  };

  // `conninfo` as for every session of serve (with its session settings).
  ConfigSync(std::string conninfo, DesiredConfig desired, Options options);
  ~ConfigSync();
  ConfigSync(const ConfigSync&) = delete;
  ConfigSync& operator=(const ConfigSync&) = delete;

  // Decides, applies or reports, registers this host and starts watching. Throws db::DbError
  // when the database cannot be reached.
  StartResult start();
  void stop();

  // The "config" part of /ready's body, read anew: this host's digest and file, the applied one
  // (digest, by whom, from which file, when, why), what differs by name, and the running hosts.
  Json report(db::Connection& conn) const;
  const DesiredConfig& desired() const { return desired_; }

  // The rule above, on digests. `others`: the digests of the other running hosts of role all.
  static Decision decide(const std::string& mine, const std::optional<std::string>& applied,
                         const std::vector<std::string>& others, bool applyFlag, bool workerOnly);
  // nullopt before any host applied a configuration (or before migration 010).
  static std::optional<AppliedConfig> readApplied(db::Connection& conn);
  static std::vector<RunningHost> runningHosts(db::Connection& conn);
  // This process, as config_applied and config_hosts name it: "HOSTNAME pid N".
  static std::string thisHostName();

 private:
  StartResult registerAndDecide(bool first);
  void watch();
  void logDrift(const AppliedConfig& applied, const std::vector<RunningHost>& hosts, bool atStart) const;

  std::string conninfo_;
  DesiredConfig desired_;
  Options options_;
  std::unique_ptr<db::Connection> session_;  // holds the shared advisory lock while this host runs
  std::optional<std::string> lastApplied_;   // the applied digest the watcher saw last
  std::thread watcher_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace tributary::app
