#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tributary/connector_abi.h"

namespace tributary::sync {

// How one stream is read, everywhere in the host: from the job's payload through the engine's
// planner to the plugin's hook (the SDK's tributary::SyncMode is the plugin side's twin). The
// values are the ABI's, so the plugin boundary casts and never translates.
enum class Mode : uint32_t {
  Initial = TRIBUTARY_SYNC_INITIAL,          // everything, from the start (a full refresh over existing rows)
  Incremental = TRIBUTARY_SYNC_INCREMENTAL,  // what changed since the stream's watermark
  Backfill = TRIBUTARY_SYNC_BACKFILL,        // a time window or a list of ids, beside the stream's own cursor
};

// "initial", "incremental", "backfill": the names in payloads, the database and the CLI.
std::string_view toString(Mode mode);
std::optional<Mode> parseMode(std::string_view name);

// What a job asks for. No mode ("auto", or no `mode` key) lets the engine choose per stream:
// resume an unfinished run, else incremental once an initial sync completed, else initial.
using Requested = std::optional<Mode>;
inline constexpr std::string_view kAutoMode = "auto";

std::string_view toString(const Requested& mode);
// "auto" or a mode's name. Throws std::invalid_argument naming the value and the choices.
Requested parseRequested(std::string_view name);

}  // namespace tributary::sync
