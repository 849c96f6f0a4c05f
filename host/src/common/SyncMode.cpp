#include "common/SyncMode.h"

#include <stdexcept>
#include <string>

namespace tributary::sync {

std::string_view toString(Mode mode) {
  switch (mode) {
    case Mode::Initial: return "initial";
    case Mode::Incremental: return "incremental";
    case Mode::Backfill: return "backfill";
  }
  return "initial";
}

std::optional<Mode> parseMode(std::string_view name) {
  if (name == "initial") return Mode::Initial;
  if (name == "incremental") return Mode::Incremental;
  if (name == "backfill") return Mode::Backfill;
  return std::nullopt;
}

std::string_view toString(const Requested& mode) { return mode ? toString(*mode) : kAutoMode; }

Requested parseRequested(std::string_view name) {
  if (name == kAutoMode) return std::nullopt;
  if (auto m = parseMode(name)) return *m;
  throw std::invalid_argument("unknown sync mode '" + std::string(name) + "' (auto, initial, incremental, backfill)");
}

}  // namespace tributary::sync
