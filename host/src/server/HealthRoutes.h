#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "db/Pool.h"
#include "server/Router.h"

namespace tributary::server {

// GET /health: the process is up. GET /ready: the database answers and its migrations match
// the ones this binary ships; 503 with the reason otherwise.
class HealthRoutes {
 public:
  HealthRoutes(std::shared_ptr<db::Pool> pool, std::filesystem::path migrationsDir);
  void install(Router& router);

  Response health() const;
  Response ready() const;

 private:
  std::shared_ptr<db::Pool> pool_;
  std::filesystem::path migrationsDir_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace tributary::server
