#pragma once

#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

namespace tributary::sim {

// What the mutation log says about record `index` at one moment. The record's field values are
// a pure function of (seed, object, index, version, overrides); see SimObject::generate.
struct RecordState {
  uint64_t index = 0;
  uint32_t version = 0;
  int64_t createdAtMs = 0;
  int64_t modifiedAtMs = 0;
  bool deleted = false;
  int64_t deletedAtMs = 0;
  // Marked at birth from the seed and the poison rate; the generator then writes a value that
  // cannot be mapped. Fixed for the record's whole life.
  bool poison = false;
  // Field values set through the admin API for this version, in the vendor's own field names.
  std::shared_ptr<const nlohmann::json> overrides;
};

}  // namespace tributary::sim
