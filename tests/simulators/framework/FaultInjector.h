#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "DeterministicRandom.h"
#include "FaultKind.h"
#include "SimRequest.h"

namespace tributary::sim {

// One fault rule: which requests it hits, how often, and what it does.
struct FaultRule {
  uint64_t id = 0;
  FaultKind kind = FaultKind::ServerError;
  // Empty matches every method.
  std::string method;
  // Path prefix; empty matches every vendor path (admin paths are never faulted).
  std::string path;
  // Fires on the next `count` matching requests, then retires; nullopt is unlimited.
  std::optional<uint64_t> count;
  double probability = 1.0;
  uint64_t seed = 1;
  // server_error: 500/502/503/504; respond: 100..599.
  int status = 500;
  int latencyMs = 0;
  // respond: the body as sent, and the headers by name (a Content-Type among them replaces the
  // default application/json;charset=UTF-8).
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t fired = 0;

  // Reads {"kind":..., "method", "path", "count", "probability", "seed", "status",
  // "latency_ms", "body", "headers"}; errors name `where` and the field.
  static FaultRule fromJson(const nlohmann::json& body, const std::string& where);
  nlohmann::json toJson() const;
};

struct FiredFault {
  FaultKind kind;
  int status;
  int latencyMs;
  // respond only.
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The faults set on one vendor. Probabilistic rules draw from their own seeded generator, so a
// run with the same requests in the same order fails the same way.
class FaultInjector {
 public:
  uint64_t add(FaultRule rule);
  bool remove(uint64_t id);
  void clear();
  nlohmann::json list() const;
  // The faults that fire for this request, in the order they were set.
  std::vector<FiredFault> decide(const SimRequest& request, bool carriesCursor);

 private:
  struct Active {
    FaultRule rule;
    DeterministicRandom random;
  };
  mutable std::mutex mutex_;
  std::vector<Active> rules_;
  uint64_t nextId_ = 1;
};

}  // namespace tributary::sim
