#include "FaultKind.h"

#include <array>
#include <utility>

namespace tributary::sim {
namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 9> kNames{{
    {FaultKind::RateLimit, "rate_limit"},
    {FaultKind::ServerError, "server_error"},
    {FaultKind::Latency, "latency"},
    {FaultKind::ConnectionReset, "connection_reset"},
    {FaultKind::TruncatedBody, "truncated_body"},
    {FaultKind::MalformedJson, "malformed_json"},
    {FaultKind::ExpiredToken, "expired_token"},
    {FaultKind::ExpiredCursor, "expired_cursor"},
    {FaultKind::Respond, "respond"},
}};

}  // namespace

std::string_view faultKindName(FaultKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "unknown";
}

std::optional<FaultKind> faultKindFromName(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  return std::nullopt;
}

std::string faultKindNames() {
  std::string out;
  for (const auto& [k, name] : kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace tributary::sim
