#pragma once

#include <cstdint>
#include <string>

#include "ConfigNode.h"
#include "SimClock.h"
#include "WallClock.h"

namespace tributary::sim {

// What the framework hands a vendor's factory: its scenario section and the shared clocks.
struct VendorContext {
  std::string name;
  uint64_t seed = 0;
  SimClock& clock;
  WallClock wallClock;
  ConfigNode config;
};

}  // namespace tributary::sim
