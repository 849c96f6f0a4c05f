#include "FaultInjector.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "ConfigError.h"

namespace tributary::sim {
namespace {

void requireType(bool ok, const std::string& where, const std::string& field, const std::string& expected) {
  if (!ok) throw ConfigError(where + "." + field + ": expected " + expected);
}

// An RFC 9110 token.
bool isHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

FaultRule FaultRule::fromJson(const nlohmann::json& body, const std::string& where) {
  if (!body.is_object()) throw ConfigError(where + ": expected an object");
  static const std::vector<std::string> kFields = {"kind", "method", "path",       "count", "probability",
                                                   "seed", "status", "latency_ms", "body",  "headers"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      throw ConfigError(where + "." + key +
                        ": unknown field (allowed: kind, method, path, count, probability, seed, "
                        "status, latency_ms, body, headers)");
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
    const nlohmann::json& status = body["status"];
    if (rule.kind == FaultKind::Respond) {
      requireType(status.is_number_integer() && status.get<int64_t>() >= 100 && status.get<int64_t>() <= 599, where,
                  "status", "an integer from 100 to 599");
    } else {
      requireType(rule.kind == FaultKind::ServerError, where, "status",
                  "no status (only server_error and respond take one)");
      requireType(status.is_number_integer(), where, "status", "500, 502, 503 or 504");
      const int64_t value = status.get<int64_t>();
      requireType(value == 500 || value == 502 || value == 503 || value == 504, where, "status",
                  "500, 502, 503 or 504");
    }
    rule.status = static_cast<int>(status.get<int64_t>());
  }
  if (rule.kind == FaultKind::Respond && !body.contains("status")) {
    throw ConfigError(where + ".status: required for a respond fault (an integer from 100 to 599)");
  }
  if (body.contains("body")) {
    requireType(rule.kind == FaultKind::Respond, where, "body", "no body (only respond takes one)");
    requireType(body["body"].is_string(), where, "body", "a string, sent as is (a JSON body goes in as its text)");
    rule.body = body["body"];
  }
  if (body.contains("headers")) {
    requireType(rule.kind == FaultKind::Respond, where, "headers", "no headers (only respond takes them)");
    requireType(body["headers"].is_object(), where, "headers", "an object of header name to string value");
    for (const auto& [name, value] : body["headers"].items()) {
      const std::string field = "headers." + name;
      if (!isHeaderName(name)) {
        throw ConfigError(where + ".headers: '" + name +
                          "' is not a header name (use letters, digits and !#$%&'*+-.^_`|~)");
      }
      if (strcasecmp(name.c_str(), "Content-Length") == 0 || strcasecmp(name.c_str(), "Transfer-Encoding") == 0) {
        throw ConfigError(where + "." + field + ": not settable (the simulator frames the body with Content-Length)");
      }
      requireType(value.is_string(), where, field, "a string (in YAML quote numbers: \"1\")");
      const std::string text = value.get<std::string>();
      requireType(text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos, where, field,
                  "a string without CR, LF or NUL");
      rule.headers.emplace_back(name, text);
    }
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
  if (kind == FaultKind::Respond) {
    out["status"] = status;
    out["body"] = body;
    out["headers"] = nlohmann::json::object();
    for (const auto& [name, value] : headers) out["headers"][name] = value;
  }
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
    fired.push_back({rule.kind, rule.status, rule.latencyMs, rule.body, rule.headers});
  }
  return fired;
}

}  // namespace tributary::sim
