#include "OAuthTokenStore.h"

#include <algorithm>
#include <cstdio>

namespace tributary::sim {

OAuthTokenStore::OAuthTokenStore(Options options, const SimClock& clock)
    : options_(std::move(options)),
      clock_(clock),
      random_(DeterministicRandom::combine(options_.seed, "oauth/" + options_.tokenPrefix)) {}

std::string OAuthTokenStore::newToken(const std::string& kind) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(random_.next()),
                static_cast<unsigned long long>(random_.next()));
  return options_.tokenPrefix + kind + "-" + buffer;
}

bool OAuthTokenStore::knownClient(const std::string& clientId) const {
  return std::any_of(options_.clients.begin(), options_.clients.end(),
                     [&](const Client& c) { return c.id == clientId; });
}

bool OAuthTokenStore::clientMatches(const std::string& clientId, const std::string& secret) const {
  return std::any_of(options_.clients.begin(), options_.clients.end(),
                     [&](const Client& c) { return c.id == clientId && c.secret == secret; });
}

std::string OAuthTokenStore::issueCode(const std::string& clientId, const std::string& redirectUri) {
  std::lock_guard lock(mutex_);
  if (!knownClient(clientId)) return "";
  std::string code = newToken("code");
  codes_[code] = {clientId, redirectUri, clock_.nowMs() + options_.codeTtlMs};
  return code;
}

OAuthTokenStore::Grant OAuthTokenStore::issue(const std::string& clientId, const std::string& refreshToken,
                                              bool newRefresh) {
  Grant grant;
  grant.accessToken = newToken("at");
  grant.refreshToken = refreshToken;
  grant.refreshTokenIsNew = newRefresh;
  grant.issuedAtMs = clock_.nowMs();
  grant.expiresInS = options_.accessTtlMs / 1000;
  access_[grant.accessToken] = {clientId, refreshToken, grant.issuedAtMs + options_.accessTtlMs};
  return grant;
}

OAuthTokenStore::Grant OAuthTokenStore::exchangeCode(const std::string& code, const std::string& clientId,
                                                     const std::string& clientSecret, const std::string& redirectUri) {
  std::lock_guard lock(mutex_);
  if (!clientMatches(clientId, clientSecret)) {
    return {"invalid_client", "invalid client credentials", "", "", false, 0, 0};
  }
  auto found = codes_.find(code);
  if (found == codes_.end()) {
    return {"invalid_grant", "authorization code is unknown or already used", "", "", false, 0, 0};
  }
  const Code issued = found->second;
  codes_.erase(found);
  if (issued.clientId != clientId) {
    return {"invalid_grant", "authorization code was issued to another client", "", "", false, 0, 0};
  }
  if (!issued.redirectUri.empty() && issued.redirectUri != redirectUri) {
    return {"invalid_grant", "redirect_uri mismatch", "", "", false, 0, 0};
  }
  if (issued.expiresAtMs <= clock_.nowMs()) {
    return {"invalid_grant", "authorization code expired", "", "", false, 0, 0};
  }
  const std::string refresh = newToken("rt");
  refresh_[refresh] = clientId;
  return issue(clientId, refresh, true);
}

OAuthTokenStore::Grant OAuthTokenStore::refresh(const std::string& refreshToken, const std::string& clientId,
                                                const std::string& clientSecret, bool rotate) {
  std::lock_guard lock(mutex_);
  if (!clientMatches(clientId, clientSecret)) {
    return {"invalid_client", "invalid client credentials", "", "", false, 0, 0};
  }
  auto found = refresh_.find(refreshToken);
  if (found == refresh_.end() || found->second != clientId) {
    return {"invalid_grant", "expired access/refresh token", "", "", false, 0, 0};
  }
  if (!rotate) return issue(clientId, refreshToken, false);
  refresh_.erase(found);
  const std::string next = newToken("rt");
  refresh_[next] = clientId;
  return issue(clientId, next, true);
}

bool OAuthTokenStore::revoke(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (access_.erase(token) > 0) return true;
  if (refresh_.erase(token) == 0) return false;
  for (auto it = access_.begin(); it != access_.end();) {
    it = it->second.refreshToken == token ? access_.erase(it) : std::next(it);
  }
  return true;
}

OAuthTokenStore::TokenInfo OAuthTokenStore::check(const std::string& accessToken) const {
  if (std::find(options_.staticTokens.begin(), options_.staticTokens.end(), accessToken) !=
      options_.staticTokens.end()) {
    return {Check::Valid, "static", true};
  }
  std::lock_guard lock(mutex_);
  auto found = access_.find(accessToken);
  if (found == access_.end()) return {Check::Unknown, "", false};
  if (found->second.expiresAtMs <= clock_.nowMs()) {
    return {Check::Expired, found->second.clientId, false};
  }
  return {Check::Valid, found->second.clientId, false};
}

void OAuthTokenStore::expireAll() {
  std::lock_guard lock(mutex_);
  for (auto& [token, access] : access_) access.expiresAtMs = clock_.nowMs();
}

}  // namespace tributary::sim
