#include "config/ConnectionSchedule.h"

#include "common/Strings.h"
#include "scheduler/CronExpression.h"

namespace tributary::config {

ConnectionSchedule readConnectionSchedule(Section& connection) {
  ConnectionSchedule out;
  if (auto text = connection.scalar("schedule")) {
    if (strings::trim(*text).empty()) {
      connection.error("schedule", "is empty; remove the key for a connection synced only on demand");
    } else {
      scheduler::CronError error;
      if (scheduler::CronExpression::parse(*text, "UTC", &error)) {
        out.schedule = std::string(strings::trim(*text));
      } else {
        connection.error("schedule", error.message());
      }
    }
  }
  if (auto zone = connection.scalar("timezone")) {
    std::string error;
    if (scheduler::CronExpression::findTimeZone(strings::trim(*zone), error)) {
      out.timeZone = std::string(strings::trim(*zone));
    } else {
      connection.error("timezone", error);
    }
  }
  if (auto policy = connection.scalar("misfire")) {
    out.misfire = parseMisfirePolicy(strings::trim(*policy));
    // choice() words the error, with a suggestion.
    if (!out.misfire) connection.choice("misfire", "run_once", {"run_once", "skip"});
  }
  return out;
}

}  // namespace tributary::config
