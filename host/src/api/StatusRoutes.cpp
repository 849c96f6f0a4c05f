// GET .../sync/status (per connection: state, last success, streams, freshness, the running or
// parked job, the last error) and GET .../sync/history (sync_runs, newest first).
#include <fmt/format.h>

#include "api/Api.h"
#include "api/Sql.h"
#include "common/Time.h"
#include "engine/EntitySchema.h"
#include "plugins/PluginRegistry.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;
using sql::iso;
using sql::opt;

// The rows a stream holds in its entity's table (not deleted).
int64_t rowsOf(db::Connection& conn, const std::string& workspaceId, const std::string& connectionId,
               const std::string& stream, const std::string& entity) {
  const auto* e = engine::findEntity(entity);
  const std::string table = e ? e->table : "records";
  auto r = conn.exec("SELECT count(*) FROM " + table +
                         " WHERE workspace_id = $1::uuid AND connection_id = $2::uuid AND stream = $3"
                         " AND deleted_at IS NULL",
                     workspaceId, connectionId, stream);
  return r.int64(0, 0);
}

}  // namespace

void installStatusRoutes(Api& api, server::Router& router) {
  api.route(router, "GET", "/api/workspaces/:workspace/sync/status", Access::Token, [&api](Call& call) {
    auto& conn = call.db();
    const auto& ws = call.ws();
    auto c = conn.exec(
        "SELECT c.id, c.name, c.connector, c.status, c.enabled, c.paused_at IS NOT NULL, " + iso("c.paused_at") +
            ", c.schedule, c.error_message,"
            " (SELECT " +
            iso("max(r.completed_at)") +
            " FROM sync_runs r WHERE r.connection_id = c.id AND r.status IN ('completed', 'completed_with_errors')"
            "  AND NOT r.dry_run),"
            " (SELECT extract(epoch from now() - max(r.completed_at))::bigint FROM sync_runs r"
            "  WHERE r.connection_id = c.id AND r.status IN ('completed', 'completed_with_errors') AND NOT r.dry_run),"
            " (SELECT r.errors::text FROM sync_runs r WHERE r.connection_id = c.id AND r.status = 'failed'"
            "  ORDER BY r.started_at DESC LIMIT 1),"
            " (SELECT " +
            iso("r.completed_at") +
            " FROM sync_runs r WHERE r.connection_id = c.id AND r.status = 'failed'"
            "  ORDER BY r.started_at DESC LIMIT 1),"
            " (SELECT s.streams::text FROM connection_streams s WHERE s.connection_id = c.id)"
            " FROM connections c WHERE c.workspace_id = $1::uuid ORDER BY c.name",
        ws.id);
    Json connections = Json::array();
    for (int i = 0; i < c.rows(); ++i) {
      const std::string id = c.text(i, 0);
      Json entities = Json::object();
      // The descriptor's streams, unless a discovery stored this connection's own.
      if (auto plugin = api.services().registry ? api.services().registry->find(c.text(i, 2)) : nullptr) {
        for (const auto& d : plugin->streams()) entities[d.name] = d.entity.empty() ? "records" : d.entity;
      }
      if (auto s = c.optText(i, 13)) {
        for (const auto& st : Json::parse(*s)) {
          if (!st.is_object() || !st.contains("name")) continue;
          const std::string entity = st.value("entity", "");
          entities[st.value("name", "")] = entity.empty() ? "records" : entity;
        }
      }
      auto st = conn.exec("SELECT stream, " + iso("watermark") + ", status, last_mode, last_error, " +
                              iso("last_success_at") + ", " + iso("initialized_at") +
                              ", cursor IS NOT NULL FROM stream_state WHERE connection_id = $1::uuid ORDER BY stream",
                          id);
      Json streams = Json::array();
      for (int k = 0; k < st.rows(); ++k) {
        const std::string name = st.text(k, 0);
        const std::string entity = entities.contains(name) ? entities[name].get<std::string>() : "records";
        streams.push_back({{"stream", name},
                           {"entity", entity},
                           {"watermark", opt(st.optText(k, 1))},
                           {"status", st.text(k, 2)},
                           {"lastMode", opt(st.optText(k, 3))},
                           {"lastError", opt(st.optText(k, 4))},
                           {"lastSuccessAt", opt(st.optText(k, 5))},
                           {"initializedAt", opt(st.optText(k, 6))},
                           {"resumable", st.boolean(k, 7)},
                           {"records", rowsOf(conn, ws.id, id, name, entity)}});
      }
      // The job that runs it now, or waits to.
      auto j = conn.exec(
          "SELECT id, status, wait_reason, " + iso("run_at") +
              ", run_at > now(), attempts, max_attempts, last_error,"
              " progress::text, " +
              iso("heartbeat_at") +
              ", extract(epoch from now() - coalesce(heartbeat_at, started_at))::bigint"
              " FROM jobs WHERE connection_id = $1::uuid AND kind IN ('sync', 'backfill') AND status IN ('pending', 'running')"
              " ORDER BY status = 'running' DESC, created_at LIMIT 1",
          id);
      Json job = nullptr;
      std::string state = c.text(i, 3);
      if (!j.empty()) {
        const std::string status = j.text(0, 1);
        const auto wait = j.optText(0, 2);
        job = {{"id", j.text(0, 0)},
               {"status", status},
               {"attempts", j.int64(0, 5)},
               {"maxAttempts", j.int64(0, 6)},
               {"progress", Json::parse(j.view(0, 8))},
               {"lastError", opt(j.optText(0, 7))}};
        if (status == "pending" && wait && j.boolean(0, 4)) {
          // Parked: told apart from stuck. A vendor's rate limit or quota is waited out.
          job["waitReason"] = *wait;
          job["runAt"] = j.text(0, 3);
          const std::string why = *wait == "quota"        ? "waiting on a vendor quota"
                                  : *wait == "rate_limit" ? "waiting on a vendor rate limit"
                                  : *wait == "backoff"    ? "waiting to retry after a failure"
                                                          : "waiting (" + *wait + ")";
          job["state"] = why + " until " + j.text(0, 3);
          state = "waiting";
        } else if (status == "running") {
          const int64_t quiet = j.isNull(0, 10) ? 0 : j.int64(0, 10);
          // Its worker's heartbeats keep the lease: none for a whole lease is a worker in trouble.
          const bool stuck =
              quiet * 1000 > std::chrono::duration_cast<std::chrono::milliseconds>(api.cfg().queue.lease).count();
          job["state"] = stuck ? fmt::format("stuck: no heartbeat for {} s", quiet) : "running";
          job["heartbeatAt"] = opt(j.optText(0, 9));
          state = stuck ? "stuck" : "syncing";
        } else {
          job["state"] = "queued";
          state = "queued";
        }
      }
      if (c.boolean(i, 5)) state = "paused";
      if (!c.boolean(i, 4)) state = "disabled";
      Json lastError = nullptr;
      if (auto e = c.optText(i, 8)) {
        lastError = {{"message", *e}, {"at", opt(c.optText(i, 12))}};
      } else if (auto errs = c.optText(i, 11)) {
        auto arr = Json::parse(*errs);
        if (arr.is_array() && !arr.empty()) {
          lastError = {{"message", arr.back().is_string() ? arr.back() : Json(arr.back().dump())},
                       {"at", opt(c.optText(i, 12))}};
        }
      }
      connections.push_back({{"connection", c.text(i, 1)},
                             {"connector", c.text(i, 2)},
                             {"status", state},
                             {"enabled", c.boolean(i, 4)},
                             {"paused", c.boolean(i, 5)},
                             {"pausedAt", opt(c.optText(i, 6))},
                             {"schedule", opt(c.optText(i, 7))},
                             {"lastSyncAt", opt(c.optText(i, 9))},
                             {"freshnessSeconds", c.isNull(i, 10) ? Json(nullptr) : Json(c.int64(i, 10))},
                             {"streams", streams},
                             {"job", job},
                             {"lastError", lastError}});
    }
    return Response::json(200, {{"workspace", ws.slug}, {"connections", connections}});
  });

  api.route(router, "GET", "/api/workspaces/:workspace/sync/history", Access::Token, [](Call& call) {
    const int64_t limit = call.intQuery("limit", 20, 1, 100);
    auto r = call.db().exec(
        "SELECT r.id, c.name, r.connector, r.job_id, r.mode, r.sync_type, r.status, r.dry_run, r.records_synced,"
        " r.errors::text, r.duration_ms, " +
            iso("r.started_at") + ", " + iso("r.completed_at") +
            ", (r.metadata -> 'totals')::text"
            " FROM sync_runs r LEFT JOIN connections c ON c.id = r.connection_id"
            " WHERE r.workspace_id = $1::uuid AND " +
            sql::connectorMatches("c.name", "r.connector", "$1", "$2") + " ORDER BY r.started_at DESC LIMIT $3",
        call.ws().id, call.query("connector"), limit);
    Json runs = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      runs.push_back({{"id", r.text(i, 0)},
                      {"connection", opt(r.optText(i, 1))},
                      {"connector", r.text(i, 2)},
                      {"jobId", opt(r.optText(i, 3))},
                      {"mode", r.text(i, 4)},
                      {"syncType", r.text(i, 5)},
                      {"status", r.text(i, 6)},
                      {"dryRun", r.boolean(i, 7)},
                      {"recordsSynced", r.int64(i, 8)},
                      {"errors", Json::parse(r.view(i, 9))},
                      {"durationMs", r.isNull(i, 10) ? Json(nullptr) : Json(r.int64(i, 10))},
                      {"startedAt", r.text(i, 11)},
                      {"completedAt", opt(r.optText(i, 12))},
                      {"totals", r.isNull(i, 13) ? Json(nullptr) : Json::parse(r.view(i, 13))}});
    }
    return Response::json(200, {{"runs", runs}});
  });
}

}  // namespace tributary::api
