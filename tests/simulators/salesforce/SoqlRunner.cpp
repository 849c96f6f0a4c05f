#include "SoqlRunner.h"

#include <algorithm>

#include "SoqlEvaluator.h"

namespace tributary::sim {

std::vector<uint64_t> SoqlRunner::run(const SoqlQuery& query, const SalesforceObject& object, bool scanAll,
                                      int64_t recycleBinStartMs) {
  struct Match {
    nlohmann::json keys;
    uint64_t index;
  };
  std::vector<Match> matches;
  const uint64_t size = object.store().size();
  for (uint64_t i = 0; i < size; ++i) {
    const auto state = object.store().latest(i);
    if (!state) continue;
    // Deleted records are visible to queryAll only while in the recycle bin.
    if (state->deleted && (!scanAll || state->deletedAtMs < recycleBinStartMs)) continue;
    const nlohmann::json record = object.generate(*state);
    if (query.where && !SoqlEvaluator::matches(*query.where, record, object)) continue;
    Match match{nlohmann::json::object(), i};
    if (!query.orderBy.empty()) {
      match.keys["Id"] = record["Id"];
      for (const auto& order : query.orderBy) match.keys[order.field] = record[order.field];
    }
    matches.push_back(std::move(match));
  }
  if (!query.orderBy.empty()) {
    std::stable_sort(matches.begin(), matches.end(), [&](const Match& a, const Match& b) {
      return SoqlEvaluator::before(query.orderBy, a.keys, b.keys, object);
    });
  }
  std::vector<uint64_t> out;
  out.reserve(matches.size());
  for (const auto& match : matches) out.push_back(match.index);
  if (query.limit && out.size() > *query.limit) out.resize(*query.limit);
  return out;
}

std::string SoqlRunner::project(const nlohmann::json& record, const SoqlQuery& query, const std::string& apiVersion) {
  // Salesforce writes attributes first, then the fields in SELECT order.
  nlohmann::ordered_json out;
  out["attributes"] = {
      {"type", query.object},
      {"url", "/services/data/v" + apiVersion + "/sobjects/" + query.object + "/" + record["Id"].get<std::string>()}};
  for (const auto& field : query.fields) out[field] = record[field];
  return out.dump();
}

}  // namespace tributary::sim
