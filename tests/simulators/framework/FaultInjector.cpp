#include "FaultInjector.h"

#include <algorithm>

#include "ConfigError.h"

namespace tributary::sim {
namespace {

void requireType(bool ok, const std::string& where, const std::string& field, const std::string& expected) {
  if (!ok) throw ConfigError(where + "." + field + ": expected " + expected);
}

}  // namespace

FaultRule FaultRule::fromJson(const nlohmann::json& body, const std::string& where) {
  if (!body.is_object()) throw ConfigError(where + ": expected an object");
  static const std::vector<std::string> kFields = {"kind",        "method", "path",   "count",
                                                   "probability", "seed",   "status", "latency_ms"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      throw ConfigError(where + "." + key +
                        ": unknown field (allowed: kind, method, path, count, probability, seed, "
                        "status, latency_ms)");
    }
  }
  FaultRule rule;
  if (!body.contains("kind") || !body["kind"].is_string()) {
    throw ConfigError(where + ".kind: required, one of: " + faultKindNames());
  }
  const auto kind = faultKindFromName(body["kind"].get<std::string>());
  if (!kind) {
    throw ConfigError(where + ".kind: unknown fault '" + body["kind"].get<std::string>() +
                      "' (known: " + faultKindNames() + ")");
  }
  rule.kind = *kind;
  if (body.contains("method")) {
    requireType(body["method"].is_string(), where, "method", "a string such as \"GET\"");
    rule.method = body["method"];
  }
  if (body.contains("path")) {
    requireType(body["path"].is_string(), where, "path", "a path prefix string");
    rule.path = body["path"];
  }
  if (body.contains("count")) {
    requireType(
        body["count"].is_number_unsigned() || (body["count"].is_number_integer() && body["count"].get<int64_t>() >= 0),
        where, "count", "a non-negative integer");
    rule.count = body["count"].get<uint64_t>();
  }
  if (body.contains("probability")) {
    requireType(body["probability"].is_number(), where, "probability", "a number in [0, 1]");
    rule.probability = body["probability"];
    requireType(rule.probability >= 0 && rule.probability <= 1, where, "probability", "a number in [0, 1]");
  }
  if (body.contains("seed")) {
    requireType(body["seed"].is_number_integer(), where, "seed", "an integer");
    rule.seed = body["seed"].get<uint64_t>();
  }
  if (body.contains("status")) {
    requireType(body["status"].is_number_integer(), where, "status", "500, 502, 503 or 504");
    rule.status = body["status"];
    requireType(rule.kind == FaultKind::ServerError, where, "status", "no status (only server_error takes one)");
    requireType(rule.status == 500 || rule.status == 502 || rule.status == 503 || rule.status == 504, where, "status",
                "500, 502, 503 or 504");
  }
  if (body.contains("latency_ms")) {
    requireType(body["latency_ms"].is_number_integer() && body["latency_ms"].get<int64_t>() >= 0 &&
                    body["latency_ms"].get<int64_t>() <= 60000,
                where, "latency_ms", "an integer from 0 to 60000");
    rule.latencyMs = body["latency_ms"];
  }
  if (rule.kind == FaultKind::Latency && !body.contains("latency_ms")) {
    throw ConfigError(where + ".latency_ms: required for a latency fault");
  }
  return rule;
}

nlohmann::json FaultRule::toJson() const {
  nlohmann::json out = {{"id", id},
                        {"kind", std::string(faultKindName(kind))},
                        {"method", method},
                        {"path", path},
                        {"probability", probability},
                        {"seed", seed},
                        {"fired", fired}};
  out["count"] = count ? nlohmann::json(*count) : nlohmann::json(nullptr);
  if (kind == FaultKind::ServerError) out["status"] = status;
  if (kind == FaultKind::Latency) out["latency_ms"] = latencyMs;
  return out;
}

uint64_t FaultInjector::add(FaultRule rule) {
  std::lock_guard lock(mutex_);
  rule.id = nextId_++;
  DeterministicRandom random(DeterministicRandom::combine(rule.seed, "fault", rule.id));
  rules_.push_back({std::move(rule), random});
  return rules_.back().rule.id;
}

bool FaultInjector::remove(uint64_t id) {
  std::lock_guard lock(mutex_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->rule.id == id) {
      rules_.erase(it);
      return true;
    }
  }
  return false;
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

nlohmann::json FaultInjector::list() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& active : rules_) out.push_back(active.rule.toJson());
  return out;
}

std::vector<FiredFault> FaultInjector::decide(const SimRequest& request, bool carriesCursor) {
  std::lock_guard lock(mutex_);
  std::vector<FiredFault> fired;
  for (auto& active : rules_) {
    FaultRule& rule = active.rule;
    if (rule.count && *rule.count == 0) continue;
    if (!rule.method.empty() && rule.method != request.method) continue;
    if (!rule.path.empty() && request.path.rfind(rule.path, 0) != 0) continue;
    if (rule.kind == FaultKind::ExpiredCursor && !carriesCursor) continue;
    if (rule.probability < 1.0 && !active.random.chance(rule.probability)) continue;
    if (rule.count) --*rule.count;
    ++rule.fired;
    fired.push_back({rule.kind, rule.status, rule.latencyMs});
  }
  return fired;
}

}  // namespace tributary::sim
