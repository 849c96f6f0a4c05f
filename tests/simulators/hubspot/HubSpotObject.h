#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../framework/DeterministicRandom.h"
#include "../framework/SimObject.h"

namespace tributary::sim {

// How search compares a property's values.
enum class HubSpotPropertyType { String, Number, DateTime };

// A HubSpot CRM object type (deals, contacts, companies). Records have numeric string ids
// (idBase + index), string-or-null properties, and ISO times with milliseconds.
class HubSpotObject : public SimObject {
 public:
  struct Settings {
    std::string name;
    std::string entity;
    uint64_t idBase = 0;
    std::string lastModifiedProperty;
    std::vector<std::string> defaultProperties;
    double dirtyRate = 0.1;
  };

  HubSpotObject(Settings settings, ObjectStore::Options storeOptions);

  std::string sourceId(uint64_t index) const override;
  std::optional<uint64_t> indexOf(std::string_view sourceId) const override;
  // {"id","properties":{every property},"createdAt","updatedAt","archived"[,"archivedAt"]}
  nlohmann::json generate(const RecordState& state) const override;

  const std::string& lastModifiedProperty() const { return settings_.lastModifiedProperty; }
  const std::vector<std::string>& defaultProperties() const { return settings_.defaultProperties; }
  virtual std::vector<std::string> propertyNames() const = 0;
  virtual HubSpotPropertyType propertyType(const std::string& property) const;
  // The record as the API shows it, with only `properties` (plus the always-present ones).
  static nlohmann::json project(const nlohmann::json& full, const std::vector<std::string>& names, bool useDefaults,
                                const std::vector<std::string>& defaults, const std::string& lastModifiedProperty);

 protected:
  // Fills the object's own properties; `stable` draws values that survive modifications,
  // `volatileDraws` values that change with each version.
  virtual void fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& volatileDraws,
                              nlohmann::json& properties) const = 0;
  // True with the dirty rate: this field gets one of its dirty variants.
  bool dirty(DeterministicRandom& random) const { return random.chance(settings_.dirtyRate); }

 private:
  Settings settings_;
};

}  // namespace tributary::sim
