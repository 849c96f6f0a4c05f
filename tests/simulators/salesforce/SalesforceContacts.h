#pragma once

#include "SalesforceObject.h"

namespace tributary::sim {

// Contact -> canonical contacts. Dirty: null first names, over-long last names, padded
// upper-case emails. Poison: an Email that holds no address.
class SalesforceContacts : public SalesforceObject {
 public:
  SalesforceContacts(ObjectStore::Options storeOptions, double dirtyRate, uint64_t baseAccounts);
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                  nlohmann::json& record) const override;

 private:
  uint64_t baseAccounts_;
};

}  // namespace tributary::sim
