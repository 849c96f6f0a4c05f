#pragma once

#include "SimClock.h"
#include "SimRequest.h"
#include "SimResponse.h"

namespace tributary::sim {

// GET /admin/clock and POST /admin/clock/advance, served on every admin listener.
class ClockAdmin {
 public:
  // Returns false when the path is not a clock route.
  static bool handle(SimClock& clock, const SimRequest& request, SimResponse& response);
  static nlohmann::json describe(const SimClock& clock);
};

}  // namespace tributary::sim
