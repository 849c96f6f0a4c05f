#pragma once

#include <nlohmann/json.hpp>

#include "SalesforceObject.h"
#include "SoqlQuery.h"

namespace tributary::sim {

// Evaluates a bound query's WHERE and ORDER BY against generated records.
class SoqlEvaluator {
 public:
  static bool matches(const SoqlCondition& condition, const nlohmann::json& record, const SalesforceObject& object);
  // Strict weak order by the ORDER BY items, then by Id.
  static bool before(const std::vector<SoqlOrder>& order, const nlohmann::json& a, const nlohmann::json& b,
                     const SalesforceObject& object);
  // SOQL LIKE: % any run, _ one character, case-insensitive.
  static bool like(const std::string& value, const std::string& pattern);
};

}  // namespace tributary::sim
