#pragma once

#include "SalesforceObject.h"

namespace tributary::sim {

// Opportunity -> canonical deals. Dirty: over-long or blank names, null amounts, impossible
// close dates, unmapped stages. Poison: an Amount that arrives as a non-numeric string.
class SalesforceOpportunities : public SalesforceObject {
 public:
  SalesforceOpportunities(ObjectStore::Options storeOptions, double dirtyRate, uint64_t baseAccounts);
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                  nlohmann::json& record) const override;

 private:
  uint64_t baseAccounts_;
};

}  // namespace tributary::sim
