#include "engine/RunRequest.h"

#include <stdexcept>

#include "common/Time.h"

namespace tributary::engine {
namespace {

std::optional<int64_t> parseTime(const Json& v, const char* key) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    if (auto t = time::parseIso8601(v.get<std::string>())) return time::toEpochMs(*t);
  }
  throw std::invalid_argument(std::string("window.") + key + " is " + v.dump() +
                              ": give epoch milliseconds or an ISO 8601 time");
}

}  // namespace

RunRequest RunRequest::parse(const std::string& jobKind, const Json& p) {
  RunRequest r;
  if (jobKind == "backfill") {
    r.mode = sync::Mode::Backfill;
    r.syncType = "backfill";
  }
  if (p.contains("mode") && p["mode"].is_string()) {
    auto mode = sync::parseRequested(p["mode"].get<std::string>());
    if (jobKind != "backfill") r.mode = mode;
  }
  if (p.contains("sync_type") && p["sync_type"].is_string()) r.syncType = p["sync_type"].get<std::string>();
  r.dryRun = p.value("dry_run", false);
  r.replay = p.value("replay", false);
  if (p.contains("streams") && p["streams"].is_array()) {
    for (const auto& s : p["streams"]) {
      if (!s.is_string()) throw std::invalid_argument("streams holds " + s.dump() + ": stream names are strings");
      r.streams.push_back(s.get<std::string>());
    }
  }
  if (p.contains("window") && p["window"].is_object()) {
    const Json& w = p["window"];
    if (w.contains("from") && !w["from"].is_null()) r.windowFromMs = parseTime(w["from"], "from");
    if (w.contains("to") && !w["to"].is_null()) r.windowToMs = parseTime(w["to"], "to");
  }
  if (p.contains("ids") && p["ids"].is_array()) {
    for (const auto& id : p["ids"]) r.ids.push_back(id.is_string() ? id.get<std::string>() : id.dump());
  }
  // A follow-up (request_follow_up) may ask for the whole stream: its plugin said so. From the
  // command line a backfill with neither is a slip.
  if (r.backfill() && !r.windowFromMs && !r.windowToMs && r.ids.empty() && !p.contains("follow_up_of")) {
    throw std::invalid_argument("a backfill needs a time window (from/to) or a list of ids");
  }
  return r;
}

}  // namespace tributary::engine
