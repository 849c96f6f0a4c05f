#include "HubSpotObject.h"

#include <algorithm>

#include "../framework/TimeFormat.h"

namespace tributary::sim {

HubSpotObject::HubSpotObject(Settings settings, ObjectStore::Options storeOptions)
    : SimObject(settings.name, settings.entity, std::move(storeOptions)), settings_(std::move(settings)) {}

std::string HubSpotObject::sourceId(uint64_t index) const { return std::to_string(settings_.idBase + index); }

std::optional<uint64_t> HubSpotObject::indexOf(std::string_view sourceId) const {
  if (sourceId.empty() || sourceId.size() > 18 || sourceId.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const uint64_t id = std::stoull(std::string(sourceId));
  if (id < settings_.idBase) return std::nullopt;
  const uint64_t index = id - settings_.idBase;
  if (index >= store().size()) return std::nullopt;
  return index;
}

HubSpotPropertyType HubSpotObject::propertyType(const std::string& property) const {
  if (property == "createdate" || property == settings_.lastModifiedProperty || property == "hs_lastmodifieddate" ||
      property == "closedate") {
    return HubSpotPropertyType::DateTime;
  }
  if (property == "hs_object_id" || property == "amount") return HubSpotPropertyType::Number;
  return HubSpotPropertyType::String;
}

nlohmann::json HubSpotObject::generate(const RecordState& state) const {
  DeterministicRandom stable(DeterministicRandom::combine(store().seed(), name(), state.index, 0));
  DeterministicRandom volatileDraws(
      DeterministicRandom::combine(store().seed(), name() + "/v", state.index, state.version));
  nlohmann::json properties = nlohmann::json::object();
  fillProperties(state, stable, volatileDraws, properties);
  if (state.overrides) {
    for (const auto& [key, value] : state.overrides->items()) {
      // HubSpot stores every property as a string.
      properties[key] = value.is_null() || value.is_string() ? value : nlohmann::json(value.dump());
    }
  }
  const std::string id = sourceId(state.index);
  properties["createdate"] = TimeFormat::isoMillisZ(state.createdAtMs);
  properties[settings_.lastModifiedProperty] = TimeFormat::isoMillisZ(state.modifiedAtMs);
  properties["hs_object_id"] = id;
  nlohmann::json record = {{"id", id},
                           {"properties", std::move(properties)},
                           {"createdAt", TimeFormat::isoMillisZ(state.createdAtMs)},
                           {"updatedAt", TimeFormat::isoMillisZ(state.modifiedAtMs)},
                           {"archived", state.deleted}};
  if (state.deleted) record["archivedAt"] = TimeFormat::isoMillisZ(state.deletedAtMs);
  return record;
}

nlohmann::json HubSpotObject::project(const nlohmann::json& full, const std::vector<std::string>& names,
                                      bool useDefaults, const std::vector<std::string>& defaults,
                                      const std::string& lastModifiedProperty) {
  const std::vector<std::string>& wanted = useDefaults ? defaults : names;
  const nlohmann::json& all = full["properties"];
  nlohmann::json properties = nlohmann::json::object();
  for (const std::string& name : wanted) {
    auto found = all.find(name);
    if (found != all.end()) properties[name] = *found;
  }
  // HubSpot always returns these three.
  for (const std::string& name : {std::string("createdate"), lastModifiedProperty, std::string("hs_object_id")}) {
    properties[name] = all[name];
  }
  nlohmann::json out = {{"id", full["id"]},
                        {"properties", std::move(properties)},
                        {"createdAt", full["createdAt"]},
                        {"updatedAt", full["updatedAt"]},
                        {"archived", full["archived"]}};
  if (full.contains("archivedAt")) out["archivedAt"] = full["archivedAt"];
  return out;
}

}  // namespace tributary::sim
