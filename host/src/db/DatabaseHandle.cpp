#include "db/DatabaseHandle.h"

#include <algorithm>
#include <thread>

#include "config/ConnectionBudget.h"

#include <libpq-fe.h>

#include <filesystem>
#include <stdexcept>

#include "common/Log.h"

namespace tributary::db {

std::unique_ptr<DatabaseHandle> DatabaseHandle::open(const config::Config& cfg, Mode mode, const std::string& role) {
  auto h = std::unique_ptr<DatabaseHandle>(new DatabaseHandle());
  if (!cfg.database.embeddedMode()) {
    h->conninfo_ = cfg.database.url;
    return h;
  }
  const std::string file = cfg.file.empty() ? std::string("the built-in defaults") : cfg.file.string();
  if (mode == Mode::Own) {
    h->lock_ = StateDirLock::acquire(cfg.stateDir, role);
  } else {
    // Attach creates nothing: no state dir, no lock file, no cluster. A serve holds the lock file
    // while it runs.
    bool served = false;
    std::error_code ec;
    if (std::filesystem::exists(cfg.stateDir / "tributary.lock", ec)) {
      h->lock_ = StateDirLock::tryAcquire(cfg.stateDir, role);
      served = !h->lock_;
    }
    if (mode == Mode::Attach && !served) {
      throw std::runtime_error("no database to use: " + file +
                               " sets no database.url, so its database is the embedded cluster in " +
                               cfg.embeddedDataDir().string() + ", and no `tributary serve` is running it. Start " +
                               "`tributary serve" + (cfg.file.empty() ? "" : " --config " + file) +
                               "` first, or set database.url to your PostgreSQL (`tributary " + role +
                               "` never starts a cluster of its own)");
    }
    if (!served && !h->lock_) h->lock_ = StateDirLock::tryAcquire(cfg.stateDir, role);
    if (!h->lock_) {
      // A serve holds the state dir: use its cluster.
      h->conninfo_ = EmbeddedPostgres::conninfoFor(cfg.stateDir, cfg.database.embedded);
      const std::string ping = h->conninfo_ + " connect_timeout=5";
      if (PQping(ping.c_str()) != PQPING_OK) {
        std::string holder = StateDirLock::describeHolder(cfg.stateDir);
        throw std::runtime_error(
            "state_dir " + cfg.stateDir.string() + " is held by " + (holder.empty() ? "another tributary" : holder) +
            ", but its embedded PostgreSQL does not answer on " +
            EmbeddedPostgres::socketDirFor(cfg.stateDir).string() + ": wait for it to finish starting, or stop it");
      }
      log::debug("db", "joined the embedded cluster of {}", StateDirLock::describeHolder(cfg.stateDir));
      return h;
    }
  }
  EmbeddedPostgres::Options o;
  o.stateDir = cfg.stateDir;
  o.settings = cfg.database.embedded;
  o.lifetime = EmbeddedPostgres::Lifetime::Child;
  // Room for this host's whole budget, and for the CLI and psql beside it.
  try {
    o.maxConnections = std::max(
        200, config::ConnectionBudget::of(cfg, static_cast<int>(std::thread::hardware_concurrency())).total + 20);
  } catch (const std::invalid_argument&) {
    // A budget that cannot fit is refused by serve with its reason; the cluster starts anyway.
  }
  h->pg_ = std::make_unique<EmbeddedPostgres>(o);
  h->pg_->start();
  h->conninfo_ = h->pg_->conninfo();
  return h;
}

void DatabaseHandle::close() {
  if (pg_) {
    pg_->stop();
    pg_.reset();
  }
  lock_.reset();
}

}  // namespace tributary::db
