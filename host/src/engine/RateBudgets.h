#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/Config.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::engine {

// One rate-limit class of one connection, as the HTTP client enforces it: the connector's
// declared budget, or the operator's rate_limit override of it, times the connection's headroom.
struct EffectiveBudget {
  std::string name;       // the class
  uint64_t requests = 0;  // declared or overridden (points for a points class)
  std::chrono::milliseconds per{0};
  double headroom = 1.0;  // the connection's
  bool points = false, quota = false, everyRequest = false;
  bool overridden = false;  // the operator set it
  // The budget enforced per `per`.
  double effective() const { return static_cast<double>(requests) * headroom; }
};

// Every class the connector declares, in its declared order, with the connection's overrides and
// headroom applied. An override keeps its class's kind (points, quota, every request). Overrides
// of undeclared classes are not in it (validateConnections refuses them).
std::vector<EffectiveBudget> effectiveBudgets(const config::ConnectionRateLimit& limits,
                                              const std::vector<plugins::RateLimitDescriptor>& declared);

// The vendor account that owns the connection's budgets, shared by every job, connection and host
// that names the same one:
//  - rate_limit.account, when set;
//  - else "cred:" + the hex SHA-256 of the connector's name and the connection's secret settings:
//    "CONNECTOR\nKEY1=VALUE1\nKEY2=VALUE2" with the keys sorted, so that connections with the same
//    credential share their budgets, and the key holds no secret's text;
//    A static credential of auth: (bearer, basic, api_key) counts as secret settings "auth.KEY",
//    and a shared OAuth credential (auth.credential) as "auth.credential=NAME";
//  - else, when the connection has no secret setting, "conn:" + workspace/name.
// `secretKeys` are the connector's SECRET config keys.
std::string rateLimitAccount(const config::ConnectionConfig& conn, const std::vector<std::string>& secretKeys);

}  // namespace tributary::engine
