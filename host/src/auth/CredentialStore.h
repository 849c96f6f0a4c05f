#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "auth/TokenEndpoint.h"
#include "common/Json.h"
#include "db/Connection.h"
#include "secrets/KeyRing.h"
#include "secrets/SealedColumns.h"

namespace tributary::auth {

// A connection's OAuth tokens as stored (auth_credentials), opened.
struct StoredCredential {
  std::string accessToken;
  std::string refreshToken;
  std::string tokenType;
  std::string scope;
  Json extra = Json::object();
  uint64_t version = 0;
  std::optional<int64_t> expiresAtMs;  // epoch ms; none: the vendor gave no expiry
  int64_t issuedAtMs = 0;              // when this access token was stored
  int64_t refreshCount = 0;
  std::optional<std::string> failure;  // the credential is unusable until the connect flow runs again
  // A refresh that began and never stored its answer (the refresher died, or lost its answer).
  std::optional<int64_t> refreshStartedAtMs;
  std::string refreshStartedBy;
};

// The sealed auth_credentials rows (migrations/016), keyed by credential ("connection:<id>" or
// "shared:<name>", AuthSettings::credential): every value sealed with the key ring's current key,
// bound to its row ("auth_credentials:" + credential). Stateless: each call runs
// on the connection given (the caller holds the credential's lock where it must).
class CredentialStore {
 public:
  explicit CredentialStore(const secrets::KeyRing& ring) : ring_(ring) {}

  // nullopt when the connection has no row. Throws secrets::SecretError when the row does not
  // open (a key this host lacks: the message names the key file and the id).
  std::optional<StoredCredential> load(db::Connection& conn, const std::string& credential) const;
  // Stores a token answer as the connection's credential: a new version, its failure and any
  // unfinished refresh cleared. An answer without a refresh token keeps `previousRefresh`.
  // `refreshed`: by a refresh (counted), else by the connect flow (obtained_at).
  // `connectionId`: the connection whose connect flow or refresh it is (recorded by the flow).
  StoredCredential store(db::Connection& conn, const std::string& credential, const std::string& connectionId,
                         const TokenAnswer& answer, const std::string& previousRefresh, bool refreshed) const;
  // A row holding only a refresh token from the configuration (auth.refresh_token), expired, so
  // that its first use refreshes it. Does nothing when the connection has a row.
  void seed(db::Connection& conn, const std::string& credential, const std::string& connectionId,
            const std::string& refreshToken) const;
  // Committed before the refresh request is sent; `by` says which process ("host:pid").
  void markRefreshStarted(db::Connection& conn, const std::string& credential, const std::string& by) const;
  void clearRefreshStarted(db::Connection& conn, const std::string& credential) const;
  // The vendor refused the refresh token: unusable until the connect flow stores new tokens.
  void markFailed(db::Connection& conn, const std::string& credential, const std::string& why) const;

  static std::string aad(const std::string& credential) { return secrets::aadFor("auth_credentials", credential); }

 private:
  const secrets::KeyRing& ring_;
};

// "host-a:12345": who began a refresh.
std::string processName();

}  // namespace tributary::auth
