#include "ClockAdmin.h"

#include "AdminReply.h"
#include "TimeFormat.h"

namespace tributary::sim {

nlohmann::json ClockAdmin::describe(const SimClock& clock) {
  return {{"now", TimeFormat::isoMillisZ(clock.nowMs())},
          {"now_ms", clock.nowMs()},
          {"start", TimeFormat::isoMillisZ(clock.startMs())}};
}

bool ClockAdmin::handle(SimClock& clock, const SimRequest& request, SimResponse& response) {
  if (request.path == "/admin/clock" && request.method == "GET") {
    AdminReply::ok(response, describe(clock));
    return true;
  }
  if (request.path != "/admin/clock/advance") return false;
  if (request.method != "POST") {
    AdminReply::error(response, 405, "POST /admin/clock/advance");
    return true;
  }
  nlohmann::json body;
  if (!AdminReply::parseBody(request.body, body, response, "POST /admin/clock/advance")) {
    return true;
  }
  int64_t delta = 0;
  if (body.contains("ms") && body["ms"].is_number_integer()) {
    delta = body["ms"];
  } else if (body.contains("seconds") && body["seconds"].is_number()) {
    delta = static_cast<int64_t>(body["seconds"].get<double>() * 1000);
  } else if (body.contains("to") && body["to"].is_string()) {
    const auto target = TimeFormat::parseIso(body["to"].get<std::string>());
    if (!target) {
      AdminReply::error(response, 400, "POST /admin/clock/advance: field 'to' is not an ISO 8601 time");
      return true;
    }
    delta = *target - clock.nowMs();
  } else {
    AdminReply::error(response, 400,
                      "POST /admin/clock/advance: give one of {\"ms\":int}, {\"seconds\":number}, "
                      "{\"to\":\"ISO time\"}");
    return true;
  }
  if (delta < 0) {
    AdminReply::error(response, 400, "POST /admin/clock/advance: the simulated clock only moves forward");
    return true;
  }
  clock.advance(delta);
  AdminReply::ok(response, describe(clock));
  return true;
}

}  // namespace tributary::sim
