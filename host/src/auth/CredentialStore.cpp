#include "auth/CredentialStore.h"

#include <unistd.h>

#include "common/Time.h"
#include "secrets/SealedColumns.h"

namespace tributary::auth {
namespace {

constexpr const char* kColumns =
    "key_id, encode(sealed, 'hex'), version, (extract(epoch FROM access_expires_at) * 1000)::bigint,"
    " (extract(epoch FROM coalesce(refreshed_at, obtained_at)) * 1000)::bigint, refresh_count, failure,"
    " (extract(epoch FROM refresh_started_at) * 1000)::bigint, coalesce(refresh_started_by, '')";

}  // namespace

std::string processName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "unknown") + ":" + std::to_string(getpid());
}

std::optional<StoredCredential> CredentialStore::load(db::Connection& conn, const std::string& credential) const {
  auto r = conn.exec(std::string("SELECT ") + kColumns + " FROM auth_credentials WHERE credential = $1", credential);
  if (r.empty()) return std::nullopt;
  StoredCredential c;
  const std::string plain = ring_.open(secrets::Sealed{r.text(0, 0), secrets::fromHex(r.text(0, 1))}, aad(credential));
  Json j = Json::parse(plain);
  c.accessToken = j.value("access_token", "");
  c.refreshToken = j.value("refresh_token", "");
  c.tokenType = j.value("token_type", "");
  c.scope = j.value("scope", "");
  if (j.contains("extra") && j["extra"].is_object()) c.extra = j["extra"];
  c.version = static_cast<uint64_t>(r.int64(0, 2));
  if (!r.isNull(0, 3)) c.expiresAtMs = r.int64(0, 3);
  c.issuedAtMs = r.int64(0, 4);
  c.refreshCount = r.int64(0, 5);
  if (!r.isNull(0, 6)) c.failure = r.text(0, 6);
  if (!r.isNull(0, 7)) c.refreshStartedAtMs = r.int64(0, 7);
  c.refreshStartedBy = r.text(0, 8);
  return c;
}

StoredCredential CredentialStore::store(db::Connection& conn, const std::string& credential,
                                        const std::string& connectionId, const TokenAnswer& answer,
                                        const std::string& previousRefresh, bool refreshed) const {
  StoredCredential c;
  c.accessToken = answer.accessToken;
  c.refreshToken = answer.refreshToken.empty() ? previousRefresh : answer.refreshToken;
  c.tokenType = answer.tokenType;
  c.scope = answer.scope;
  c.extra = answer.extra;
  const Json plain{{"access_token", c.accessToken},
                   {"refresh_token", c.refreshToken},
                   {"token_type", c.tokenType},
                   {"scope", c.scope},
                   {"extra", c.extra}};
  const secrets::Sealed sealed = ring_.seal(plain.dump(), aad(credential));
  std::optional<int64_t> expiresInS = answer.expiresInS;
  auto r = conn.exec(
      "INSERT INTO auth_credentials (credential, connection_id, auth_type, key_id, sealed, access_expires_at)"
      " VALUES ($1, $6::uuid, 'oauth2', $2, $3::bytea, now() + make_interval(secs => $4::bigint))"
      " ON CONFLICT (credential) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed,"
      "  connection_id = CASE WHEN $5 THEN auth_credentials.connection_id ELSE EXCLUDED.connection_id END,"
      "  access_expires_at = EXCLUDED.access_expires_at, version = auth_credentials.version + 1,"
      "  refreshed_at = CASE WHEN $5 THEN now() ELSE auth_credentials.refreshed_at END,"
      "  obtained_at = CASE WHEN $5 THEN auth_credentials.obtained_at ELSE now() END,"
      "  refresh_count = auth_credentials.refresh_count + CASE WHEN $5 THEN 1 ELSE 0 END,"
      "  refresh_started_at = NULL, refresh_started_by = NULL, failure = NULL, failed_at = NULL, updated_at = now()"
      " RETURNING version, (extract(epoch FROM access_expires_at) * 1000)::bigint,"
      "  (extract(epoch FROM coalesce(refreshed_at, obtained_at)) * 1000)::bigint, refresh_count",
      credential, sealed.keyId, secrets::byteaParam(sealed.bytes), expiresInS, refreshed,
      connectionId.empty() ? db::Param() : db::Param(connectionId));
  c.version = static_cast<uint64_t>(r.int64(0, 0));
  if (!r.isNull(0, 1)) c.expiresAtMs = r.int64(0, 1);
  c.issuedAtMs = r.int64(0, 2);
  c.refreshCount = r.int64(0, 3);
  return c;
}

void CredentialStore::seed(db::Connection& conn, const std::string& credential, const std::string& connectionId,
                           const std::string& refreshToken) const {
  const Json plain{{"access_token", ""}, {"refresh_token", refreshToken}, {"extra", Json::object()}};
  const secrets::Sealed sealed = ring_.seal(plain.dump(), aad(credential));
  conn.exec(
      "INSERT INTO auth_credentials (credential, connection_id, auth_type, key_id, sealed, access_expires_at, version)"
      " VALUES ($1, $4::uuid, 'oauth2', $2, $3::bytea, 'epoch', 0) ON CONFLICT (credential) DO NOTHING",
      credential, sealed.keyId, secrets::byteaParam(sealed.bytes),
      connectionId.empty() ? db::Param() : db::Param(connectionId));
}

void CredentialStore::markRefreshStarted(db::Connection& conn, const std::string& credential,
                                         const std::string& by) const {
  conn.exec(
      "UPDATE auth_credentials SET refresh_started_at = now(), refresh_started_by = $2, updated_at = now()"
      " WHERE credential = $1",
      credential, by);
}

void CredentialStore::clearRefreshStarted(db::Connection& conn, const std::string& credential) const {
  conn.exec(
      "UPDATE auth_credentials SET refresh_started_at = NULL, refresh_started_by = NULL, updated_at = now()"
      " WHERE credential = $1",
      credential);
}

void CredentialStore::markFailed(db::Connection& conn, const std::string& credential, const std::string& why) const {
  conn.exec(
      "UPDATE auth_credentials SET failure = $2, failed_at = now(), refresh_started_at = NULL,"
      " refresh_started_by = NULL, updated_at = now() WHERE credential = $1",
      credential, why);
}

}  // namespace tributary::auth
