#include "SalesforceObject.h"

#include <strings.h>

#include "../framework/TimeFormat.h"
#include "SalesforceIds.h"

namespace tributary::sim {

SalesforceObject::SalesforceObject(Settings settings, ObjectStore::Options storeOptions)
    : SimObject(settings.sobject, settings.entity, std::move(storeOptions)), settings_(std::move(settings)) {
  allFields_.push_back({"Id", SalesforceFieldType::Id});
  for (const auto& f : settings_.fields) allFields_.push_back(f);
  allFields_.push_back({"CreatedDate", SalesforceFieldType::DateTime});
  allFields_.push_back({"LastModifiedDate", SalesforceFieldType::DateTime});
  allFields_.push_back({"SystemModstamp", SalesforceFieldType::DateTime});
  allFields_.push_back({"IsDeleted", SalesforceFieldType::Boolean});
}

std::string SalesforceObject::sourceId(uint64_t index) const { return SalesforceIds::make(settings_.keyPrefix, index); }

std::optional<uint64_t> SalesforceObject::indexOf(std::string_view sourceId) const {
  const auto index = SalesforceIds::parse(settings_.keyPrefix, sourceId);
  if (!index || *index >= store().size()) return std::nullopt;
  return index;
}

const SalesforceField* SalesforceObject::field(const std::string& name) const {
  for (const auto& f : allFields_) {
    if (strcasecmp(f.name.c_str(), name.c_str()) == 0) return &f;
  }
  return nullptr;
}

std::vector<std::string> SalesforceObject::writableFields() const {
  std::vector<std::string> out;
  for (const auto& f : settings_.fields) {
    if (f.name != "AccountId" && f.name != "IsClosed" && f.name != "IsWon") out.push_back(f.name);
  }
  return out;
}

std::optional<uint64_t> SalesforceObject::parentIndex(uint64_t seed, const std::string& relation, uint64_t index,
                                                      uint64_t parents) {
  if (parents == 0) return std::nullopt;
  if (DeterministicRandom::combine(seed, relation, index) % 10 == 0) return std::nullopt;
  return index % parents;
}

std::string SalesforceObject::ownerId(DeterministicRandom& random) {
  return SalesforceIds::make("005", static_cast<uint64_t>(random.between(1, 50)));
}

nlohmann::json SalesforceObject::generate(const RecordState& state) const {
  DeterministicRandom stable(DeterministicRandom::combine(store().seed(), name(), state.index, 0));
  DeterministicRandom draws(DeterministicRandom::combine(store().seed(), name() + "/v", state.index, state.version));
  nlohmann::json record = nlohmann::json::object();
  record["Id"] = sourceId(state.index);
  fillFields(state, stable, draws, record);
  if (state.overrides) {
    for (const auto& [key, value] : state.overrides->items()) {
      if (const SalesforceField* f = field(key)) record[f->name] = value;
    }
  }
  record["CreatedDate"] = TimeFormat::salesforceDateTime(state.createdAtMs);
  record["LastModifiedDate"] = TimeFormat::salesforceDateTime(state.modifiedAtMs);
  record["SystemModstamp"] = TimeFormat::salesforceDateTime(state.modifiedAtMs);
  record["IsDeleted"] = state.deleted;
  return record;
}

}  // namespace tributary::sim
