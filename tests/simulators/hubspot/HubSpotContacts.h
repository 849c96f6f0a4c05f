#pragma once

#include "HubSpotAssociations.h"
#include "HubSpotObject.h"

namespace tributary::sim {

// HubSpot contacts -> canonical contacts. Dirty: blank names, over-long last names, padded
// mixed-case emails. Poison: an email that holds no address ("n/a", "a@b@c.com").
class HubSpotContacts : public HubSpotObject {
 public:
  HubSpotContacts(ObjectStore::Options storeOptions, double dirtyRate, const HubSpotAssociations& associations,
                  uint64_t companyIdBase);

  std::vector<std::string> propertyNames() const override;
  std::vector<std::string> writableFields() const override;
  HubSpotPropertyType propertyType(const std::string& property) const override;
  CanonicalRecord canonicalize(const nlohmann::json& raw) const override;

 protected:
  void fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& volatileDraws,
                      nlohmann::json& properties) const override;

 private:
  const HubSpotAssociations& associations_;
  uint64_t companyIdBase_;
};

}  // namespace tributary::sim
