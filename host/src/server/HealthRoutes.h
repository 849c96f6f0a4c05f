#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "db/Pool.h"
#include "server/Router.h"

namespace tributary::server {

// GET /health: the process is up. GET /ready: the database answers and its migrations match
// the ones this binary ships; 503 with the reason otherwise.
//
// `config`, when given, adds the "config" part of /ready's body: whether this host's YAML is the
// one the database follows (app::ConfigSync::report), with its "summary" as checks.config. It
// never makes /ready 503: a host whose YAML differs from the applied one serves the API and runs
// jobs against the applied configuration as well as any, and in a rolling deploy every host but
// one differs for a while; taking them out of a load balancer then would be an outage of its own.
class HealthRoutes {
 public:
  using ConfigReport = std::function<Json(db::Connection&)>;

  HealthRoutes(std::shared_ptr<db::Pool> pool, std::filesystem::path migrationsDir, ConfigReport config = {});
  void install(Router& router);

  Response health() const;
  Response ready() const;

 private:
  std::shared_ptr<db::Pool> pool_;
  std::filesystem::path migrationsDir_;
  ConfigReport config_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace tributary::server
