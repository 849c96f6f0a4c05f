#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "../framework/SimResponse.h"

namespace tributary::sim {

// HubSpot's error bodies: {status:"error", message, correlationId, category, ...} and the
// rate-limit bodies with errorType RATE_LIMIT and a policyName.
class HubSpotErrors {
 public:
  explicit HubSpotErrors(uint64_t seed) : seed_(seed) {}

  // A UUID-shaped id, unique per response.
  std::string correlationId();
  void error(SimResponse& response, int status, const std::string& category, const std::string& message,
             const nlohmann::json& extra = nlohmann::json::object());
  // policy: TEN_SECONDLY_ROLLING, DAILY or SECONDLY (search).
  void rateLimited(SimResponse& response, const std::string& policy, int64_t retryAfterMs);

 private:
  uint64_t seed_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace tributary::sim
