#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/Config.h"
#include "db/EmbeddedPostgres.h"
#include "db/StateDirLock.h"

namespace tributary::db {

// How this process reaches its database: the configured URL, or the embedded cluster under the
// state directory, which it starts (and owns) or, when `serve` already runs it, joins.
class DatabaseHandle {
 public:
  enum class Mode {
    Own,          // serve: hold the state dir and run the cluster; refuse if another holds it
    OwnOrAttach,  // migrate, serve --role worker: run it for the process's duration, or join a running serve
    // Every other command: join the cluster of a running serve, never start one (which would
    // initdb a cluster wherever a default config points, then find no tables in it).
    Attach,
  };

  // Throws std::runtime_error with what to do, naming the configuration file.
  static std::unique_ptr<DatabaseHandle> open(const config::Config& cfg, Mode mode, const std::string& role);

  const std::string& conninfo() const { return conninfo_; }
  EmbeddedPostgres* embedded() const { return pg_.get(); }
  // Stops an owned embedded cluster now (it also stops on destruction).
  void close();

 private:
  std::string conninfo_;
  std::optional<StateDirLock> lock_;
  std::unique_ptr<EmbeddedPostgres> pg_;
};

}  // namespace tributary::db
