#pragma once

#include <vector>

#include "SalesforceObject.h"
#include "SoqlQuery.h"

namespace tributary::sim {

// Checks a parsed query against the objects the simulator serves, the way Salesforce does:
// INVALID_TYPE for an unknown object, INVALID_FIELD for an unknown field or a literal of the
// wrong type. Rewrites field names to their describe spelling.
class SoqlBinder {
 public:
  // Returns the queried object; throws SoqlError.
  static const SalesforceObject& bind(SoqlQuery& query, const std::vector<const SalesforceObject*>& objects);
};

}  // namespace tributary::sim
