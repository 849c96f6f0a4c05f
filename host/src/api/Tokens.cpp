#include "api/Tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>

#include "auth/Encoding.h"
#include "common/Base64.h"
#include "common/Files.h"
#include "common/Hash.h"
#include "common/Log.h"

namespace tributary::api {
namespace {

constexpr const char* kPrefix = "trb_";

std::string newToken() { return kPrefix + base64::encodeUrl(auth::randomBytes(32)); }

std::string hashOf(const std::string& token) { return hash::sha256Hex(token); }

IssuedToken insert(db::Connection& conn, const std::string& name, const std::string& kind,
                   const std::optional<std::string>& workspaceId, const std::optional<std::string>& jobId,
                   std::optional<std::chrono::milliseconds> ttl) {
  IssuedToken out;
  out.token = newToken();
  auto r = conn.exec(
      "INSERT INTO api_tokens (name, kind, workspace_id, job_id, hash, prefix, expires_at)"
      " VALUES ($1, $2, $3::uuid, $4::uuid, $5, $6,"
      "  CASE WHEN $7::bigint IS NULL THEN NULL ELSE now() + $7::bigint * interval '1 millisecond' END)"
      " RETURNING id",
      name, kind, workspaceId, jobId, hashOf(out.token), out.token.substr(0, 10),
      ttl ? std::optional<int64_t>(ttl->count()) : std::nullopt);
  out.id = r.text(0, 0);
  return out;
}

}  // namespace

Json TokenRow::toJson() const {
  Json j = {{"id", id},
            {"name", name},
            {"kind", kind},
            {"prefix", prefix},
            {"createdAt", createdAt},
            {"lastUsedAt", nullptr},
            {"expiresAt", nullptr},
            {"revokedAt", nullptr},
            {"workspace", nullptr}};
  if (workspace) j["workspace"] = *workspace;
  if (lastUsedAt) j["lastUsedAt"] = *lastUsedAt;
  if (expiresAt) j["expiresAt"] = *expiresAt;
  if (revokedAt) j["revokedAt"] = *revokedAt;
  return j;
}

namespace tokens {

IssuedToken create(db::Connection& conn, const std::string& name, const std::optional<std::string>& workspaceId) {
  return insert(conn, name, workspaceId ? "workspace" : "admin", workspaceId, std::nullopt, std::nullopt);
}

IssuedToken createStream(db::Connection& conn, const std::string& workspaceId, const std::string& jobId,
                         std::chrono::milliseconds ttl) {
  return insert(conn, "stream " + jobId, "stream", workspaceId, jobId, ttl);
}

std::vector<TokenRow> list(db::Connection& conn) {
  auto r = conn.exec(
      "SELECT t.id, t.name, t.kind, t.prefix, w.slug,"
      " to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(t.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(t.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      " FROM api_tokens t LEFT JOIN workspaces w ON w.id = t.workspace_id"
      " WHERE t.kind <> 'stream' ORDER BY t.created_at, t.name");
  std::vector<TokenRow> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.optText(i, 4), r.text(i, 5),
                   r.optText(i, 6), r.optText(i, 7), r.optText(i, 8)});
  }
  return out;
}

bool revoke(db::Connection& conn, const std::string& idOrName) {
  auto r = conn.exec(
      "UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND"
      " (name = $1 OR (id::text = $1) OR prefix = $1) RETURNING id",
      idOrName);
  return !r.empty();
}

std::optional<Principal> authenticate(db::Connection& conn, const std::string& token) {
  if (!looksLikeToken(token)) return std::nullopt;
  const std::string h = hashOf(token);
  // Found by its hash (an index), then compared in constant time: the lookup's timing says
  // nothing of a token, since it depends only on the hash of what the client sent.
  // A read on every request (prepared: it is the hottest statement of the API); last_used_at is
  // written at most once a minute per token, so that requests do not each commit a write.
  auto r = conn.execPrepared(
      "SELECT id, name, kind, workspace_id, job_id, hash,"
      " last_used_at IS NULL OR last_used_at < now() - interval '1 minute'"
      " FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
      h);
  if (r.empty() || !auth::constantTimeEqual(r.text(0, 5), h)) return std::nullopt;
  if (r.boolean(0, 6)) conn.exec("UPDATE api_tokens SET last_used_at = now() WHERE id = $1::uuid", r.text(0, 0));
  Principal p;
  p.tokenId = r.text(0, 0);
  p.name = r.text(0, 1);
  const std::string kind = r.text(0, 2);
  p.kind = kind == "admin" ? Principal::Kind::Admin
                           : (kind == "stream" ? Principal::Kind::Stream : Principal::Kind::Workspace);
  p.workspaceId = r.optText(0, 3);
  p.jobId = r.optText(0, 4);
  return p;
}

int64_t pruneExpired(db::Connection& conn) {
  auto r = conn.exec("DELETE FROM api_tokens WHERE kind = 'stream' AND expires_at < now() - interval '1 hour'");
  return r.affected();
}

bool looksLikeToken(const std::string& text) {
  if (text.size() != 4 + 43 || text.rfind(kPrefix, 0) != 0) return false;
  for (size_t i = 4; i < text.size(); ++i) {
    const char c = text[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace tokens

bool ensureAdminToken(db::Connection& conn, const std::filesystem::path& file) {
  db::Transaction tx(conn);
  // One host writes it, however many start at once.
  conn.exec("LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE");
  auto any = conn.exec("SELECT 1 FROM api_tokens WHERE kind = 'admin' AND revoked_at IS NULL LIMIT 1");
  if (!any.empty()) {
    if (!std::filesystem::exists(file)) {
      log::info("api",
                "admin tokens exist in the database (none written to {}): create one with "
                "`tributary tokens create --admin`",
                file.string());
    }
    return false;
  }
  auto issued = tokens::create(conn, "admin (first start)", std::nullopt);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Created 0600 before a byte is in it, then renamed over the old one.
  const auto tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write the admin token to " + tmp + ": " + std::strerror(errno));
  const std::string line = issued.token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    throw std::runtime_error("cannot write the admin token to " + file.string() + ": " + std::strerror(errno));
  }
  tx.commit();
  log::info("api", "wrote the first admin token to {} (mode 600); create others with `tributary tokens create`",
            file.string());
  return true;
}

}  // namespace tributary::api
