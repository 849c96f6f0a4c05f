#pragma once

#include "HubSpotObject.h"

namespace tributary::sim {

// HubSpot companies -> canonical accounts. Dirty: domains given as URLs, with www., upper
// case or a port; over-long names; blank industries. Poison: no name at all.
class HubSpotCompanies : public HubSpotObject {
 public:
  HubSpotCompanies(ObjectStore::Options storeOptions, double dirtyRate);
  static constexpr uint64_t kIdBase = 10000000000ULL;

  std::vector<std::string> propertyNames() const override;
  std::vector<std::string> writableFields() const override;
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& volatileDraws,
                      nlohmann::json& properties) const override;
};

}  // namespace tributary::sim
