#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::sim {

// 18-character Salesforce ids: key prefix (001 Account, 003 Contact, 006 Opportunity, ...),
// a fixed pod part, nine base-62 digits of the index, and the real case-safe 3-character
// suffix. Ids of one object sort in index order.
class SalesforceIds {
 public:
  static std::string make(std::string_view prefix, uint64_t index);
  // The index of an 18- (or 15-) character id with this prefix; nullopt otherwise.
  static std::optional<uint64_t> parse(std::string_view prefix, std::string_view id);
  static std::string suffixFor(std::string_view id15);
};

}  // namespace tributary::sim
