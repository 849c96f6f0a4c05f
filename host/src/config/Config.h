#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/Log.h"

namespace tributary::config {

using std::chrono::milliseconds;

struct ServerConfig {
  std::string bind = "127.0.0.1";
  int port = 8470;
};

struct PoolConfig {
  int min = 1;
  int max = 10;
  milliseconds idleTimeout{300'000};
  bool healthCheckOnBorrow = true;
};

struct EmbeddedDatabaseConfig {
  std::filesystem::path binDir;  // empty: the newest /usr/lib/postgresql/*/bin
  std::string user = "postgres"; // the account the cluster runs as when the host is root
  std::string database = "tributary";
  int tcpPort = 0;               // 0: Unix socket only
  milliseconds startTimeout{60'000};
};

struct DatabaseConfig {
  std::string url;               // empty: the embedded cluster in STATE_DIR/postgres
  PoolConfig pool;
  EmbeddedDatabaseConfig embedded;
  bool embeddedMode() const { return url.empty(); }
};

struct PluginsConfig {
  std::vector<std::filesystem::path> dirs;
};

struct WorkersConfig {
  int processes = 0;             // 0: one per core
  int concurrency = 8;
  int memoryLimitMb = 0;         // 0: no cap
};

struct LoggingConfig {
  log::Level level = log::Level::Info;
  log::Format format = log::Format::Text;
};

struct Config {
  std::filesystem::path file;       // where it was read from; empty for built-in defaults
  std::filesystem::path stateDir;
  std::filesystem::path migrationsDir;
  ServerConfig server;
  DatabaseConfig database;
  PluginsConfig plugins;
  WorkersConfig workers;
  LoggingConfig logging;

  std::filesystem::path embeddedDataDir() const { return stateDir / "postgres"; }
};

}  // namespace tributary::config
