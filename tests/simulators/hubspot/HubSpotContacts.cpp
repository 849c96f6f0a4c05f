#include "HubSpotContacts.h"

#include <array>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"

namespace tributary::sim {

HubSpotContacts::HubSpotContacts(ObjectStore::Options storeOptions, double dirtyRate,
                                 const HubSpotAssociations& associations, uint64_t companyIdBase)
    : HubSpotObject({"contacts",
                     "contacts",
                     20000000000ULL,
                     "lastmodifieddate",
                     {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
                     dirtyRate},
                    std::move(storeOptions)),
      associations_(associations),
      companyIdBase_(companyIdBase) {}

std::vector<std::string> HubSpotContacts::propertyNames() const {
  return {"firstname", "lastname", "email", "associatedcompanyid", "createdate", "lastmodifieddate", "hs_object_id"};
}

std::vector<std::string> HubSpotContacts::writableFields() const { return {"firstname", "lastname", "email"}; }

HubSpotPropertyType HubSpotContacts::propertyType(const std::string& property) const {
  if (property == "associatedcompanyid") return HubSpotPropertyType::Number;
  return HubSpotObject::propertyType(property);
}

void HubSpotContacts::fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                                     nlohmann::json& properties) const {
  static const std::array<const char*, 3> kDomains = {"example.com", "example.org", "mail.test"};
  static const std::array<const char*, 4> kPoisonEmails = {"n/a", "see notes", "a@b@example.com",
                                                           "jane.doe.example.com"};
  const std::string first = FakeData::firstName(stable);
  const std::string last = FakeData::lastName(stable);
  nlohmann::json firstname = first;
  if (dirty(stable)) {
    const int64_t variant = stable.between(0, 2);
    firstname = variant == 0 ? nlohmann::json("") : variant == 1 ? nlohmann::json(nullptr) : nlohmann::json("  ");
  }
  nlohmann::json lastname = last;
  if (dirty(stable)) {
    const int64_t variant = stable.between(0, 2);
    lastname = variant == 0   ? nlohmann::json(nullptr)
               : variant == 1 ? nlohmann::json("")
                              : nlohmann::json(FakeData::overlongText(stable, last));
  }
  properties["firstname"] = firstname;
  properties["lastname"] = lastname;

  // Contacts change their email address now and then; the version keeps addresses distinct.
  std::string local = "contact" + std::to_string(state.index);
  if (state.version > 0) {
    local += '.';
    local += std::to_string(state.version);
  }
  const std::string domain = draws.pick(kDomains);
  nlohmann::json email = local + "@" + domain;
  if (state.poison) {
    email = stable.pick(kPoisonEmails);
  } else if (dirty(draws)) {
    const int64_t variant = draws.between(0, 2);
    email = variant == 0   ? nlohmann::json("  Contact" + std::to_string(state.index) + "@" + "EXAMPLE.com ")
            : variant == 1 ? nlohmann::json("")
                           : nlohmann::json(nullptr);
  }
  properties["email"] = email;

  const auto company = associations_.parentOf("contacts->companies", state.index);
  properties["associatedcompanyid"] =
      company ? nlohmann::json(std::to_string(companyIdBase_ + *company)) : nlohmann::json(nullptr);
}

CanonicalRecord HubSpotContacts::canonicalize(const nlohmann::json& raw) const {
  const nlohmann::json& p = raw.at("properties");
  auto get = [&](const char* key) { return p.contains(key) ? p[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto email = CanonicalValues::email(get("email"));
  if (email && !CanonicalValues::looksLikeEmail(*email)) {
    out.poisonReason = "email is not an address: " + get("email").dump();
  }
  out.fields = {email, CanonicalValues::truncated(get("firstname")), CanonicalValues::truncated(get("lastname")),
                CanonicalValues::text(get("associatedcompanyid"))};
  return out;
}

}  // namespace tributary::sim
