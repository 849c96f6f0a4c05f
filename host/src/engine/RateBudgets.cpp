#include "engine/RateBudgets.h"

#include <algorithm>

#include "common/Hash.h"

namespace tributary::engine {

std::vector<EffectiveBudget> effectiveBudgets(const config::ConnectionRateLimit& limits,
                                              const std::vector<plugins::RateLimitDescriptor>& declared) {
  std::vector<EffectiveBudget> out;
  out.reserve(declared.size());
  for (const auto& d : declared) {
    EffectiveBudget b;
    b.name = d.name;
    b.requests = d.requests;
    b.per = std::chrono::milliseconds(d.perMs);
    b.headroom = limits.headroom;
    b.points = d.points;
    b.quota = d.quota;
    b.everyRequest = d.everyRequest;
    if (auto it = limits.classes.find(d.name); it != limits.classes.end()) {
      b.requests = it->second.requests;
      b.per = it->second.per;
      b.overridden = true;
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::string rateLimitAccount(const config::ConnectionConfig& conn, const std::vector<std::string>& secretKeys) {
  if (conn.rateLimit.account) return *conn.rateLimit.account;
  std::string credential;
  for (const auto& [key, value] : conn.settings) {  // a std::map: sorted by key
    if (std::find(secretKeys.begin(), secretKeys.end(), key) == secretKeys.end()) continue;
    credential += "\n" + key + "=" + value.value;
  }
  // A static credential the host adds (auth:) names the account as a secret setting does. An
  // oauth2 one's account is known only from its tokens: its connection's own, unless named.
  if (conn.auth.given() && conn.auth.type != "oauth2") {
    for (const auto& [key, value] : conn.auth.values) credential += "\nauth." + key + "=" + value.value;
  }
  // Connections sharing an OAuth credential share the vendor account it was granted on.
  if (!conn.auth.credential.empty()) credential += "\nauth.credential=" + conn.auth.credential;
  if (credential.empty()) return "conn:" + conn.qualifiedName();
  return "cred:" + hash::sha256Hex(conn.connector + credential);
}

}  // namespace tributary::engine
