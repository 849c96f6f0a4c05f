// Outgoing webhooks: a workspace's endpoints (the collection, and the seeds' single-endpoint
// alias /webhook, which means the oldest), their test event, their delivery log, a redelivery
// and a recovery. Delivery itself is webhooks::Dispatcher's; nothing here waits for an endpoint.
#include <algorithm>

#include "api/Api.h"
#include "api/Sql.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "http/HttpService.h"
#include "secrets/SecretError.h"
#include "webhooks/Deliveries.h"
#include "webhooks/Destination.h"
#include "webhooks/EndpointStore.h"
#include "webhooks/Envelope.h"
#include "webhooks/Signing.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;
using sql::iso;
using sql::opt;

// The events an endpoint may ask for.
const std::vector<std::string> kEventTypes = {"sync.started",
                                              "sync.progress",
                                              "sync.waiting",
                                              "sync.completed",
                                              "sync.failed",
                                              "sync.cancelled",
                                              "job.discarded",
                                              "sync.stale",
                                              "queue.backlog",
                                              "alert.resolved",
                                              "webhook.endpoint_disabled"};

std::shared_ptr<const secrets::KeyRing> ringOf(Api& api) {
  try {
    return api.services().http->keyRing();
  } catch (const secrets::SecretError& e) {
    throw ApiError(503, "secrets_unavailable", std::string("webhook secrets are sealed at rest, and ") + e.what());
  }
}

std::string checkedUrl(Api& api, const std::string& field, const std::string& url) {
  try {
    webhooks::DestinationPolicy(api.cfg().webhooks.allowPrivate).resolve(url);
  } catch (const webhooks::DestinationError& e) {
    throw ApiError(400, "invalid_field", "field \"" + field + "\" " + e.what(), Json{{"field", field}});
  }
  return url;
}

std::vector<std::string> checkedEvents(const Json& body, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& e : body[field]) {
    const std::string t = e.get<std::string>();
    if (std::find(kEventTypes.begin(), kEventTypes.end(), t) == kEventTypes.end()) {
      throw ApiError(
          400, "invalid_field",
          "field \"" + field + "\" names an unknown event \"" + t + "\"; events: " + strings::join(kEventTypes, ", "),
          Json{{"field", field}, {"events", kEventTypes}});
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

std::string checkedSecret(const Json& body, const std::string& field) {
  try {
    return webhooks::decodeSecret(body[field].get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, "invalid_field", "field \"" + field + "\" " + e.what(), Json{{"field", field}});
  }
}

// An endpoint's JSON, with the secret when one was just generated (shown this once).
Json shown(const webhooks::Endpoint& e, const std::optional<std::string>& generated) {
  Json j = e.toJson();
  j["webhookUrl"] = e.url;  // the seeds' name for it
  if (generated) j["secret"] = webhooks::displaySecret(*generated);
  return j;
}

webhooks::Endpoint endpointOr404(Call& call, const webhooks::EndpointStore& store, const std::string& id) {
  auto e = store.get(call.db(), call.ws().id, id);
  if (!e) notFound("no webhook endpoint \"" + id + "\" in workspace \"" + call.ws().slug + "\"");
  return *e;
}

webhooks::Endpoint aliasOr404(Call& call, const webhooks::EndpointStore& store) {
  auto e = store.oldest(call.db(), call.ws().id);
  if (!e) notFound("workspace \"" + call.ws().slug + "\" has no webhook");
  return *e;
}

// Queues the seeds' test event (LW-3) for one endpoint, whatever its event filter.
Response sendTest(Api& api, Call& call, const webhooks::Endpoint& e) {
  if (!e.enabled) {
    throw ApiError(409, "endpoint_disabled",
                   "webhook endpoint " + e.id + " is disabled (" + e.disabledReason.value_or("") +
                       "): enable it with PATCH {\"enabled\": true}");
  }
  const Json body = webhooks::testEnvelope(call.ws().id, time::nowEpochMs());
  auto r = call.db().exec(
      "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, body)"
      " VALUES ($1::uuid, 'msg_test_' || replace(gen_random_uuid()::text, '-', ''), 'webhook.test', $2)"
      " RETURNING id, message_id",
      e.id, body.dump());
  api.audit(call, "webhook.test", e.id);
  return Response::json(202, {{"deliveryId", r.text(0, 0)},
                              {"messageId", r.text(0, 1)},
                              {"status", "queued"},
                              {"endpointId", e.id},
                              {"event", body}});
}

Json attemptsOf(const std::string& json) {
  Json a = Json::parse(json);
  return a.is_array() ? a : Json::array();
}

const std::string kDeliveryColumns =
    "SELECT d.id, d.message_id, d.event_type, d.event_position, d.status, d.attempts, " + iso("d.next_attempt_at") +
    ", d.last_status, d.last_error, " + iso("d.created_at") + ", " + iso("d.completed_at") +
    ", d.body, (SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, 'startedAt', " + iso("a.started_at") +
    ", 'latencyMs', a.latency_ms, 'status', a.status, 'response', a.response, 'error', a.error, 'host', a.host)"
    " ORDER BY a.attempt), '[]') FROM webhook_attempts a WHERE a.delivery_id = d.id)::text"
    " FROM webhook_deliveries d";

Json deliveryJson(const db::Result& r, int i) {
  return {{"id", r.text(i, 0)},
          {"messageId", r.text(i, 1)},
          {"eventType", r.text(i, 2)},
          {"eventPosition", r.isNull(i, 3) ? Json(nullptr) : Json(r.int64(i, 3))},
          {"status", r.text(i, 4)},
          {"attemptCount", r.int64(i, 5)},
          {"nextAttemptAt", r.text(i, 4) == "pending" ? Json(r.text(i, 6)) : Json(nullptr)},
          {"lastStatus", r.isNull(i, 7) ? Json(nullptr) : Json(r.int64(i, 7))},
          {"lastError", opt(r.optText(i, 8))},
          {"createdAt", r.text(i, 9)},
          {"completedAt", opt(r.optText(i, 10))},
          {"payload", Json::parse(r.view(i, 11))},
          {"attempts", attemptsOf(std::string(r.view(i, 12)))}};
}

const std::vector<Field> kAliasFields = {{"webhookUrl", Field::Type::String, true},
                                         {"webhookSecret", Field::Type::String},
                                         {"events", Field::Type::StringArray}};
const std::vector<Field> kCreateFields = {{"url", Field::Type::String, true},
                                          {"secret", Field::Type::String},
                                          {"events", Field::Type::StringArray},
                                          {"description", Field::Type::String},
                                          {"enabled", Field::Type::Boolean}};
const std::vector<Field> kPatchFields = {{"url", Field::Type::String},
                                         {"secret", Field::Type::String},
                                         {"events", Field::Type::StringArray},
                                         {"description", Field::Type::String},
                                         {"enabled", Field::Type::Boolean}};

}  // namespace

void installWebhookRoutes(Api& api, server::Router& router) {
  const std::string alias = "/api/workspaces/:workspace/webhook";
  const std::string base = "/api/workspaces/:workspace/webhooks";

  // --- The seeds' single webhook: the oldest endpoint ---
  api.route(router, "GET", alias, Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    return Response::json(200, shown(aliasOr404(call, store), std::nullopt));
  });
  api.route(router, "PUT", alias, Access::Token, [&api](Call& call) {
    const Json body = call.body(kAliasFields);
    const auto ring = ringOf(api);
    webhooks::EndpointStore store(*ring);
    const std::string url = checkedUrl(api, "webhookUrl", body["webhookUrl"]);
    std::optional<std::string> secret;
    if (body.contains("webhookSecret")) secret = checkedSecret(body, "webhookSecret");
    std::optional<std::vector<std::string>> events;
    if (body.contains("events")) events = checkedEvents(body, "events");
    if (auto e = store.oldest(call.db(), call.ws().id)) {
      webhooks::EndpointChange c;
      c.url = url;
      c.secret = secret;
      c.events = events;
      auto updated = store.update(call.db(), call.ws().id, e->id, c, api.cfg().webhooks.secretOverlap);
      api.audit(call, "webhook.update", e->id, {{"url", url}, {"secretRotated", secret.has_value()}});
      return Response::json(200, shown(*updated, std::nullopt));
    }
    webhooks::NewEndpoint n;
    n.url = url;
    const bool generated = !secret;
    n.secret = secret ? *secret : webhooks::generateSecret();
    n.events = events.value_or(std::vector<std::string>{});
    auto created = store.create(call.db(), call.ws().id, n);
    api.audit(call, "webhook.create", created.id, {{"url", url}});
    auto res = Response::json(201, shown(created, generated ? std::optional<std::string>(n.secret) : std::nullopt));
    if (generated) res.revealed = {"secret"};
    res.headers["Location"] = "/api/workspaces/" + call.ws().slug + "/webhooks/" + created.id;
    return res;
  });
  api.route(router, "DELETE", alias, Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    auto e = aliasOr404(call, store);
    store.remove(call.db(), call.ws().id, e.id);
    api.audit(call, "webhook.delete", e.id);
    return Response::json(200, {{"deleted", e.id}});
  });
  api.route(router, "POST", alias + "/test", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    return sendTest(api, call, aliasOr404(call, store));
  });

  // --- The collection ---
  api.route(router, "GET", base, Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    Json list = Json::array();
    for (const auto& e : store.list(call.db(), call.ws().id)) list.push_back(e.toJson());
    return Response::json(200, {{"webhooks", list}});
  });
  api.route(router, "POST", base, Access::Token, [&api](Call& call) {
    const Json body = call.body(kCreateFields);
    webhooks::EndpointStore store(*ringOf(api));
    webhooks::NewEndpoint n;
    n.url = checkedUrl(api, "url", body["url"]);
    const bool generated = !body.contains("secret");
    n.secret = generated ? webhooks::generateSecret() : checkedSecret(body, "secret");
    if (body.contains("events")) n.events = checkedEvents(body, "events");
    if (body.contains("description")) n.description = body["description"];
    if (body.contains("enabled")) n.enabled = body["enabled"];
    auto created = store.create(call.db(), call.ws().id, n);
    api.audit(call, "webhook.create", created.id, {{"url", n.url}});
    Json j = created.toJson();
    if (generated) j["secret"] = webhooks::displaySecret(n.secret);
    auto res = Response::json(201, j);
    if (generated) res.revealed = {"secret"};
    res.headers["Location"] = "/api/workspaces/" + call.ws().slug + "/webhooks/" + created.id;
    return res;
  });
  api.route(router, "GET", base + "/:endpoint", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    return Response::json(200, endpointOr404(call, store, call.param("endpoint")).toJson());
  });
  api.route(router, "PATCH", base + "/:endpoint", Access::Token, [&api](Call& call) {
    const Json body = call.body(kPatchFields);
    webhooks::EndpointStore store(*ringOf(api));
    const auto e = endpointOr404(call, store, call.param("endpoint"));
    webhooks::EndpointChange c;
    if (body.contains("url")) c.url = checkedUrl(api, "url", body["url"]);
    if (body.contains("secret")) c.secret = checkedSecret(body, "secret");
    if (body.contains("events")) c.events = checkedEvents(body, "events");
    if (body.contains("description")) c.description = body["description"].get<std::string>();
    if (body.contains("enabled")) c.enabled = body["enabled"].get<bool>();
    auto updated = store.update(call.db(), call.ws().id, e.id, c, api.cfg().webhooks.secretOverlap);
    if (!updated) notFound("no webhook endpoint \"" + e.id + "\" in workspace \"" + call.ws().slug + "\"");
    api.audit(call, "webhook.update", e.id, {{"fields", body.is_object() ? Json(body.size()) : Json(0)}});
    return Response::json(200, updated->toJson());
  });
  api.route(router, "DELETE", base + "/:endpoint", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    const auto e = endpointOr404(call, store, call.param("endpoint"));
    store.remove(call.db(), call.ws().id, e.id);
    api.audit(call, "webhook.delete", e.id);
    return Response::json(200, {{"deleted", e.id}});
  });
  api.route(router, "POST", base + "/:endpoint/test", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    return sendTest(api, call, endpointOr404(call, store, call.param("endpoint")));
  });

  // --- The delivery log ---
  api.route(router, "GET", base + "/:endpoint/deliveries", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    const auto e = endpointOr404(call, store, call.param("endpoint"));
    const int64_t limit = call.intQuery("limit", 50, 1, 500);
    auto status = call.query("status");
    if (status && *status != "pending" && *status != "succeeded" && *status != "failed") {
      throw ApiError(400, "invalid_query", "query parameter \"status\" must be pending, succeeded or failed",
                     Json{{"field", "status"}});
    }
    auto r = call.db().exec(kDeliveryColumns +
                                " WHERE d.endpoint_id = $1::uuid AND ($2::text IS NULL OR d.status = $2)"
                                " ORDER BY d.created_at DESC, d.seq DESC LIMIT $3",
                            e.id, status, limit);
    Json list = Json::array();
    for (int i = 0; i < r.rows(); ++i) list.push_back(deliveryJson(r, i));
    return Response::json(200, {{"endpointId", e.id}, {"deliveries", list}});
  });
  api.route(router, "POST", base + "/:endpoint/deliveries/:delivery/redeliver", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    const auto e = endpointOr404(call, store, call.param("endpoint"));
    const std::string id = call.param("delivery");
    if (!strings::isUuid(id)) notFound("no delivery \"" + id + "\" of webhook endpoint " + e.id);
    // Pending again, with a fresh schedule; its attempts so far stay in the log.
    auto r = call.db().exec(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), completed_at = NULL,"
        " claimed_until = CASE WHEN status = 'pending' THEN claimed_until END"
        " WHERE id = $1::uuid AND endpoint_id = $2::uuid RETURNING message_id",
        id, e.id);
    if (r.empty()) notFound("no delivery \"" + id + "\" of webhook endpoint " + e.id);
    api.audit(call, "webhook.redeliver", id);
    return Response::json(202, {{"deliveryId", id}, {"messageId", r.text(0, 0)}, {"status", "pending"}});
  });
  api.route(router, "POST", base + "/:endpoint/recover", Access::Token, [&api](Call& call) {
    webhooks::EndpointStore store(*ringOf(api));
    const auto e = endpointOr404(call, store, call.param("endpoint"));
    const auto sinceText = call.query("since");
    const auto since = sinceText ? time::parseIso8601(*sinceText) : std::nullopt;
    if (!since) {
      throw ApiError(400, "invalid_query",
                     "query parameter \"since\" must be an ISO 8601 time, as 2026-12-01T00:00:00Z",
                     Json{{"field", "since"}});
    }
    const int64_t sinceMs = time::toEpochMs(*since);
    auto& conn = call.db();
    db::Transaction tx(conn);
    // What the endpoint missed since then (it was disabled, or filtered the type out then) and
    // the outbox still holds: made into deliveries first; then every delivery since then is
    // sent again, in event order, with the ids it had.
    // The outbox's own reader, from the workspace's first event since then up to the endpoint's
    // cursor (past it, the fan-out makes the deliveries).
    auto from = conn.exec(
        "SELECT (SELECT coalesce(min(id) - 1, 0) FROM events WHERE workspace_id = $1::uuid"
        "  AND created_at >= to_timestamp($2::bigint / 1000.0)),"
        " (SELECT outbox_cursor FROM webhook_endpoints WHERE id = $3::uuid)",
        call.ws().id, sinceMs, e.id);
    const int64_t cursor = from.int64(0, 1);
    engine::OutboxFilter filter;
    filter.workspaceId = call.ws().id;
    int64_t created = 0;
    for (int64_t after = from.int64(0, 0); after < cursor;) {
      auto page = engine::outbox::read(conn, after, 500, filter);
      std::vector<engine::OutboxEvent> missed;
      for (auto& o : page.events) {
        if (o.position > cursor) break;
        if (o.createdAtMs >= sinceMs && e.wants(o.type)) missed.push_back(std::move(o));
      }
      created += webhooks::enqueueEvents(conn, e.id, missed);
      if (page.events.size() < 500) break;
      after = page.next;
    }
    auto requeued = conn.exec(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), completed_at = NULL"
        " WHERE endpoint_id = $1::uuid AND created_at >= to_timestamp($2::bigint / 1000.0) AND status <> 'pending'"
        " RETURNING id",
        e.id, sinceMs);
    tx.commit();
    api.audit(call, "webhook.recover", e.id, {{"since", *sinceText}});
    return Response::json(202, {{"endpointId", e.id},
                                {"since", *sinceText},
                                {"created", created},
                                {"requeued", requeued.rows()},
                                {"enabled", e.enabled}});
  });
}

}  // namespace tributary::api
