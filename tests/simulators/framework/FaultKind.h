#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary::sim {

enum class FaultKind {
  // A storm of the vendor's own rate-limit answer (HubSpot 429, Salesforce 403).
  RateLimit,
  // 500/502/503/504 with the vendor's error body.
  ServerError,
  // Added delay before answering.
  Latency,
  // TCP RST instead of an answer.
  ConnectionReset,
  // Full Content-Length announced, half the body sent, connection dropped.
  TruncatedBody,
  // 200 with a body that is not valid JSON.
  MalformedJson,
  // The vendor's 401 for an expired token.
  ExpiredToken,
  // The vendor's answer to a stale paging cursor; only requests that carry a cursor.
  ExpiredCursor,
  // Exactly the status, headers and body the rule gives (a 200 carrying a GraphQL rate-limit
  // error, a 403 with a quota body, ...).
  Respond,
};

std::string_view faultKindName(FaultKind kind);
std::optional<FaultKind> faultKindFromName(std::string_view name);
// "rate_limit, server_error, ..." for error messages.
std::string faultKindNames();

}  // namespace tributary::sim
