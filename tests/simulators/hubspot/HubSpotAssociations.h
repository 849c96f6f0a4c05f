#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::sim {

// Which records are associated, as pure functions of the seed and the base sizes: each deal
// belongs to at most one company and one contact, each contact to at most one company. Child
// i's parent is i mod parentCount (unless drawn to have none), so the reverse lookup is a
// stride, not a table.
class HubSpotAssociations {
 public:
  HubSpotAssociations(uint64_t seed, uint64_t baseContacts, uint64_t baseCompanies);

  // pair: "deals->companies", "contacts->companies" or "deals->contacts".
  std::optional<uint64_t> parentOf(const std::string& pair, uint64_t childIndex) const;
  // Every child index below childTotal whose parent is parentIndex.
  std::vector<uint64_t> childrenOf(const std::string& pair, uint64_t parentIndex, uint64_t childTotal) const;

 private:
  uint64_t parentCount(const std::string& pair) const;

  uint64_t seed_;
  uint64_t baseContacts_;
  uint64_t baseCompanies_;
};

}  // namespace tributary::sim
