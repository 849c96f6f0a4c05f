// POST .../sync (a workspace: one passive parent job over one child per connection),
// POST .../connectors/{c}/sync (one connection) and POST .../connectors/{c}/backfill. Each
// answers 202 as soon as its jobs are committed; no route waits for a sync.
#include <fmt/format.h>

#include <algorithm>

#include "api/Api.h"
#include "common/Strings.h"
#include "common/SyncMode.h"
#include "common/Time.h"
#include "db/PgArray.h"
#include "queue/JobQueue.h"
#include "scheduler/SyncMode.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;

struct Target {
  std::string id, name, connector;
  bool enabled = true;
  bool paused = false;
};

// What a sync asks for, read from its body.
struct SyncAsk {
  sync::Requested mode;
  std::optional<std::string> from, to;
  std::vector<std::string> ids, streams;
  bool dryRun = false;
  bool backfill() const { return mode == sync::Mode::Backfill; }
};

std::optional<std::string> isoField(const Json& body, const char* name) {
  if (!body.contains(name)) return std::nullopt;
  const std::string v = body[name];
  if (!time::parseIso8601(v)) {
    throw ApiError(400, "invalid_field", fmt::format("field \"{}\" must be an ISO 8601 time, got \"{}\"", name, v),
                   Json{{"field", name}});
  }
  return v;
}

SyncAsk readAsk(const Json& body, bool backfillRoute) {
  SyncAsk a;
  if (backfillRoute) {
    a.mode = sync::Mode::Backfill;
  } else if (body.contains("mode")) {
    const std::string m = body["mode"];
    if (m != "initial" && m != "incremental" && m != "backfill" && m != "auto") {
      throw ApiError(400, "invalid_field",
                     "field \"mode\" must be initial, incremental, backfill or auto, got \"" + m + "\"",
                     Json{{"field", "mode"}});
    }
    a.mode = sync::parseRequested(m);
  }
  a.from = isoField(body, "from");
  a.to = isoField(body, "to");
  if (body.contains("ids")) a.ids = body["ids"].get<std::vector<std::string>>();
  if (body.contains("streams")) a.streams = body["streams"].get<std::vector<std::string>>();
  a.dryRun = body.value("dryRun", false);
  if (a.backfill() && !a.from && !a.to && a.ids.empty()) {
    throw ApiError(400, "invalid_body", "a backfill needs from/to (a time window) or ids", Json{{"field", "from"}});
  }
  if (!a.backfill() && (a.from || a.to || !a.ids.empty())) {
    const char* f = a.from ? "from" : (a.to ? "to" : "ids");
    throw ApiError(400, "invalid_body", std::string("field \"") + f + "\" goes with mode \"backfill\"",
                   Json{{"field", f}});
  }
  if (a.from && a.to && *time::parseIso8601(*a.from) >= *time::parseIso8601(*a.to)) {
    throw ApiError(400, "invalid_body", "\"from\" must be before \"to\"", Json{{"field", "from"}});
  }
  return a;
}

std::vector<Target> targetsOf(db::Connection& conn, const std::string& workspaceId) {
  auto r = conn.exec(
      "SELECT id, name, connector, enabled, paused_at IS NOT NULL FROM connections WHERE workspace_id = $1::uuid"
      " ORDER BY name",
      workspaceId);
  std::vector<Target> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.boolean(i, 3), r.boolean(i, 4)});
  }
  return out;
}

bool isType(const Target& t, const std::string& type) {
  if (t.connector == type) return true;
  // "hubspot" names tributary.hubspot.
  return t.connector.size() > type.size() &&
         t.connector.compare(t.connector.size() - type.size(), type.size(), type) == 0 &&
         t.connector[t.connector.size() - type.size() - 1] == '.';
}

// The connection a {connector} segment names: a connection's name, else the one connection of
// that connector type.
Target findOne(db::Connection& conn, const Workspace& ws, const std::string& key) {
  // By name first: one indexed row, the common case.
  auto byName = conn.execPrepared(
      "SELECT id, name, connector, enabled, paused_at IS NOT NULL FROM connections WHERE workspace_id = $1::uuid"
      " AND name = $2",
      ws.id, key);
  if (!byName.empty()) {
    return {byName.text(0, 0), byName.text(0, 1), byName.text(0, 2), byName.boolean(0, 3), byName.boolean(0, 4)};
  }
  auto all = targetsOf(conn, ws.id);
  for (const auto& t : all) {
    if (t.name == key) return t;
  }
  std::vector<Target> typed;
  for (const auto& t : all) {
    if (isType(t, key)) typed.push_back(t);
  }
  if (typed.size() == 1) return typed.front();
  if (typed.size() > 1) {
    std::vector<std::string> names;
    for (const auto& t : typed) names.push_back(t.name);
    throw ApiError(400, "ambiguous_connector",
                   "workspace \"" + ws.slug + "\" has " + std::to_string(typed.size()) + " connections of " + key +
                       " (" + strings::join(names, ", ") + "): name one",
                   Json{{"connections", names}});
  }
  notFound("no connection \"" + key + "\" in workspace \"" + ws.slug + "\"");
}

// The jobs that already sync these connections (pending or running), by connection id.
std::map<std::string, std::string> busy(db::Connection& conn, const std::vector<Target>& targets, bool backfill) {
  std::vector<std::string> ids;
  for (const auto& t : targets) ids.push_back(t.id);
  auto r = conn.execPrepared(
      "SELECT DISTINCT ON (connection_id) connection_id, id FROM jobs WHERE connection_id = ANY($1::uuid[])"
      " AND kind = $2 AND status IN ('pending', 'running') ORDER BY connection_id, status = 'running' DESC, created_at",
      db::Param(db::textArray(ids)), backfill ? "backfill" : "sync");
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = r.text(i, 1);
  return out;
}

queue::EnqueueRequest jobFor(queue::JobQueue& q, const Workspace& ws, const Target& t, const SyncAsk& a,
                             const std::unordered_map<std::string, sync::Mode>& expected,
                             const std::optional<std::string>& parent) {
  queue::EnqueueRequest e;
  e.kind = a.backfill() ? "backfill" : "sync";
  if (auto m = expected.find(t.id); m != expected.end()) {
    e.timeoutMs = q.defaultTimeoutMs("sync", Json{{"mode", sync::toString(m->second)}});
  }
  e.workspaceId = ws.id;
  e.connectionId = t.id;
  e.parentJobId = parent;
  e.priority = queue::kPriorityManual;
  Json p = {{"mode", sync::toString(a.mode)}, {"sync_type", a.backfill() ? "backfill" : "manual"}};
  if (a.dryRun) p["dry_run"] = true;
  if (!a.streams.empty()) p["streams"] = a.streams;
  if (a.from || a.to) {
    p["window"] = Json::object();
    if (a.from) p["window"]["from"] = *a.from;
    if (a.to) p["window"]["to"] = *a.to;
  }
  if (!a.ids.empty()) p["ids"] = a.ids;
  e.payload = p;
  // One manual sync per connection at a time: the check above answers 409 for a busy one, and
  // the key settles a race between two requests.
  if (!a.backfill() && !a.dryRun) e.uniqueKey = "sync:" + t.id + ":manual";
  return e;
}

std::string statusUrl(const Workspace& ws, const std::string& jobId) {
  return "/api/workspaces/" + ws.slug + "/sync/jobs/" + jobId;
}

// Queues a sync of `targets` (a workspace's: under a passive parent when `parent`), skipping
// busy and paused ones; 409 when none is left.
Response startSync(Api& api, Call& call, std::vector<Target> targets, const SyncAsk& ask, bool parent) {
  auto& conn = call.db();
  const auto& ws = call.ws();
  Json skipped = Json::array();
  std::vector<Target> free;
  Json busyIds = Json::array();
  auto inFlight = busy(conn, targets, ask.backfill());
  for (const auto& t : targets) {
    if (t.paused) {
      skipped.push_back({{"connection", t.name}, {"connector", t.connector}, {"reason", "paused"}});
    } else if (auto b = inFlight.find(t.id); b != inFlight.end() && !ask.dryRun) {
      skipped.push_back(
          {{"connection", t.name}, {"connector", t.connector}, {"reason", "already_syncing"}, {"jobId", b->second}});
      busyIds.push_back(b->second);
    } else {
      free.push_back(t);
    }
  }
  if (free.empty()) {
    const bool allPaused = busyIds.empty();
    conflict(allPaused ? "every requested connection is paused: resume it first (POST .../connections/NAME/resume)"
                       : "every requested connection already has a sync pending or running",
             Json{{"jobIds", busyIds}, {"skipped", skipped}});
  }
  std::unordered_map<std::string, sync::Mode> expected;
  if (!ask.mode) {
    std::vector<std::string> ids;
    for (const auto& t : free) ids.push_back(t.id);
    expected = scheduler::autoSyncModes(conn, ids);
  }
  db::Transaction tx(conn);
  std::optional<std::string> parentId;
  if (parent) {
    std::vector<std::string> names;
    for (const auto& t : free) names.push_back(t.name);
    Json payload = {{"mode", sync::toString(ask.mode)}, {"connections", names}, {"skipped", skipped}};
    if (ask.dryRun) payload["dry_run"] = true;
    auto r = conn.exec(
        "INSERT INTO jobs (kind, workspace_id, payload, priority, status, passive, timeout_ms, max_attempts, started_at)"
        " VALUES ('workspace_sync', $1::uuid, $2::jsonb, $3, 'running', true, 1, 1, now()) RETURNING id",
        ws.id, payload.dump(), queue::kPriorityManual);
    parentId = r.text(0, 0);
  }
  std::vector<queue::EnqueueRequest> reqs;
  for (const auto& t : free) reqs.push_back(jobFor(api.queue(), ws, t, ask, expected, parentId));
  auto results = api.queue().enqueueMany(conn, reqs);
  Json jobIds = Json::array();
  Json queued = Json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].existing) {
      // Another request queued it a moment ago.
      skipped.push_back({{"connection", free[i].name},
                         {"connector", free[i].connector},
                         {"reason", "already_syncing"},
                         {"jobId", results[i].jobId}});
      busyIds.push_back(results[i].jobId);
      continue;
    }
    jobIds.push_back(results[i].jobId);
    queued.push_back(free[i].name);
  }
  if (jobIds.empty()) {
    tx.rollback();
    conflict("every requested connection already has a sync pending or running",
             Json{{"jobIds", busyIds}, {"skipped", skipped}});
  }
  if (parentId) {
    conn.exec("UPDATE jobs SET payload = payload || jsonb_build_object('skipped', $2::jsonb) WHERE id = $1::uuid",
              *parentId, skipped.dump());
  }
  const std::string jobId = parentId ? *parentId : jobIds.front().get<std::string>();
  Json details = {{"jobId", jobId}, {"connections", queued}, {"mode", sync::toString(ask.mode)}};
  if (ask.dryRun) details["dryRun"] = true;
  api.audit(call, ask.backfill() ? "sync.backfill" : "sync.start", ws.slug + (parent ? "" : "/" + free.front().name),
            details);
  tx.commit();
  std::string message = fmt::format("queued {} {} of {} connection{}", ask.dryRun ? "a dry run" : "a",
                                    ask.backfill() ? "backfill" : "sync", jobIds.size(), jobIds.size() == 1 ? "" : "s");
  if (ask.dryRun)
    message = fmt::format("queued a dry run of {} connection{}", jobIds.size(), jobIds.size() == 1 ? "" : "s");
  if (!skipped.empty()) message += fmt::format("; skipped {} (see skipped)", skipped.size());
  Json out = {{"syncId", jobId},       {"jobId", jobId},     {"jobIds", jobIds},
              {"status", "queued"},    {"message", message}, {"statusUrl", statusUrl(ws, jobId)},
              {"connections", queued}, {"skipped", skipped}};
  auto res = Response::json(202, out);
  res.headers["Location"] = statusUrl(ws, jobId);
  return res;
}

const std::vector<Field> kSyncFields = {{"connectors", Field::Type::StringArray},
                                        {"connectorType", Field::Type::String},
                                        {"mode", Field::Type::String},
                                        {"from", Field::Type::String},
                                        {"to", Field::Type::String},
                                        {"ids", Field::Type::StringArray},
                                        {"streams", Field::Type::StringArray},
                                        {"dryRun", Field::Type::Boolean}};

const std::vector<Field> kConnectionSyncFields = {
    {"mode", Field::Type::String},     {"from", Field::Type::String},         {"to", Field::Type::String},
    {"ids", Field::Type::StringArray}, {"streams", Field::Type::StringArray}, {"dryRun", Field::Type::Boolean}};

const std::vector<Field> kBackfillFields = {{"streams", Field::Type::StringArray},
                                            {"from", Field::Type::String},
                                            {"to", Field::Type::String},
                                            {"ids", Field::Type::StringArray},
                                            {"dryRun", Field::Type::Boolean}};

}  // namespace

void installSyncRoutes(Api& api, server::Router& router) {
  api.route(router, "POST", "/api/workspaces/:workspace/sync", Access::Token, [&api](Call& call) {
    const Json body = call.body(kSyncFields);
    const SyncAsk ask = readAsk(body, false);
    const auto& ws = call.ws();
    auto all = targetsOf(call.db(), ws.id);
    std::vector<Target> targets;
    if (body.contains("connectors")) {
      for (const auto& item : body["connectors"]) {
        // A connection's name; only a word no connection is named is a connector type.
        const std::string name = item.get<std::string>();
        const bool isName = std::any_of(all.begin(), all.end(), [&](const Target& t) { return t.name == name; });
        bool found = false;
        for (const auto& t : all) {
          if (isName ? t.name == name : isType(t, name)) {
            found = true;
            if (t.enabled) targets.push_back(t);
          }
        }
        if (!found) notFound("no connection \"" + name + "\" in workspace \"" + ws.slug + "\"");
      }
    } else {
      for (const auto& t : all) {
        if (t.enabled) targets.push_back(t);
      }
    }
    if (body.contains("connectorType")) {
      const std::string type = body["connectorType"];
      std::vector<Target> typed;
      for (const auto& t : targets) {
        if (isType(t, type)) typed.push_back(t);
      }
      if (typed.empty()) notFound("no enabled connection of " + type + " in workspace \"" + ws.slug + "\"");
      targets = typed;
    }
    if (targets.empty()) notFound("no enabled connection in workspace \"" + ws.slug + "\"");
    // Without duplicates, in name order.
    std::sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) { return a.name < b.name; });
    targets.erase(
        std::unique(targets.begin(), targets.end(), [](const Target& a, const Target& b) { return a.id == b.id; }),
        targets.end());
    return startSync(api, call, targets, ask, true);
  });
  api.route(router, "POST", "/api/workspaces/:workspace/connectors/:connector/sync", Access::Token, [&api](Call& call) {
    const Json body = call.body(kConnectionSyncFields);
    const SyncAsk ask = readAsk(body, false);
    auto t = findOne(call.db(), call.ws(), call.param("connector"));
    if (!t.enabled) {
      throw ApiError(409, "connection_disabled",
                     "connection \"" + t.name + "\" is disabled (enabled: false, or gone from the YAML)");
    }
    return startSync(api, call, {t}, ask, false);
  });
  api.route(router, "POST", "/api/workspaces/:workspace/connectors/:connector/backfill", Access::Token,
            [&api](Call& call) {
              const Json body = call.body(kBackfillFields);
              const SyncAsk ask = readAsk(body, true);
              auto t = findOne(call.db(), call.ws(), call.param("connector"));
              if (!t.enabled) {
                throw ApiError(409, "connection_disabled",
                               "connection \"" + t.name + "\" is disabled (enabled: false, or gone from the YAML)");
              }
              return startSync(api, call, {t}, ask, false);
            });
}

}  // namespace tributary::api
