#include "SalesforceOpportunities.h"

#include <array>
#include <cmath>

#include "../framework/CanonicalValues.h"
#include "../framework/FakeData.h"
#include "../framework/TimeFormat.h"
#include "SalesforceIds.h"

namespace tributary::sim {

SalesforceOpportunities::SalesforceOpportunities(ObjectStore::Options storeOptions, double dirtyRate,
                                                 uint64_t baseAccounts)
    : SalesforceObject({"Opportunity",
                        "deals",
                        "006",
                        {{"Name", SalesforceFieldType::String},
                         {"Amount", SalesforceFieldType::Currency},
                         {"StageName", SalesforceFieldType::Picklist},
                         {"CloseDate", SalesforceFieldType::Date},
                         {"AccountId", SalesforceFieldType::Reference},
                         {"OwnerId", SalesforceFieldType::Reference},
                         {"IsClosed", SalesforceFieldType::Boolean},
                         {"IsWon", SalesforceFieldType::Boolean}},
                        dirtyRate},
                       std::move(storeOptions)),
      baseAccounts_(baseAccounts) {}

void SalesforceOpportunities::fillFields(const RecordState& state, DeterministicRandom& stable,
                                         DeterministicRandom& draws, nlohmann::json& record) const {
  static const std::array<const char*, 10> kStages = {
      "Prospecting",         "Qualification",        "Needs Analysis",     "Value Proposition", "Id. Decision Makers",
      "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won",        "Closed Lost"};
  static const std::array<const char*, 3> kUnmapped = {"Legacy - Do Not Use", "closed won", "Stage 7 (old)"};
  static const std::array<const char*, 3> kPoison = {"TBD", "n/a", "1.500,00"};
  const std::string name =
      FakeData::companyName(stable, state.index % 997) + " - " + (stable.chance(0.5) ? "New Business" : "Renewal");
  nlohmann::json nameValue = name;
  if (dirty(stable)) {
    nameValue = stable.chance(0.5) ? nlohmann::json(FakeData::overlongText(stable, name)) : nlohmann::json("   ");
  }
  record["Name"] = nameValue;

  const int64_t cents = draws.between(100, 50000000);
  nlohmann::json amount = static_cast<double>(cents) / 100.0;
  if (state.poison) {
    amount = stable.pick(kPoison);
  } else if (dirty(draws)) {
    amount = draws.chance(0.5) ? nlohmann::json(nullptr) : nlohmann::json(0.0);
  }
  record["Amount"] = amount;

  std::string stage = draws.pick(kStages);
  nlohmann::json stageValue = stage;
  if (dirty(draws)) {
    stage = draws.pick(kUnmapped);
    stageValue = stage;
  }
  record["StageName"] = stageValue;
  record["IsClosed"] = stage == "Closed Won" || stage == "Closed Lost";
  record["IsWon"] = stage == "Closed Won";

  const int64_t closeMs = state.createdAtMs + draws.between(0, 200LL * 86400000);
  nlohmann::json closeDate = TimeFormat::isoDate(closeMs);
  if (dirty(draws)) {
    closeDate = draws.chance(0.5) ? nlohmann::json(nullptr)
                                  : nlohmann::json(TimeFormat::isoDate(closeMs).substr(0, 5) + "02-30");
  }
  record["CloseDate"] = closeDate;

  const auto account = parentIndex(store().seed(), "Opportunity.AccountId", state.index, baseAccounts_);
  record["AccountId"] = account ? nlohmann::json(SalesforceIds::make("001", *account)) : nlohmann::json(nullptr);
  record["OwnerId"] = ownerId(stable);
}

CanonicalRecord SalesforceOpportunities::canonicalize(const nlohmann::json& raw) const {
  auto get = [&](const char* key) { return raw.contains(key) ? raw[key] : nlohmann::json(nullptr); };
  CanonicalRecord out;
  const auto amount = CanonicalValues::numeric(get("Amount"));
  if (amount.invalid) out.poisonReason = "Amount is not a number: " + get("Amount").dump();
  out.fields = {CanonicalValues::truncated(get("Name")), amount.value, CanonicalValues::text(get("StageName")),
                CanonicalValues::date(get("CloseDate")),
                // Opportunities have no pipeline field.
                std::nullopt, CanonicalValues::text(get("OwnerId")), CanonicalValues::text(get("AccountId"))};
  return out;
}

}  // namespace tributary::sim
