#include "server/HealthRoutes.h"

#include "db/Migrator.h"

namespace tributary::server {

HealthRoutes::HealthRoutes(std::shared_ptr<db::Pool> pool, std::filesystem::path migrationsDir, ConfigReport config)
    : pool_(std::move(pool)),
      migrationsDir_(std::move(migrationsDir)),
      config_(std::move(config)),
      started_(std::chrono::steady_clock::now()) {}

void HealthRoutes::install(Router& router) {
  router.add("GET", "/health", [this](const Request&) { return health(); });
  router.add("GET", "/ready", [this](const Request&) { return ready(); });
}

Response HealthRoutes::health() const {
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  return Response::json(200, {{"status", "ok"}, {"version", TRIBUTARY_VERSION}, {"uptime_s", up.count()}});
}

Response HealthRoutes::ready() const {
  Json checks = Json::object();
  Json config;
  try {
    auto conn = pool_->acquire(std::chrono::seconds(2));
    if (!conn->ping()) {
      conn.discard();
      throw db::DbError("the database did not answer");
    }
    checks["database"] = "ok";
    db::Migrator migrator(*conn, migrationsDir_);
    auto st = migrator.status();
    if (!st.problems.empty()) {
      checks["migrations"] = st.problems.front();
      return Response::json(503, {{"status", "not_ready"}, {"reason", st.problems.front()}, {"checks", checks}});
    }
    if (!st.pending.empty()) {
      std::string reason =
          std::to_string(st.pending.size()) + " migration(s) pending, first " + st.pending.front().name;
      checks["migrations"] = reason;
      return Response::json(503, {{"status", "not_ready"}, {"reason", reason}, {"checks", checks}});
    }
    checks["migrations"] = "ok (" + std::to_string(st.applied.size()) + " applied)";
    if (config_) {
      try {
        config = config_(*conn);
        checks["config"] = config.value("summary", "");
      } catch (const std::exception& e) {
        checks["config"] = std::string("unknown: ") + e.what();
      }
    }
  } catch (const std::exception& e) {
    std::string reason = std::string("database unavailable: ") + e.what();
    checks["database"] = reason;
    auto out = Response::json(503, {{"status", "not_ready"}, {"reason", reason}, {"checks", checks}});
    out.headers["Retry-After"] = "5";
    return out;
  }
  Json body = {{"status", "ready"}, {"checks", checks}};
  if (!config.is_null()) body["config"] = config;
  return Response::json(200, body);
}

}  // namespace tributary::server
