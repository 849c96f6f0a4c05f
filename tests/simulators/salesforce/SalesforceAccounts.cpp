#include "SalesforceAccounts.h"

#include <array>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"

namespace tributary::sim {

SalesforceAccounts::SalesforceAccounts(ObjectStore::Options storeOptions, double dirtyRate)
    : SalesforceObject({"Account",
                        "accounts",
                        "001",
                        {{"Name", SalesforceFieldType::String},
                         {"Website", SalesforceFieldType::Url},
                         {"Industry", SalesforceFieldType::Picklist},
                         {"OwnerId", SalesforceFieldType::Reference}},
                        dirtyRate},
                       std::move(storeOptions)) {}

void SalesforceAccounts::fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                                    nlohmann::json& record) const {
  static const std::array<const char*, 8> kIndustries = {
      "Technology", "Finance", "Healthcare", "Retail", "Manufacturing", "Education", "Telecommunications", "Insurance"};
  const std::string name = FakeData::companyName(stable, state.index);
  const std::string slug = FakeData::companySlug(name);
  nlohmann::json nameValue = name;
  if (state.poison) {
    nameValue = stable.chance(0.5) ? nlohmann::json(nullptr) : nlohmann::json("  ");
  } else if (dirty(stable)) {
    nameValue = FakeData::overlongText(stable, name);
  }
  record["Name"] = nameValue;
  nlohmann::json website = "www." + slug;
  if (dirty(stable)) {
    switch (stable.between(0, 3)) {
      case 0: website = "https://www." + slug + "/"; break;
      case 1: website = "HTTP://WWW." + slug; break;
      case 2: website = slug + "/contact-us"; break;
      default: website = nullptr; break;
    }
  }
  record["Website"] = website;
  record["Industry"] = dirty(draws) ? nlohmann::json(nullptr) : nlohmann::json(draws.pick(kIndustries));
  record["OwnerId"] = ownerId(stable);
}

CanonicalRecord SalesforceAccounts::canonicalize(const nlohmann::json& raw) const {
  auto get = [&](const char* key) { return raw.contains(key) ? raw[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto name = CanonicalValues::truncated(get("Name"));
  if (!name) out.poisonReason = "Account has no Name";
  out.fields = {name, CanonicalValues::domain(get("Website")), CanonicalValues::text(get("Industry"))};
  return out;
}

}  // namespace tributary::sim
