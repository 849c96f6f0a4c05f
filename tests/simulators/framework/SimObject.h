#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ObjectStore.h"
#include "RecordState.h"

namespace tributary::sim {

// What a perfect connector derives from one raw record: the canonical fields in the order of
// docs/canonical-model.md, or the reason the record is poison.
struct CanonicalRecord {
  std::vector<std::optional<std::string>> fields;
  std::optional<std::string> poisonReason;
};

// One vendor object (HubSpot deals, Salesforce Opportunity, ...): its store, its ids, how its
// raw records are generated, and how they map to the canonical entity. The framework builds
// ground truth and admin mutations on this interface alone.
class SimObject {
 public:
  SimObject(std::string name, std::string canonicalEntity, ObjectStore::Options storeOptions);
  virtual ~SimObject() = default;

  const std::string& name() const { return name_; }
  const std::string& canonicalEntity() const { return canonicalEntity_; }
  ObjectStore& store() { return store_; }
  const ObjectStore& store() const { return store_; }

  virtual std::string sourceId(uint64_t index) const = 0;
  virtual std::optional<uint64_t> indexOf(std::string_view sourceId) const = 0;
  // The full raw record, in the vendor's wire shape, for a state of the mutation log.
  virtual nlohmann::json generate(const RecordState& state) const = 0;
  virtual CanonicalRecord canonicalize(const nlohmann::json& raw) const = 0;
  // Field names that admin overrides may set (the vendor's own names).
  virtual std::vector<std::string> writableFields() const = 0;

 private:
  std::string name_;
  std::string canonicalEntity_;
  ObjectStore store_;
};

}  // namespace tributary::sim
