#include "HubSpotAssociations.h"

#include "../framework/DeterministicRandom.h"

namespace tributary::sim {

HubSpotAssociations::HubSpotAssociations(uint64_t seed, uint64_t baseContacts, uint64_t baseCompanies)
    : seed_(seed), baseContacts_(baseContacts), baseCompanies_(baseCompanies) {}

uint64_t HubSpotAssociations::parentCount(const std::string& pair) const {
  return pair == "deals->contacts" ? baseContacts_ : baseCompanies_;
}

std::optional<uint64_t> HubSpotAssociations::parentOf(const std::string& pair, uint64_t childIndex) const {
  const uint64_t parents = parentCount(pair);
  if (parents == 0) return std::nullopt;
  // One child in ten has no parent: real CRMs are full of orphans.
  if (DeterministicRandom::combine(seed_, pair, childIndex) % 10 == 0) return std::nullopt;
  return childIndex % parents;
}

std::vector<uint64_t> HubSpotAssociations::childrenOf(const std::string& pair, uint64_t parentIndex,
                                                      uint64_t childTotal) const {
  std::vector<uint64_t> out;
  const uint64_t parents = parentCount(pair);
  if (parents == 0 || parentIndex >= parents) return out;
  for (uint64_t child = parentIndex; child < childTotal; child += parents) {
    if (parentOf(pair, child) == parentIndex) out.push_back(child);
  }
  return out;
}

}  // namespace tributary::sim
