#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"

namespace tributary::api {

// Who is calling: the token a request carried.
struct Principal {
  enum class Kind { Admin, Workspace, Stream };
  std::string tokenId;
  std::string name;
  Kind kind = Kind::Workspace;
  std::optional<std::string> workspaceId;  // a workspace or stream token's workspace
  std::optional<std::string> jobId;        // a stream token's job
  bool admin() const { return kind == Kind::Admin; }
  bool reaches(const std::string& workspace) const { return admin() || workspaceId == workspace; }
};

struct IssuedToken {
  std::string id;
  std::string token;  // shown once; only its hash is kept
};

struct TokenRow {
  std::string id, name, kind, prefix;
  std::optional<std::string> workspace;  // slug
  std::string createdAt;
  std::optional<std::string> lastUsedAt, expiresAt, revokedAt;
  Json toJson() const;
};

// API tokens (api_tokens): random, shown once, kept as SHA-256, compared in constant time.
// "trb_" and 43 base64url characters (32 random bytes).
namespace tokens {

IssuedToken create(db::Connection& conn, const std::string& name, const std::optional<std::string>& workspaceId);
// A token for the event stream of one job, for `ttl`: a browser's EventSource sends it in the
// query string (?token=), which every log redacts.
IssuedToken createStream(db::Connection& conn, const std::string& workspaceId, const std::string& jobId,
                         std::chrono::milliseconds ttl);
std::vector<TokenRow> list(db::Connection& conn);
// By id or by name. False when none matched (or it was revoked before).
bool revoke(db::Connection& conn, const std::string& idOrName);
// The principal of a token that is known, not revoked and not expired; none otherwise.
std::optional<Principal> authenticate(db::Connection& conn, const std::string& token);
// Removes stream tokens that expired a while ago.
int64_t pruneExpired(db::Connection& conn);
// Whether `text` has the shape of a token (for the redactor's patterns and the CLI's messages).
bool looksLikeToken(const std::string& text);

}  // namespace tokens

// The first start's admin token: when no admin token exists, one is created and written to
// `file` (mode 600). Returns whether it wrote one.
bool ensureAdminToken(db::Connection& conn, const std::filesystem::path& file);

}  // namespace tributary::api
