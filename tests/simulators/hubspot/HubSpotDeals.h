#pragma once

#include "HubSpotObject.h"

namespace tributary::sim {

// HubSpot deals -> canonical deals. Dirty: empty/blank/over-long names, "" and padded amounts,
// bad or offset close dates, unmapped stages. Poison: an amount that is not a number.
class HubSpotDeals : public HubSpotObject {
 public:
  HubSpotDeals(ObjectStore::Options storeOptions, double dirtyRate);

  std::vector<std::string> propertyNames() const override;
  std::vector<std::string> writableFields() const override;
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& volatileDraws,
                      nlohmann::json& properties) const override;
};

}  // namespace tributary::sim
