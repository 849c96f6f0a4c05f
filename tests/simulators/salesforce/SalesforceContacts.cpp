#include "SalesforceContacts.h"

#include <array>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"
#include "SalesforceIds.h"

namespace tributary::sim {

SalesforceContacts::SalesforceContacts(ObjectStore::Options storeOptions, double dirtyRate, uint64_t baseAccounts)
    : SalesforceObject({"Contact",
                        "contacts",
                        "003",
                        {{"FirstName", SalesforceFieldType::String},
                         {"LastName", SalesforceFieldType::String},
                         {"Email", SalesforceFieldType::Email},
                         {"AccountId", SalesforceFieldType::Reference},
                         {"OwnerId", SalesforceFieldType::Reference}},
                        dirtyRate},
                       std::move(storeOptions)),
      baseAccounts_(baseAccounts) {}

void SalesforceContacts::fillFields(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                                    nlohmann::json& record) const {
  static const std::array<const char*, 3> kPoison = {"n/a", "unknown", "x@y@example.com"};
  const std::string first = FakeData::firstName(stable);
  const std::string last = FakeData::lastName(stable);
  record["FirstName"] = dirty(stable) ? nlohmann::json(nullptr) : nlohmann::json(first);
  record["LastName"] = dirty(stable) ? nlohmann::json(FakeData::overlongText(stable, last)) : nlohmann::json(last);
  std::string address = "sf.contact" + std::to_string(state.index);
  if (state.version > 0) {
    address += '.';
    address += std::to_string(state.version);
  }
  address += "@example.com";
  nlohmann::json email = address;
  if (state.poison) {
    email = stable.pick(kPoison);
  } else if (dirty(draws)) {
    email = draws.chance(0.5) ? nlohmann::json(nullptr)
                              : nlohmann::json(" SF.Contact" + std::to_string(state.index) + "@Example.COM  ");
  }
  record["Email"] = email;
  const auto account = parentIndex(store().seed(), "Contact.AccountId", state.index, baseAccounts_);
  record["AccountId"] = account ? nlohmann::json(SalesforceIds::make("001", *account)) : nlohmann::json(nullptr);
  record["OwnerId"] = ownerId(stable);
}

CanonicalRecord SalesforceContacts::canonicalize(const nlohmann::json& raw) const {
  auto get = [&](const char* key) { return raw.contains(key) ? raw[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto email = CanonicalValues::email(get("Email"));
  if (email && !CanonicalValues::looksLikeEmail(*email)) {
    out.poisonReason = "Email is not an address: " + get("Email").dump();
  }
  out.fields = {email, CanonicalValues::truncated(get("FirstName")), CanonicalValues::truncated(get("LastName")),
                CanonicalValues::text(get("AccountId"))};
  return out;
}

}  // namespace tributary::sim
