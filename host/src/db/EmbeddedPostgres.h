#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/Process.h"
#include "config/Config.h"

namespace tributary::db {

// A private PostgreSQL cluster under a state directory: initdb on first use, then started and
// stopped with its owner. When the host runs as root, the cluster runs as an unprivileged
// account (PostgreSQL refuses root). It listens on a Unix socket inside the state directory, or
// in a short private directory under /tmp when that path is too long for a socket.
class EmbeddedPostgres {
 public:
  enum class Lifetime {
    Child,     // ends with this process (PR_SET_PDEATHSIG), as `serve` wants
    Detached,  // outlives this process, as the test fixture wants
  };

  struct Options {
    std::filesystem::path stateDir;
    config::EmbeddedDatabaseConfig settings;
    Lifetime lifetime = Lifetime::Child;
    // fsync off and friends: for throwaway test clusters only.
    bool unsafeFastSettings = false;
    int maxConnections = 200;
  };

  explicit EmbeddedPostgres(Options options);
  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Initializes if needed, starts, waits until it accepts connections, and makes sure the
  // configured database exists. Throws std::runtime_error with what to do.
  void start();
  // Fast shutdown; waits for the cluster to exit.
  void stop();
  bool running() const;
  // Whether this call ran initdb.
  bool initialized() const { return initializedNow_; }

  std::filesystem::path dataDir() const { return options_.stateDir / "postgres"; }
  std::filesystem::path socketDir() const { return socketDir_; }
  std::filesystem::path logFile() const { return options_.stateDir / "postgres.log"; }
  // libpq connection string for `database` (default: the configured one).
  std::string conninfo(const std::string& database = "") const;

  // The same, computed without starting anything: how other processes reach a cluster that
  // `serve` runs on this state directory.
  static std::string conninfoFor(const std::filesystem::path& stateDir, const config::EmbeddedDatabaseConfig& settings,
                                 const std::string& database = "");
  static std::filesystem::path socketDirFor(const std::filesystem::path& stateDir);
  // The newest /usr/lib/postgresql/*/bin holding `postgres`; throws naming the package.
  static std::filesystem::path findBinDir(const std::filesystem::path& configured);
  // Stops a detached cluster from its postmaster.pid; true when one was running.
  static bool stopDetached(const std::filesystem::path& stateDir,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Whether the account that runs clusters (database.embedded.user when root, else this one)
  // can pass through `dir`.
  static bool clusterUserCanReach(const std::filesystem::path& dir, const config::EmbeddedDatabaseConfig& settings);

  static constexpr int kSocketPort = 5432;  // only names the socket file; no TCP unless asked
  static constexpr const char* kSuperuser = "tributary";

 private:
  void resolveIdentity();
  void prepareDirectories();
  void initdbIfNeeded();
  void waitForPreviousPostmaster();
  void launch();
  void waitUntilReady();
  void ensureDatabase();
  std::string logTail() const;

  Options options_;
  std::filesystem::path binDir_;
  std::filesystem::path socketDir_;
  std::optional<process::Identity> runAs_;
  process::Identity owner_;
  std::optional<process::Child> child_;
  bool initializedNow_ = false;
};

}  // namespace tributary::db
