#include "webhooks/EndpointStore.h"

#include <algorithm>

#include "api/Sql.h"
#include "common/Strings.h"
#include "db/PgArray.h"
#include "secrets/SealedColumns.h"

namespace tributary::webhooks {

namespace {

using api::sql::iso;
using api::sql::opt;

const std::string kColumns =
    "SELECT e.id, e.workspace_id, e.url, e.description, array_to_json(e.events)::text, e.enabled, " +
    iso("e.disabled_at") + ", e.disabled_reason, " + iso("e.failing_since") + ", " +
    iso("(SELECT max(s.expires_at) FROM webhook_secrets s WHERE s.endpoint_id = e.id AND s.expires_at > now())") +
    ", " + iso("e.created_at") + ", " + iso("e.updated_at") + " FROM webhook_endpoints e";

Endpoint endpointOf(const db::Result& r, int i) {
  Endpoint e;
  e.id = r.text(i, 0);
  e.workspaceId = r.text(i, 1);
  e.url = r.text(i, 2);
  e.description = r.text(i, 3);
  for (const auto& t : Json::parse(r.view(i, 4))) e.events.push_back(t.get<std::string>());
  e.enabled = r.boolean(i, 5);
  e.disabledAt = r.optText(i, 6);
  e.disabledReason = r.optText(i, 7);
  e.failingSince = r.optText(i, 8);
  e.previousSecretUntil = r.optText(i, 9);
  e.createdAt = r.text(i, 10);
  e.updatedAt = r.text(i, 11);
  return e;
}

std::vector<Endpoint> endpointsOf(const db::Result& r) {
  std::vector<Endpoint> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(endpointOf(r, i));
  return out;
}

}  // namespace

Json Endpoint::toJson() const {
  return {{"id", id},
          {"workspaceId", workspaceId},
          {"url", url},
          {"description", description},
          {"events", events},
          {"enabled", enabled},
          {"disabledAt", opt(disabledAt)},
          {"disabledReason", opt(disabledReason)},
          {"failingSince", opt(failingSince)},
          {"previousSecretUntil", opt(previousSecretUntil)},
          {"createdAt", createdAt},
          {"updatedAt", updatedAt}};
}

bool Endpoint::wants(const std::string& type) const {
  return events.empty() || std::find(events.begin(), events.end(), type) != events.end();
}

void EndpointStore::addSecret(db::Connection& conn, const std::string& endpointId, const std::string& secret) const {
  const std::string id = conn.exec("SELECT gen_random_uuid()").text(0, 0);
  const auto sealed = ring_.seal(secret, secrets::aadFor("webhook_secrets", id));
  conn.exec("INSERT INTO webhook_secrets (id, endpoint_id, key_id, sealed) VALUES ($1::uuid, $2::uuid, $3, $4::bytea)",
            id, endpointId, sealed.keyId, secrets::byteaParam(sealed.bytes));
}

Endpoint EndpointStore::create(db::Connection& conn, const std::string& workspaceId, const NewEndpoint& e) const {
  db::Transaction tx(conn);
  const std::string id =
      conn.exec(
              "INSERT INTO webhook_endpoints (workspace_id, url, description, events, enabled, disabled_at,"
              " disabled_reason, outbox_cursor)"
              " VALUES ($1::uuid, $2, $3, $4::text[], $5, CASE WHEN $5 THEN NULL ELSE now() END,"
              "  CASE WHEN $5 THEN NULL ELSE 'created disabled' END, (SELECT coalesce(max(id), 0) FROM events))"
              " RETURNING id",
              workspaceId, e.url, e.description, db::textArray(e.events), e.enabled)
          .text(0, 0);
  addSecret(conn, id, e.secret);
  auto r = conn.exec(kColumns + " WHERE e.id = $1::uuid", id);
  tx.commit();
  return endpointOf(r, 0);
}

std::vector<Endpoint> EndpointStore::list(db::Connection& conn, const std::string& workspaceId) const {
  return endpointsOf(conn.exec(kColumns + " WHERE e.workspace_id = $1::uuid ORDER BY e.created_at, e.id", workspaceId));
}

std::optional<Endpoint> EndpointStore::get(db::Connection& conn, const std::string& workspaceId,
                                           const std::string& id) const {
  if (!strings::isUuid(id)) return std::nullopt;
  auto r = conn.exec(kColumns + " WHERE e.workspace_id = $1::uuid AND e.id = $2::uuid", workspaceId, id);
  if (r.empty()) return std::nullopt;
  return endpointOf(r, 0);
}

std::optional<Endpoint> EndpointStore::oldest(db::Connection& conn, const std::string& workspaceId) const {
  auto r = conn.exec(kColumns + " WHERE e.workspace_id = $1::uuid ORDER BY e.created_at, e.id LIMIT 1", workspaceId);
  if (r.empty()) return std::nullopt;
  return endpointOf(r, 0);
}

std::optional<Endpoint> EndpointStore::update(db::Connection& conn, const std::string& workspaceId,
                                              const std::string& id, const EndpointChange& c,
                                              std::chrono::milliseconds secretOverlap) const {
  if (!strings::isUuid(id)) return std::nullopt;
  db::Transaction tx(conn);
  auto found = conn.exec("SELECT 1 FROM webhook_endpoints WHERE workspace_id = $1::uuid AND id = $2::uuid FOR UPDATE",
                         workspaceId, id);
  if (found.empty()) return std::nullopt;
  conn.exec(
      "UPDATE webhook_endpoints SET url = coalesce($2, url), description = coalesce($3, description),"
      " events = coalesce($4::text[], events),"
      " enabled = coalesce($5::boolean, enabled),"
      " disabled_at = CASE WHEN $5::boolean IS NULL THEN disabled_at WHEN $5::boolean THEN NULL"
      "  ELSE coalesce(disabled_at, now()) END,"
      " disabled_reason = CASE WHEN $5::boolean IS NULL THEN disabled_reason WHEN $5::boolean THEN NULL"
      "  ELSE coalesce(disabled_reason, 'disabled over the API') END,"
      " failing_since = CASE WHEN $5::boolean THEN NULL ELSE failing_since END,"
      " updated_at = now() WHERE id = $1::uuid",
      id, c.url, c.description, c.events ? db::Param(db::textArray(*c.events)) : db::Param(), c.enabled);
  if (c.secret) {
    conn.exec(
        "UPDATE webhook_secrets SET expires_at = now() + $2::bigint * interval '1 millisecond'"
        " WHERE endpoint_id = $1::uuid AND expires_at IS NULL",
        id, static_cast<int64_t>(secretOverlap.count()));
    addSecret(conn, id, *c.secret);
  }
  auto r = conn.exec(kColumns + " WHERE e.id = $1::uuid", id);
  tx.commit();
  return endpointOf(r, 0);
}

bool EndpointStore::remove(db::Connection& conn, const std::string& workspaceId, const std::string& id) const {
  if (!strings::isUuid(id)) return false;
  return !conn.exec("DELETE FROM webhook_endpoints WHERE workspace_id = $1::uuid AND id = $2::uuid RETURNING id",
                    workspaceId, id)
              .empty();
}

std::vector<std::string> EndpointStore::signingSecrets(db::Connection& conn, const std::string& endpointId) const {
  auto r = conn.exec(
      "SELECT id, key_id, encode(sealed, 'hex') FROM webhook_secrets"
      " WHERE endpoint_id = $1::uuid AND (expires_at IS NULL OR expires_at > now())"
      " ORDER BY expires_at IS NOT NULL, created_at DESC",
      endpointId);
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(
        ring_.open({r.text(i, 1), secrets::fromHex(r.text(i, 2))}, secrets::aadFor("webhook_secrets", r.text(i, 0))));
  }
  return out;
}

}  // namespace tributary::webhooks
