#pragma once

#include <optional>
#include <string>

#include "config/Config.h"
#include "config/Section.h"

namespace tributary::config {

// A connection's schedule keys, as written in its YAML (schedule, timezone, misfire) and stored
// in its `connections` row (columns schedule, schedule_timezone, misfire).
struct ConnectionSchedule {
  std::optional<std::string> schedule;   // cron expression; nullopt: synced on demand only
  std::optional<std::string> timeZone;   // IANA name; nullopt: UTC
  std::optional<MisfirePolicy> misfire;  // nullopt: scheduler.misfire
};

// Reads `schedule`, `timezone` and `misfire` from a connection's section, validating
// each: a bad cron expression is reported at its key with the character position and the reason
// (FILE:LINE:COLUMN: workspaces[0].connections[1].schedule: position 9: hour 25 is out of range
// 0-23). Keys with errors come back as nullopt.
ConnectionSchedule readConnectionSchedule(Section& connection);

}  // namespace tributary::config
