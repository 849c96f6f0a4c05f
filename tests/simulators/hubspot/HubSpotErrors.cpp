#include "HubSpotErrors.h"

#include <cstdio>

#include "../framework/DeterministicRandom.h"

namespace tributary::sim {

std::string HubSpotErrors::correlationId() {
  const uint64_t a = DeterministicRandom::combine(seed_, "correlation", counter_++);
  const uint64_t b = DeterministicRandom::mix(a);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xFFFF),
                static_cast<unsigned long long>(a & 0xFFF), static_cast<unsigned long long>((b >> 48) & 0xFFF),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buffer;
}

void HubSpotErrors::error(SimResponse& response, int status, const std::string& category, const std::string& message,
                          const nlohmann::json& extra) {
  nlohmann::json body = {
      {"status", "error"}, {"message", message}, {"correlationId", correlationId()}, {"category", category}};
  body.update(extra);
  response.setJson(status, body);
}

void HubSpotErrors::rateLimited(SimResponse& response, const std::string& policy, int64_t retryAfterMs) {
  std::string message = "You have reached your daily limit.";
  if (policy == "TEN_SECONDLY_ROLLING") {
    message = "You have reached your ten_secondly_rolling limit.";
  } else if (policy == "SECONDLY") {
    message = "You have reached your secondly limit.";
  }
  nlohmann::json body = {{"status", "error"},
                         {"message", message},
                         {"errorType", "RATE_LIMIT"},
                         {"correlationId", correlationId()},
                         {"policyName", policy}};
  if (policy == "DAILY") body["requestId"] = correlationId();
  response.setJson(429, body);
  // Whole seconds, rounded up: a client that honours it never comes back early.
  response.setHeader("Retry-After", std::to_string(std::max<int64_t>(1, (retryAfterMs + 999) / 1000)));
}

}  // namespace tributary::sim
