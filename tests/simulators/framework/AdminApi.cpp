#include "AdminApi.h"

#include <algorithm>

#include "AdminReply.h"
#include "ClockAdmin.h"
#include "ConfigError.h"
#include "DeterministicRandom.h"
#include "GroundTruth.h"
#include "TimeFormat.h"

namespace tributary::sim {

AdminApi::AdminApi(Vendor& vendor, SimClock& clock, WallClock wallClock, FaultInjector& faults, RequestLog& log,
                   OrderBook& orders, uint64_t seed)
    : vendor_(vendor),
      clock_(clock),
      wallClock_(std::move(wallClock)),
      faults_(faults),
      log_(log),
      orders_(orders),
      seed_(seed) {}

void AdminApi::handle(const SimRequest& request, SimResponse& response) {
  const std::string& path = request.path;
  if (ClockAdmin::handle(clock_, request, response)) return;
  if (path == "/admin" || path == "/admin/") {
    AdminReply::ok(response, {{"vendor", vendor_.name()},
                              {"routes",
                               {"GET /admin/clock", "POST /admin/clock/advance", "GET /admin/objects",
                                "GET /admin/ground-truth?object=NAME", "POST /admin/records/OBJECT",
                                "POST /admin/records/OBJECT/modify", "POST /admin/records/OBJECT/delete",
                                "GET /admin/records/OBJECT/ID", "POST /admin/quotas/reset", "POST /admin/tokens/expire",
                                "GET|POST|DELETE /admin/faults", "DELETE /admin/faults/ID",
                                "GET|DELETE /admin/requests", "GET|DELETE /admin/orders"}}});
    return;
  }
  if (path == "/admin/ground-truth" && request.method == "GET") return groundTruth(request, response);
  if (path == "/admin/objects" && request.method == "GET") return objects(response);
  if (path.rfind("/admin/records/", 0) == 0) return records(request, response);
  if (path == "/admin/quotas/reset" && request.method == "POST") {
    vendor_.resetQuotas();
    AdminReply::ok(response, {{"reset", true}});
    return;
  }
  if (path == "/admin/tokens/expire" && request.method == "POST") {
    vendor_.expireTokens();
    AdminReply::ok(response, {{"expired", true}});
    return;
  }
  if (path == "/admin/faults" || path.rfind("/admin/faults/", 0) == 0) return faults(request, response);
  if (path == "/admin/requests") return requests(request, response);
  if (path == "/admin/orders") return orders(request, response);
  AdminReply::error(response, 404, request.method + " " + path + ": no such admin route (GET /admin lists them)");
}

void AdminApi::groundTruth(const SimRequest& request, SimResponse& response) {
  const auto name = request.param("object");
  if (!name) {
    AdminReply::error(response, 400, "GET /admin/ground-truth: query parameter 'object' is required");
    return;
  }
  SimObject* object = vendor_.object(*name);
  if (!object) {
    std::string known;
    for (SimObject* o : vendor_.objects()) known += (known.empty() ? "" : ", ") + o->name();
    AdminReply::error(response, 404,
                      "GET /admin/ground-truth: object '" + *name + "' is not an object of " + vendor_.name() +
                          " (known: " + known + ")");
    return;
  }
  response.status = 200;
  response.body = GroundTruth::render(*object, clock_.nowMs());
}

void AdminApi::objects(SimResponse& response) {
  nlohmann::json out = nlohmann::json::object();
  for (SimObject* object : vendor_.objects()) {
    out[object->name()] = {{"size", object->store().size()},
                           {"entity", object->canonicalEntity()},
                           {"writable_fields", object->writableFields()}};
  }
  AdminReply::ok(response, {{"vendor", vendor_.name()}, {"objects", out}});
}

std::string AdminApi::checkFields(const SimObject& object, const nlohmann::json& fields,
                                  const std::string& where) const {
  if (!fields.is_object()) return where + ": expected an object of field name to value";
  const auto writable = object.writableFields();
  for (const auto& [key, value] : fields.items()) {
    if (std::find(writable.begin(), writable.end(), key) == writable.end()) {
      std::string known;
      for (const auto& w : writable) known += (known.empty() ? "" : ", ") + w;
      return where + "." + key + ": not a writable field of " + object.name() + " (writable: " + known + ")";
    }
    if (value.is_object() || value.is_array()) {
      return where + "." + key + ": expected a string, number, boolean or null";
    }
  }
  return "";
}

void AdminApi::records(const SimRequest& request, SimResponse& response) {
  const std::string rest = request.path.substr(std::string("/admin/records/").size());
  const size_t slash = rest.find('/');
  const std::string objectName = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash + 1);
  SimObject* object = vendor_.object(objectName);
  if (!object) {
    AdminReply::error(
        response, 404,
        request.path + ": no object '" + objectName + "' in " + vendor_.name() + " (GET /admin/objects lists them)");
    return;
  }
  if (request.method == "GET" && !tail.empty()) {
    const auto index = object->indexOf(tail);
    const auto state = index ? object->store().latest(*index) : std::nullopt;
    if (!state) {
      AdminReply::error(response, 404, request.path + ": no record with id '" + tail + "'");
      return;
    }
    const nlohmann::json raw = object->generate(*state);
    const CanonicalRecord canonical = object->canonicalize(raw);
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : canonical.fields) fields.push_back(f ? nlohmann::json(*f) : nullptr);
    AdminReply::ok(response, {{"id", tail},
                              {"version", state->version},
                              {"deleted", state->deleted},
                              {"modified_at", TimeFormat::isoMillisZ(state->modifiedAtMs)},
                              {"record", raw},
                              {"canonical", fields},
                              {"poison", canonical.poisonReason ? nlohmann::json(*canonical.poisonReason)
                                                                : nlohmann::json(nullptr)}});
    return;
  }
  if (request.method != "POST") {
    AdminReply::error(response, 405, request.method + " " + request.path + ": use POST");
    return;
  }
  nlohmann::json body;
  if (!AdminReply::parseBody(request.body, body, response, "POST " + request.path)) return;
  if (tail.empty()) return create(*object, body, response);
  if (tail == "modify" || tail == "delete") return mutate(*object, tail, body, response);
  AdminReply::error(response, 404,
                    "POST " + request.path +
                        ": unknown action (use /modify or /delete, or POST to "
                        "/admin/records/OBJECT to create)");
}

void AdminApi::create(SimObject& object, const nlohmann::json& body, SimResponse& response) {
  const std::string where = "POST /admin/records/" + object.name();
  std::vector<std::shared_ptr<const nlohmann::json>> batch;
  if (body.contains("records")) {
    if (!body["records"].is_array()) {
      AdminReply::error(response, 400, where + ": field 'records' must be a list of objects");
      return;
    }
    for (size_t i = 0; i < body["records"].size(); ++i) {
      const std::string problem =
          checkFields(object, body["records"][i], where + ": records[" + std::to_string(i) + "]");
      if (!problem.empty()) return AdminReply::error(response, 400, problem);
      batch.push_back(std::make_shared<const nlohmann::json>(body["records"][i]));
    }
  }
  if (body.contains("count")) {
    if (!body["count"].is_number_unsigned() || body["count"].get<uint64_t>() > 1000000) {
      AdminReply::error(response, 400, where + ": field 'count' must be an integer 0..1000000");
      return;
    }
    for (uint64_t i = 0; i < body["count"].get<uint64_t>(); ++i) batch.push_back(nullptr);
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "records" && key != "count") {
      AdminReply::error(response, 400, where + ": unknown field '" + key + "' (use count, records)");
      return;
    }
  }
  if (batch.empty()) {
    AdminReply::error(response, 400, where + ": give {\"count\":N} or {\"records\":[{...}]}");
    return;
  }
  nlohmann::json ids = nlohmann::json::array();
  const int64_t now = clock_.nowMs(), wall = wallClock_();
  for (auto& overrides : batch) {
    ids.push_back(object.sourceId(object.store().create(now, wall, overrides)));
  }
  AdminReply::ok(response, {{"created", ids}, {"at", TimeFormat::isoMillisZ(now)}});
}

void AdminApi::mutate(SimObject& object, const std::string& action, const nlohmann::json& body, SimResponse& response) {
  const std::string where = "POST /admin/records/" + object.name() + "/" + action;
  for (const auto& [key, value] : body.items()) {
    if (key != "ids" && key != "count" && key != "seed" && !(key == "fields" && action == "modify")) {
      AdminReply::error(response, 400,
                        where + ": unknown field '" + key + "' (use ids or count" +
                            (action == "modify" ? ", seed, fields)" : ", seed)"));
      return;
    }
  }
  std::shared_ptr<const nlohmann::json> overrides;
  if (body.contains("fields")) {
    const std::string problem = checkFields(object, body["fields"], where + ": fields");
    if (!problem.empty()) return AdminReply::error(response, 400, problem);
    overrides = std::make_shared<const nlohmann::json>(body["fields"]);
  }
  std::vector<uint64_t> targets;
  if (body.contains("ids")) {
    if (!body["ids"].is_array()) {
      AdminReply::error(response, 400, where + ": field 'ids' must be a list of record ids");
      return;
    }
    for (const auto& id : body["ids"]) {
      const std::string text = id.is_string() ? id.get<std::string>() : id.dump();
      const auto index = object.indexOf(text);
      const auto state = index ? object.store().latest(*index) : std::nullopt;
      if (!state || state->deleted) {
        AdminReply::error(response, 404, where + ": ids: no live record with id '" + text + "'");
        return;
      }
      targets.push_back(*index);
    }
  } else if (body.contains("count")) {
    if (!body["count"].is_number_unsigned()) {
      AdminReply::error(response, 400, where + ": field 'count' must be a non-negative integer");
      return;
    }
    uint64_t pickSeed = DeterministicRandom::combine(seed_, "admin-pick", picks_++);
    if (body.contains("seed")) {
      if (!body["seed"].is_number_integer()) {
        AdminReply::error(response, 400, where + ": field 'seed' must be an integer");
        return;
      }
      pickSeed = body["seed"].get<uint64_t>();
    }
    targets = object.store().pickLive(body["count"].get<uint64_t>(), pickSeed);
  } else {
    AdminReply::error(response, 400, where + ": give {\"ids\":[...]} or {\"count\":N}");
    return;
  }
  nlohmann::json ids = nlohmann::json::array();
  const int64_t now = clock_.nowMs(), wall = wallClock_();
  for (uint64_t index : targets) {
    const bool done = action == "modify" ? object.store().modify(index, now, wall, overrides)
                                         : object.store().remove(index, now, wall);
    if (done) ids.push_back(object.sourceId(index));
  }
  AdminReply::ok(response, {{action == "modify" ? "modified" : "deleted", ids}, {"at", TimeFormat::isoMillisZ(now)}});
}

void AdminApi::faults(const SimRequest& request, SimResponse& response) {
  if (request.path == "/admin/faults") {
    if (request.method == "GET") return AdminReply::ok(response, {{"faults", faults_.list()}});
    if (request.method == "DELETE") {
      faults_.clear();
      return AdminReply::ok(response, {{"cleared", true}});
    }
    if (request.method == "POST") {
      nlohmann::json body;
      if (!AdminReply::parseBody(request.body, body, response, "POST /admin/faults")) return;
      try {
        // Either one rule, or {"faults":[rules]}.
        nlohmann::json ids = nlohmann::json::array();
        if (body.contains("faults")) {
          if (!body["faults"].is_array()) throw ConfigError("POST /admin/faults: faults: expected a list");
          std::vector<FaultRule> rules;
          for (size_t i = 0; i < body["faults"].size(); ++i) {
            rules.push_back(
                FaultRule::fromJson(body["faults"][i], "POST /admin/faults: faults[" + std::to_string(i) + "]"));
          }
          for (auto& rule : rules) ids.push_back(faults_.add(std::move(rule)));
        } else {
          ids.push_back(faults_.add(FaultRule::fromJson(body, "POST /admin/faults: body")));
        }
        return AdminReply::ok(response, {{"ids", ids}, {"faults", faults_.list()}});
      } catch (const ConfigError& error) {
        return AdminReply::error(response, 400, error.what());
      }
    }
  } else if (request.method == "DELETE") {
    const std::string id = request.path.substr(std::string("/admin/faults/").size());
    try {
      size_t used = 0;
      const uint64_t value = std::stoull(id, &used);
      if (used == id.size() && faults_.remove(value)) {
        return AdminReply::ok(response, {{"removed", value}});
      }
    } catch (const std::exception&) {
    }
    return AdminReply::error(response, 404, "DELETE /admin/faults/" + id + ": no such fault id");
  }
  AdminReply::error(response, 405, request.method + " " + request.path + ": use GET, POST or DELETE /admin/faults");
}

void AdminApi::requests(const SimRequest& request, SimResponse& response) {
  if (request.method == "DELETE") {
    log_.clear();
    return AdminReply::ok(response, {{"cleared", true}});
  }
  if (request.method != "GET") {
    return AdminReply::error(response, 405, "use GET or DELETE /admin/requests");
  }
  uint64_t since = 0;
  size_t limit = 10000;
  try {
    if (auto value = request.param("since")) since = std::stoull(*value);
    if (auto value = request.param("limit")) limit = std::stoull(*value);
  } catch (const std::exception&) {
    return AdminReply::error(response, 400, "GET /admin/requests: 'since' and 'limit' must be non-negative integers");
  }
  const std::string prefix = request.param("path_prefix").value_or("");
  AdminReply::ok(response, {{"last_seq", log_.lastSeq()}, {"requests", log_.query(since, prefix, limit)}});
}

void AdminApi::orders(const SimRequest& request, SimResponse& response) {
  if (request.method == "GET") return AdminReply::ok(response, {{"orders", orders_.list()}});
  if (request.method == "DELETE") {
    orders_.clear();
    return AdminReply::ok(response, {{"cleared", true}});
  }
  AdminReply::error(response, 405, request.method + " /admin/orders: use GET or DELETE /admin/orders");
}

}  // namespace tributary::sim
