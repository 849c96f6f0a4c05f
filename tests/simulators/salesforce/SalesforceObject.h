#pragma once

#include <optional>
#include <string>
#include <vector>

#include "../framework/DeterministicRandom.h"
#include "../framework/SimObject.h"
#include "SalesforceFieldType.h"

namespace tributary::sim {

// A Salesforce sObject type (Opportunity, Contact, Account): 18-character ids, typed JSON
// values, and the system fields every record has.
class SalesforceObject : public SimObject {
 public:
  struct Settings {
    std::string sobject;
    std::string entity;
    std::string keyPrefix;
    // The object's own fields; Id and the system fields are added.
    std::vector<SalesforceField> fields;
    double dirtyRate = 0.1;
  };

  SalesforceObject(Settings settings, ObjectStore::Options storeOptions);

  std::string sourceId(uint64_t index) const override;
  std::optional<uint64_t> indexOf(std::string_view sourceId) const override;
  // Every field, typed: {"Id":..., "Name":..., "CreatedDate":..., "IsDeleted":false, ...}
  nlohmann::json generate(const RecordState& state) const override;
  std::vector<std::string> writableFields() const override;

  // All fields in describe order, Id first and system fields last.
  const std::vector<SalesforceField>& fields() const { return allFields_; }
  // Case-insensitive, as SOQL is.
  const SalesforceField* field(const std::string& name) const;

  // Account index that child record `index` belongs to under `relation`, or none (one in ten).
  static std::optional<uint64_t> parentIndex(uint64_t seed, const std::string& relation, uint64_t index,
                                             uint64_t parents);
  static std::string ownerId(DeterministicRandom& random);

 protected:
  virtual void fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                          nlohmann::json& record) const = 0;
  bool dirty(DeterministicRandom& random) const { return random.chance(settings_.dirtyRate); }

 private:
  Settings settings_;
  std::vector<SalesforceField> allFields_;
};

}  // namespace tributary::sim
