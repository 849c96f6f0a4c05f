#include "ObjectStore.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "DeterministicRandom.h"

namespace tributary::sim {

ObjectStore::ObjectStore(Options options) : options_(std::move(options)) {}

uint64_t ObjectStore::size() const {
  std::shared_lock lock(mutex_);
  return options_.baseCount + createdCount_;
}

uint64_t ObjectStore::generation() const {
  std::shared_lock lock(mutex_);
  return generation_;
}

bool ObjectStore::poisonAtBirth(uint64_t index) const {
  if (options_.poisonRate <= 0) return false;
  DeterministicRandom random(DeterministicRandom::combine(options_.seed, options_.object + "/poison", index));
  return random.chance(options_.poisonRate);
}

RecordState ObjectStore::baseState(uint64_t index) const {
  DeterministicRandom random(DeterministicRandom::combine(options_.seed, options_.object + "/times", index));
  const int64_t oldest = options_.clockStartMs - options_.historyMs;
  const int64_t newest = options_.clockStartMs - 3600000;
  RecordState state;
  state.index = index;
  state.createdAtMs = random.between(oldest, std::max(oldest, newest));
  // Most records were touched after creation; some never were.
  state.modifiedAtMs =
      random.chance(0.2) ? state.createdAtMs : random.between(state.createdAtMs, options_.clockStartMs - 1);
  state.poison = poisonAtBirth(index);
  return state;
}

std::optional<RecordState> ObjectStore::replay(uint64_t index, const std::vector<Mutation>* log,
                                               std::optional<int64_t> wallCutoff) const {
  const bool isBase = index < options_.baseCount;
  std::optional<RecordState> state;
  if (isBase) state = baseState(index);
  if (log == nullptr) return state;
  for (const Mutation& mutation : *log) {
    if (wallCutoff && mutation.wallMs > *wallCutoff) break;
    switch (mutation.kind) {
      case Mutation::Kind::Create:
        state = RecordState{};
        state->index = index;
        state->createdAtMs = mutation.simMs;
        state->modifiedAtMs = mutation.simMs;
        state->poison = poisonAtBirth(index);
        state->overrides = mutation.overrides;
        break;
      case Mutation::Kind::Modify:
        state->version += 1;
        state->modifiedAtMs = mutation.simMs;
        state->overrides = mutation.overrides;
        break;
      case Mutation::Kind::Delete:
        // A deletion is also the record's last modification (Salesforce bumps SystemModstamp,
        // HubSpot bumps updatedAt); its field values stay as they were.
        state->deleted = true;
        state->deletedAtMs = mutation.simMs;
        state->modifiedAtMs = mutation.simMs;
        break;
    }
  }
  return state;
}

std::optional<RecordState> ObjectStore::latest(uint64_t index) const {
  std::shared_lock lock(mutex_);
  if (index >= options_.baseCount + createdCount_) return std::nullopt;
  auto found = log_.find(index);
  return replay(index, found == log_.end() ? nullptr : &found->second, std::nullopt);
}

std::optional<RecordState> ObjectStore::visibleAt(uint64_t index, int64_t wallMs) const {
  std::shared_lock lock(mutex_);
  if (index >= options_.baseCount + createdCount_) return std::nullopt;
  auto found = log_.find(index);
  return replay(index, found == log_.end() ? nullptr : &found->second, wallMs);
}

bool ObjectStore::liveLocked(uint64_t index) const {
  if (index >= options_.baseCount + createdCount_) return false;
  auto found = log_.find(index);
  if (found == log_.end()) return index < options_.baseCount;
  return found->second.back().kind != Mutation::Kind::Delete;
}

uint64_t ObjectStore::create(int64_t simMs, int64_t wallMs, std::shared_ptr<const nlohmann::json> overrides) {
  std::unique_lock lock(mutex_);
  const uint64_t index = options_.baseCount + createdCount_++;
  log_[index].push_back({Mutation::Kind::Create, simMs, wallMs, std::move(overrides)});
  ++generation_;
  return index;
}

bool ObjectStore::modify(uint64_t index, int64_t simMs, int64_t wallMs,
                         std::shared_ptr<const nlohmann::json> overrides) {
  std::unique_lock lock(mutex_);
  if (!liveLocked(index)) return false;
  log_[index].push_back({Mutation::Kind::Modify, simMs, wallMs, std::move(overrides)});
  ++generation_;
  return true;
}

bool ObjectStore::remove(uint64_t index, int64_t simMs, int64_t wallMs) {
  std::unique_lock lock(mutex_);
  if (!liveLocked(index)) return false;
  log_[index].push_back({Mutation::Kind::Delete, simMs, wallMs, nullptr});
  ++generation_;
  return true;
}

std::vector<uint64_t> ObjectStore::pickLive(uint64_t count, uint64_t pickSeed) const {
  std::shared_lock lock(mutex_);
  const uint64_t total = options_.baseCount + createdCount_;
  std::vector<uint64_t> live;
  // Sparse picks from a big store: draw at random. Dense picks: scan and sample.
  if (count * 4 < total) {
    std::set<uint64_t> chosen;
    DeterministicRandom random(DeterministicRandom::combine(pickSeed, options_.object + "/pick"));
    uint64_t attempts = 0;
    while (chosen.size() < count && attempts < count * 20 + 100) {
      ++attempts;
      const uint64_t index = random.next() % total;
      if (liveLocked(index)) chosen.insert(index);
    }
    return {chosen.begin(), chosen.end()};
  }
  for (uint64_t i = 0; i < total; ++i) {
    if (liveLocked(i)) live.push_back(i);
  }
  DeterministicRandom random(DeterministicRandom::combine(pickSeed, options_.object + "/pick"));
  for (size_t i = live.size(); i > 1; --i) {
    std::swap(live[i - 1], live[random.next() % i]);
  }
  if (live.size() > count) live.resize(count);
  std::sort(live.begin(), live.end());
  return live;
}

}  // namespace tributary::sim
