#pragma once

#include <string>

#include "SoqlQuery.h"

namespace tributary::sim {

// Parses the simulator's SOQL subset (docs/simulators.md). Anything outside it throws
// SoqlError with MALFORMED_QUERY and Salesforce's caret-and-column message. Names are not
// checked here; see SoqlBinder.
class SoqlParser {
 public:
  static SoqlQuery parse(const std::string& soql);
};

}  // namespace tributary::sim
