#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "SalesforceObject.h"
#include "SoqlQuery.h"

namespace tributary::sim {

// Runs a bound query over an object's store: the matching record indexes in result order,
// LIMIT applied. Keeps only sort keys in memory, so a million-row scan stays small.
class SoqlRunner {
 public:
  // scanAll: include deleted records still in the recycle bin (deleted at or after
  // recycleBinStartMs); queryAll and Bulk "queryAll" set it.
  static std::vector<uint64_t> run(const SoqlQuery& query, const SalesforceObject& object, bool scanAll,
                                   int64_t recycleBinStartMs);
  // One record as the REST API returns it: attributes, then the selected fields in order.
  static std::string project(const nlohmann::json& record, const SoqlQuery& query, const std::string& apiVersion);
};

}  // namespace tributary::sim
