#pragma once

#include <string>

#include "SimObject.h"

namespace tributary::sim {

// Builds GET /admin/ground-truth: every record a perfect sync holds at the current simulated
// time, with its canonical digest, and the ids of poison records.
class GroundTruth {
 public:
  // Serialized directly: a million rows must not need a million json nodes.
  static std::string render(const SimObject& object, int64_t simNowMs);
};

}  // namespace tributary::sim
