#pragma once

#include <memory>
#include <vector>

#include "SimClock.h"
#include "SimRequest.h"
#include "SimResponse.h"
#include "VendorRuntime.h"

namespace tributary::sim {

// The simulator-wide admin listener (ready file "admin_url"): status, the shared clock, and
// quota resets across every vendor.
class GlobalAdminApi {
 public:
  GlobalAdminApi(SimClock& clock, std::vector<VendorRuntime*> vendors) : clock_(clock), vendors_(std::move(vendors)) {}

  SimResponse dispatch(const SimRequest& request);

 private:
  SimClock& clock_;
  std::vector<VendorRuntime*> vendors_;
};

}  // namespace tributary::sim
