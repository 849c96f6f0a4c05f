// Workspaces, connections (with a pause that survives restarts), write-back actions and the
// OAuth connect flow's authorize redirect. YAML stays the source of truth for which workspaces
// and connections exist: nothing here creates or deletes one.
#include <fmt/format.h>

#include <thread>

#include "actions/ActionJobs.h"
#include "api/Api.h"
#include "api/JobView.h"
#include "api/Sql.h"
#include "auth/ConnectFlow.h"
#include "auth/OAuthCallback.h"
#include "common/Time.h"
#include "http/HttpService.h"
#include "plugins/ActionBody.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobQueue.h"
#include "secrets/HostKeys.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;
using sql::iso;
using sql::opt;

Json workspaceJson(db::Connection& conn, const Workspace& ws) {
  auto r = conn.exec(
      "SELECT count(*), count(*) FILTER (WHERE enabled), count(*) FILTER (WHERE paused_at IS NOT NULL)"
      " FROM connections WHERE workspace_id = $1::uuid",
      ws.id);
  return {{"id", ws.id},
          {"slug", ws.slug},
          {"name", ws.name},
          {"enabled", ws.enabled},
          {"connections", r.int64(0, 0)},
          {"enabledConnections", r.int64(0, 1)},
          {"pausedConnections", r.int64(0, 2)}};
}

struct ConnectionRow {
  std::string id, name, connector;
  bool enabled;
};

ConnectionRow connectionOr404(Call& call, const std::string& key) {
  auto r =
      call.db().exec("SELECT id, name, connector, enabled FROM connections WHERE workspace_id = $1::uuid AND name = $2",
                     call.ws().id, key);
  if (r.empty()) notFound("no connection \"" + key + "\" in workspace \"" + call.ws().slug + "\"");
  return {r.text(0, 0), r.text(0, 1), r.text(0, 2), r.boolean(0, 3)};
}

// The YAML's auth of a connection, with every value masked: which type, and which keys are set.
Json authOf(const config::Config& cfg, const std::string& workspace, const std::string& name) {
  const auto* c = cfg.findConnection(workspace, name);
  if (!c || c->auth.type.empty()) return nullptr;
  Json a = {{"type", c->auth.type}};
  if (!c->auth.credential.empty()) a["credential"] = c->auth.credential;
  if (c->auth.scopes) a["scopes"] = *c->auth.scopes;
  return a;
}

Response pauseOrResume(Api& api, Call& call, bool pause) {
  (void)call.body({});
  auto c = connectionOr404(call, call.param("connection"));
  auto r = pause ? call.db().exec(
                       "UPDATE connections SET paused_at = coalesce(paused_at, now()), paused_by = $2,"
                       " updated_at = now() WHERE id = $1::uuid RETURNING " +
                           iso("paused_at"),
                       c.id, call.who.name)
                 : call.db().exec(
                       "UPDATE connections SET paused_at = NULL, paused_by = NULL, updated_at = now()"
                       " WHERE id = $1::uuid RETURNING NULL::text",
                       c.id);
  api.audit(call, pause ? "connection.pause" : "connection.resume", call.ws().slug + "/" + c.name);
  return Response::json(200, {{"connection", c.name},
                              {"paused", pause},
                              {"pausedAt", opt(r.optText(0, 0))},
                              {"message", pause ? "paused: the scheduler skips it and sync requests answer 409 until "
                                                  "it is resumed; a running sync finishes"
                                                : "resumed: its schedule applies again"}});
}

}  // namespace

void installWorkspaceRoutes(Api& api, server::Router& router) {
  api.route(router, "GET", "/api/workspaces", Access::Token, [](Call& call) {
    auto r = call.db().exec(
        "SELECT id, slug, name, enabled FROM workspaces WHERE $1::uuid IS NULL OR id = $1::uuid ORDER BY slug",
        call.who.admin() ? std::nullopt : call.who.workspaceId);
    Json out = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(workspaceJson(call.db(), {r.text(i, 0), r.text(i, 1), r.text(i, 2), r.boolean(i, 3)}));
    }
    return Response::json(200, {{"workspaces", out}});
  });

  api.route(router, "GET", "/api/workspaces/:workspace", Access::Token,
            [](Call& call) { return Response::json(200, workspaceJson(call.db(), call.ws())); });

  api.route(router, "GET", "/api/workspaces/:workspace/connections", Access::Token, [&api](Call& call) {
    auto r = call.db().exec(
        "SELECT c.name, c.connector, c.status, c.enabled, c.schedule, c.settings::text, c.paused_at IS NOT NULL, " +
            iso("c.paused_at") + ", c.paused_by, " + iso("c.last_sync_at") +
            ", c.error_message, c.id,"
            " (SELECT s.streams::text FROM connection_streams s WHERE s.connection_id = c.id)"
            " FROM connections c WHERE c.workspace_id = $1::uuid ORDER BY c.name",
        call.ws().id);
    Json out = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      Json streams = Json::array();
      if (auto s = r.optText(i, 12)) {
        for (const auto& st : Json::parse(*s)) {
          if (st.is_object()) streams.push_back({{"name", st.value("name", "")}, {"entity", st.value("entity", "")}});
        }
      }
      // connections.settings holds the YAML's non-secret settings only; the secret ones are
      // never stored, and auth shows its type, not its values.
      out.push_back({{"id", r.text(i, 11)},
                     {"name", r.text(i, 0)},
                     {"connector", r.text(i, 1)},
                     {"status", r.text(i, 2)},
                     {"enabled", r.boolean(i, 3)},
                     {"schedule", opt(r.optText(i, 4))},
                     {"settings", Json::parse(r.view(i, 5))},
                     {"auth", authOf(api.cfg(), call.ws().slug, r.text(i, 0))},
                     {"paused", r.boolean(i, 6)},
                     {"pausedAt", opt(r.optText(i, 7))},
                     {"pausedBy", opt(r.optText(i, 8))},
                     {"lastSyncAt", opt(r.optText(i, 9))},
                     {"error", opt(r.optText(i, 10))},
                     {"streams", streams}});
    }
    return Response::json(200, {{"connections", out}});
  });

  api.route(router, "POST", "/api/workspaces/:workspace/connections/:connection/pause", Access::Token,
            [&api](Call& call) { return pauseOrResume(api, call, true); });
  api.route(router, "POST", "/api/workspaces/:workspace/connections/:connection/resume", Access::Token,
            [&api](Call& call) { return pauseOrResume(api, call, false); });

  api.route(
      router, "GET", "/api/workspaces/:workspace/connections/:connection/oauth/authorize", Access::Token,
      [&api](Call& call) {
        auto c = connectionOr404(call, call.param("connection"));
        auth::AuthSettings s;
        try {
          s = auth::oauthSettingsOf(call.db(), api.cfg(), *api.services().registry, c.id);
        } catch (const std::invalid_argument& e) {
          throw ApiError(409, "not_oauth", e.what());
        }
        auto ring = api.services().http->keyRing();
        const auto started = auth::ConnectFlow(ring, api.services().http->transport())
                                 .begin(call.db(), s, call.query("redirect_uri").value_or(""));
        api.audit(call, "oauth.authorize", call.ws().slug + "/" + c.name);
        if (call.query("format").value_or("") == "json") {
          return Response::json(
              200, {{"connection", c.name}, {"url", started.url}, {"expiresAt", time::iso8601Ms(started.expiresAtMs)}});
        }
        auto res = Response::json(302, {{"url", started.url}});
        res.headers["Location"] = started.url;
        return res;
      });

  api.route(
      router, "POST", "/api/workspaces/:workspace/connectors/:connector/actions/:action", Access::Token,
      [&api](Call& call) {
        auto c = connectionOr404(call, call.param("connector"));
        if (!c.enabled) throw ApiError(409, "connection_disabled", "connection \"" + c.name + "\" is disabled");
        auto plugin = api.services().registry->find(c.connector);
        if (!plugin) {
          throw ApiError(503, "plugin_not_loaded",
                         "connector " + c.connector + " is not loaded on this host: its actions cannot be checked");
        }
        const std::string bodyText = call.req.body.empty() ? "{}" : call.req.body;
        Json parsed;
        try {
          parsed = Json::parse(bodyText);
        } catch (const Json::parse_error&) {
          (void)call.body({});  // the same 400, naming line and column
        }
        const auto checked = plugins::ActionBody::check(*plugin, call.param("action"), bodyText);
        if (!checked.ok()) {
          const bool unknown = !checked.action();
          if (unknown) notFound("connector " + c.connector + " has no action \"" + call.param("action") + "\"");
          throw ApiError(400, "invalid_body", checked.problems().front(), Json{{"problems", checked.problems()}});
        }
        const auto queued = api.queue().enqueue(actions::actionJob(*checked.action(), call.ws().id, c.id, parsed));
        api.audit(call, "action.run", call.ws().slug + "/" + c.name + "/" + call.param("action"),
                  {{"jobId", queued.jobId}});
        const std::string url = "/api/workspaces/" + call.ws().slug + "/sync/jobs/" + queued.jobId;
        if (call.query("wait").value_or("") == "true") {
          // Bounded: past api.action_wait the answer is the 202 a plain call gets.
          const auto until = std::chrono::steady_clock::now() + api.cfg().api.actionWait;
          while (std::chrono::steady_clock::now() < until) {
            auto v = loadJob(call.db(), call.ws().id, queued.jobId);
            if (v && v->finished()) {
              Json out = v->toJson();
              out["output"] = v->job.result;
              return Response::json(v->job.status == queue::JobStatus::Completed ? 200 : 502, out);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
        auto v = loadJob(call.db(), call.ws().id, queued.jobId);
        Json out = v ? v->toJson() : Json{{"id", queued.jobId}};
        out["jobId"] = queued.jobId;
        out["statusUrl"] = url;
        auto res = Response::json(202, out);
        res.headers["Location"] = url;
        return res;
      });
}

}  // namespace tributary::api
