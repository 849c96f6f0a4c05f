#pragma once

#include <atomic>
#include <cstdint>

#include "FaultInjector.h"
#include "OrderBook.h"
#include "RequestLog.h"
#include "SimClock.h"
#include "SimRequest.h"
#include "SimResponse.h"
#include "Vendor.h"
#include "WallClock.h"

namespace tributary::sim {

// The per-vendor admin API under /admin on the vendor's own listener: clock, records, ground
// truth, quotas, tokens, faults, the request log and the orders of POST /_sim/orders. See
// docs/simulators.md.
class AdminApi {
 public:
  AdminApi(Vendor& vendor, SimClock& clock, WallClock wallClock, FaultInjector& faults, RequestLog& log,
           OrderBook& orders, uint64_t seed);

  void handle(const SimRequest& request, SimResponse& response);

 private:
  void groundTruth(const SimRequest& request, SimResponse& response);
  void objects(SimResponse& response);
  void records(const SimRequest& request, SimResponse& response);
  void create(SimObject& object, const nlohmann::json& body, SimResponse& response);
  // "modify" or "delete"
  void mutate(SimObject& object, const std::string& action, const nlohmann::json& body, SimResponse& response);
  void faults(const SimRequest& request, SimResponse& response);
  void requests(const SimRequest& request, SimResponse& response);
  void orders(const SimRequest& request, SimResponse& response);
  // Checks admin field overrides against the object's writable fields; empty when fine.
  std::string checkFields(const SimObject& object, const nlohmann::json& fields, const std::string& where) const;

  Vendor& vendor_;
  SimClock& clock_;
  WallClock wallClock_;
  FaultInjector& faults_;
  RequestLog& log_;
  OrderBook& orders_;
  const uint64_t seed_;
  std::atomic<uint64_t> picks_{0};
};

}  // namespace tributary::sim
