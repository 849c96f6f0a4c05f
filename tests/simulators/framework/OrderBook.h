#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "SimRequest.h"
#include "SimResponse.h"

namespace tributary::sim {

// The framework's non-idempotent endpoint, POST /_sim/orders on every vendor listener: each call
// that reaches it creates one order, so a test can prove that a client never sent a POST twice.
// Requests to it are faulted and logged like vendor requests; GET /admin/orders lists the orders.
class OrderBook {
 public:
  // Paths under it belong to the framework on every vendor listener; no vendor serves them.
  static constexpr std::string_view kPrefix = "/_sim/";
  static constexpr std::string_view kOrdersPath = "/_sim/orders";

  static bool owns(const std::string& path) { return path.rfind(kPrefix, 0) == 0 || path == "/_sim"; }

  // POST /_sim/orders with any body: one new order, 201 {"id": N}. Other routes: 404 or 405.
  void handle(const SimRequest& request, int64_t wallMs, SimResponse& response);
  // Oldest first: [{"id", "body", "connection", "time_ms", "time"}].
  nlohmann::json list() const;
  // Forgets the orders; ids keep counting, so an id is never given twice.
  void clear();

 private:
  struct Order {
    uint64_t id;
    std::string body;
    uint64_t connection;
    int64_t wallMs;
  };
  mutable std::mutex mutex_;
  std::vector<Order> orders_;
  uint64_t nextId_ = 1;
};

}  // namespace tributary::sim
