#include "GroundTruth.h"

#include "CanonicalDigest.h"
#include "TimeFormat.h"

namespace tributary::sim {

std::string GroundTruth::render(const SimObject& object, int64_t simNowMs) {
  std::string rows;
  std::string errors;
  const uint64_t size = object.store().size();
  size_t rowCount = 0, errorCount = 0;
  for (uint64_t i = 0; i < size; ++i) {
    auto state = object.store().latest(i);
    if (!state) continue;
    const nlohmann::json raw = object.generate(*state);
    const CanonicalRecord canonical = object.canonicalize(raw);
    const std::string id = nlohmann::json(object.sourceId(i)).dump();
    if (canonical.poisonReason) {
      if (errorCount++ > 0) errors += ',';
      errors += id;
      continue;
    }
    if (rowCount++ > 0) rows += ',';
    rows += "{\"id\":" + id + ",\"modified_at\":\"" + TimeFormat::isoMillisZ(state->modifiedAtMs) +
            "\",\"deleted\":" + (state->deleted ? "true" : "false") + ",\"hash\":\"" +
            CanonicalDigest::of(canonical.fields) + "\"}";
  }
  return "{\"object\":" + nlohmann::json(object.name()).dump() +
         ",\"entity\":" + nlohmann::json(object.canonicalEntity()).dump() + ",\"as_of\":\"" +
         TimeFormat::isoMillisZ(simNowMs) + "\",\"rows\":[" + rows + "],\"errors\":[" + errors + "]}";
}

}  // namespace tributary::sim
