#include "HubSpotCompanies.h"

#include <algorithm>
#include <cctype>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"

namespace tributary::sim {

HubSpotCompanies::HubSpotCompanies(ObjectStore::Options storeOptions, double dirtyRate)
    : HubSpotObject({"companies",
                     "accounts",
                     kIdBase,
                     "hs_lastmodifieddate",
                     {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
                     dirtyRate},
                    std::move(storeOptions)) {}

std::vector<std::string> HubSpotCompanies::propertyNames() const {
  return {"name", "domain", "industry", "createdate", "hs_lastmodifieddate", "hs_object_id"};
}

std::vector<std::string> HubSpotCompanies::writableFields() const { return {"name", "domain", "industry"}; }

void HubSpotCompanies::fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                                      nlohmann::json& properties) const {
  const std::string name = FakeData::companyName(stable, state.index);
  const std::string slug = FakeData::companySlug(name);
  nlohmann::json nameValue = name;
  if (state.poison) {
    const int64_t variant = stable.between(0, 2);
    nameValue = variant == 0 ? nlohmann::json("") : variant == 1 ? nlohmann::json(nullptr) : nlohmann::json("   ");
  } else if (dirty(stable)) {
    nameValue = FakeData::overlongText(stable, name);
  }
  properties["name"] = nameValue;

  nlohmann::json domain = slug;
  if (dirty(stable)) {
    std::string upper = slug;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    switch (stable.between(0, 5)) {
      case 0: domain = "www." + slug; break;
      case 1: domain = "https://www." + slug + "/about"; break;
      case 2: domain = upper; break;
      case 3: domain = "http://" + slug + ":8080/x?y=1"; break;
      case 4: domain = ""; break;
      default: domain = nullptr; break;
    }
  }
  properties["domain"] = domain;

  nlohmann::json industry = FakeData::industry(draws);
  if (dirty(draws)) industry = draws.chance(0.5) ? nlohmann::json(nullptr) : nlohmann::json("");
  properties["industry"] = industry;
}

CanonicalRecord HubSpotCompanies::canonicalize(const nlohmann::json& raw) const {
  const nlohmann::json& p = raw.at("properties");
  auto get = [&](const char* key) { return p.contains(key) ? p[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto name = CanonicalValues::truncated(get("name"));
  if (!name) out.poisonReason = "company has no name";
  out.fields = {name, CanonicalValues::domain(get("domain")), CanonicalValues::text(get("industry"))};
  return out;
}

}  // namespace tributary::sim
