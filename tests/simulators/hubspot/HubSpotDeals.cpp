#include "HubSpotDeals.h"

#include <array>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"
#include "../framework/TimeFormat.h"

namespace tributary::sim {

HubSpotDeals::HubSpotDeals(ObjectStore::Options storeOptions, double dirtyRate)
    : HubSpotObject({"deals",
                     "deals",
                     30000000000ULL,
                     "hs_lastmodifieddate",
                     {"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                      "hs_object_id", "pipeline"},
                     dirtyRate},
                    std::move(storeOptions)) {}

std::vector<std::string> HubSpotDeals::propertyNames() const {
  return {"dealname",         "amount",     "closedate",           "pipeline",    "dealstage",
          "hubspot_owner_id", "createdate", "hs_lastmodifieddate", "hs_object_id"};
}

std::vector<std::string> HubSpotDeals::writableFields() const {
  return {"dealname", "amount", "closedate", "pipeline", "dealstage", "hubspot_owner_id"};
}

void HubSpotDeals::fillProperties(const RecordState& state, DeterministicRandom& stable, DeterministicRandom& draws,
                                  nlohmann::json& properties) const {
  static const std::array<const char*, 4> kKinds = {"New Business", "Renewal", "Upsell", "Expansion"};
  static const std::array<const char*, 7> kStages = {"appointmentscheduled",
                                                     "qualifiedtobuy",
                                                     "presentationscheduled",
                                                     "decisionmakerboughtin",
                                                     "contractsent",
                                                     "closedwon",
                                                     "closedlost"};
  static const std::array<const char*, 3> kUnmappedStages = {"legacy_stage_2019", "Closed Won (old)", "1234567"};
  static const std::array<const char*, 4> kPoisonAmounts = {"TBD", "n/a", "1,500", "ask Bob"};

  const std::string company = FakeData::companyName(stable, state.index % 997);
  std::string name = company + " - " + stable.pick(kKinds);
  nlohmann::json dealname = name;
  if (dirty(stable)) {
    switch (stable.between(0, 3)) {
      case 0: dealname = ""; break;
      case 1: dealname = nullptr; break;
      case 2: dealname = FakeData::overlongText(stable, name); break;
      default: dealname = "   "; break;
    }
  }
  properties["dealname"] = dealname;

  nlohmann::json amount;
  const int64_t cents = draws.between(100, 50000000);
  const std::string clean = cents % 100 == 0 ? std::to_string(cents / 100)
                                             : std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                                                   std::to_string(cents % 100);
  if (state.poison) {
    amount = stable.pick(kPoisonAmounts);
  } else if (dirty(draws)) {
    switch (draws.between(0, 3)) {
      case 0: amount = ""; break;
      case 1: amount = nullptr; break;
      case 2: amount = "  " + std::to_string(cents / 100) + ".00 "; break;
      default: amount = std::to_string(cents / 100) + ".50"; break;
    }
  } else {
    amount = clean;
  }
  properties["amount"] = amount;

  const int64_t closeMs = state.createdAtMs + draws.between(0, 200LL * 86400000);
  nlohmann::json closedate = TimeFormat::isoMillisZ(closeMs);
  if (dirty(draws)) {
    switch (draws.between(0, 5)) {
      case 0: closedate = ""; break;
      case 1: closedate = nullptr; break;
      case 2: closedate = TimeFormat::isoDate(closeMs).substr(0, 5) + "02-30T00:00:00Z"; break;
      case 3: closedate = "not a date"; break;
      // Late evening in New York is already tomorrow in UTC.
      case 4: closedate = TimeFormat::isoDate(closeMs) + "T22:30:00-05:00"; break;
      default: closedate = std::to_string(closeMs); break;
    }
  }
  properties["closedate"] = closedate;

  nlohmann::json pipeline = stable.chance(0.9) ? "default" : "sales-partner";
  if (dirty(stable)) pipeline = stable.chance(0.5) ? nlohmann::json(nullptr) : nlohmann::json("");
  properties["pipeline"] = pipeline;

  nlohmann::json stage = draws.pick(kStages);
  if (dirty(draws)) {
    const int64_t variant = draws.between(0, 4);
    stage = variant < 3 ? nlohmann::json(kUnmappedStages[static_cast<size_t>(variant)])
                        : (variant == 3 ? nlohmann::json(nullptr) : nlohmann::json(""));
  }
  properties["dealstage"] = stage;

  nlohmann::json owner = std::to_string(stable.between(10000000, 10000049));
  if (dirty(stable)) owner = stable.chance(0.5) ? nlohmann::json(nullptr) : nlohmann::json("");
  properties["hubspot_owner_id"] = owner;
}

CanonicalRecord HubSpotDeals::canonicalize(const nlohmann::json& raw) const {
  const nlohmann::json& p = raw.at("properties");
  auto get = [&](const char* key) { return p.contains(key) ? p[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto amount = CanonicalValues::numeric(get("amount"));
  if (amount.invalid) out.poisonReason = "amount is not a number: " + get("amount").dump();
  out.fields = {CanonicalValues::truncated(get("dealname")), amount.value, CanonicalValues::text(get("dealstage")),
                CanonicalValues::date(get("closedate")), CanonicalValues::text(get("pipeline")),
                CanonicalValues::text(get("hubspot_owner_id")),
                // A deal record does not carry its company; associations are a separate call.
                std::nullopt};
  return out;
}

}  // namespace tributary::sim
