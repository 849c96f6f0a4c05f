#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "DeterministicRandom.h"
#include "SimClock.h"

namespace tributary::sim {

// The authorization server side of OAuth2, shared by vendors: auto-approved codes, access and
// refresh tokens, expiry on the simulated clock, revocation. Vendors shape the wire answers.
class OAuthTokenStore {
 public:
  struct Client {
    std::string id;
    std::string secret;
  };
  struct Options {
    std::string tokenPrefix;
    int64_t accessTtlMs = 1800 * 1000;
    int64_t codeTtlMs = 600 * 1000;
    std::vector<Client> clients;
    // Tokens that never expire (private-app tokens, pre-shared sessions).
    std::vector<std::string> staticTokens;
    uint64_t seed = 0;
  };
  enum class Check { Valid, Expired, Unknown };
  struct TokenInfo {
    Check check = Check::Unknown;
    std::string clientId;
    bool isStatic = false;
  };
  struct Grant {
    // Empty when the grant succeeded; otherwise an OAuth error code (invalid_grant, ...).
    std::string error;
    std::string errorDescription;
    std::string accessToken;
    std::string refreshToken;
    bool refreshTokenIsNew = false;
    int64_t issuedAtMs = 0;
    int64_t expiresInS = 0;
  };

  OAuthTokenStore(Options options, const SimClock& clock);

  bool knownClient(const std::string& clientId) const;
  // Empty when client_id is unknown.
  std::string issueCode(const std::string& clientId, const std::string& redirectUri);
  Grant exchangeCode(const std::string& code, const std::string& clientId, const std::string& clientSecret,
                     const std::string& redirectUri);
  // `rotate`: also replace the refresh token (Salesforce only rotates when configured to).
  Grant refresh(const std::string& refreshToken, const std::string& clientId, const std::string& clientSecret,
                bool rotate);
  // Revokes an access or refresh token; revoking a refresh token also kills its access tokens.
  bool revoke(const std::string& token);
  TokenInfo check(const std::string& accessToken) const;
  // Every issued access token expires now (the "expired tokens" fault, in bulk).
  void expireAll();
  int64_t accessTtlMs() const { return options_.accessTtlMs; }

 private:
  struct Code {
    std::string clientId;
    std::string redirectUri;
    int64_t expiresAtMs;
  };
  struct Access {
    std::string clientId;
    std::string refreshToken;
    int64_t expiresAtMs;
  };
  std::string newToken(const std::string& kind);
  bool clientMatches(const std::string& clientId, const std::string& secret) const;
  Grant issue(const std::string& clientId, const std::string& refreshToken, bool newRefresh);

  const Options options_;
  const SimClock& clock_;
  mutable std::mutex mutex_;
  DeterministicRandom random_;
  std::unordered_map<std::string, Code> codes_;
  std::unordered_map<std::string, Access> access_;
  // refresh token -> client id
  std::unordered_map<std::string, std::string> refresh_;
};

}  // namespace tributary::sim
