#pragma once

#include "SalesforceObject.h"

namespace tributary::sim {

// Account -> canonical accounts. Dirty: websites as full URLs, with www., upper case;
// over-long names; null industries. Poison: no Name.
class SalesforceAccounts : public SalesforceObject {
 public:
  SalesforceAccounts(ObjectStore::Options storeOptions, double dirtyRate);
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                  nlohmann::json& record) const override;
};

}  // namespace tributary::sim
