#pragma once

#include <memory>

#include "AdminApi.h"
#include "ConfigNode.h"
#include "FaultInjector.h"
#include "OrderBook.h"
#include "RequestLog.h"
#include "SimClock.h"
#include "Vendor.h"
#include "WallClock.h"

namespace tributary::sim {

// One vendor with everything the framework wraps around it: the admin API, the fault
// injector, the request log and the framework's own /_sim/ routes. dispatch() is the whole
// request path minus the socket.
class VendorRuntime {
 public:
  VendorRuntime(std::unique_ptr<Vendor> vendor, SimClock& clock, WallClock wallClock, size_t requestLogCapacity,
                uint64_t seed);

  // Loads the vendor section's "faults" list; throws ConfigError naming the key.
  void loadFaults(const ConfigNode& faults);
  SimResponse dispatch(const SimRequest& request);

  Vendor& vendor() { return *vendor_; }
  FaultInjector& faults() { return faults_; }
  RequestLog& log() { return log_; }
  OrderBook& orders() { return orders_; }

 private:
  void serveVendor(const SimRequest& request, SimResponse& response);

  std::unique_ptr<Vendor> vendor_;
  SimClock& clock_;
  WallClock wallClock_;
  FaultInjector faults_;
  RequestLog log_;
  OrderBook orders_;
  AdminApi admin_;
};

}  // namespace tributary::sim
