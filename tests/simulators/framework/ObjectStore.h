#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "RecordState.h"

namespace tributary::sim {

// The records of one vendor object: `baseCount` generated records plus a log of admin
// mutations. Only mutated records cost memory, so a million base records cost nothing until
// touched. Thread-safe.
class ObjectStore {
 public:
  struct Options {
    std::string object;
    uint64_t seed = 0;
    uint64_t baseCount = 0;
    // Base records were created in [clockStartMs - historyMs, clockStartMs - 1 h] and last
    // modified before clockStartMs.
    int64_t clockStartMs = 0;
    int64_t historyMs = 365LL * 86400000;
    double poisonRate = 0.0;
  };

  explicit ObjectStore(Options options);

  const std::string& object() const { return options_.object; }
  uint64_t seed() const { return options_.seed; }
  // Base plus created records, deleted ones included: valid indexes are [0, size()).
  uint64_t size() const;
  // Bumped by every mutation; lets readers cache derived views.
  uint64_t generation() const;

  std::optional<RecordState> latest(uint64_t index) const;
  // The record as an index that applies mutations `lagMs` late (HubSpot search) saw it at wall
  // time `wallMs`: later mutations are ignored, and a record created later does not exist yet.
  std::optional<RecordState> visibleAt(uint64_t index, int64_t wallMs) const;

  uint64_t create(int64_t simMs, int64_t wallMs, std::shared_ptr<const nlohmann::json> overrides);
  // False when the record does not exist or is deleted.
  bool modify(uint64_t index, int64_t simMs, int64_t wallMs, std::shared_ptr<const nlohmann::json> overrides);
  bool remove(uint64_t index, int64_t simMs, int64_t wallMs);
  // Up to `count` distinct live records, chosen from `pickSeed`; ascending.
  std::vector<uint64_t> pickLive(uint64_t count, uint64_t pickSeed) const;

 private:
  struct Mutation {
    enum class Kind { Create, Modify, Delete };
    Kind kind;
    int64_t simMs;
    int64_t wallMs;
    std::shared_ptr<const nlohmann::json> overrides;
  };

  RecordState baseState(uint64_t index) const;
  bool poisonAtBirth(uint64_t index) const;
  std::optional<RecordState> replay(uint64_t index, const std::vector<Mutation>* log,
                                    std::optional<int64_t> wallCutoff) const;
  bool liveLocked(uint64_t index) const;

  const Options options_;
  mutable std::shared_mutex mutex_;
  uint64_t createdCount_ = 0;
  uint64_t generation_ = 0;
  std::unordered_map<uint64_t, std::vector<Mutation>> log_;
};

}  // namespace tributary::sim
