#include "actions/ActionServices.h"

#include "common/Log.h"

namespace tributary::actions {
namespace {

// PostgreSQL's jsonb refuses \u0000 in a string: a result holding one would make the job's end
// fail to land, again and again, so it is refused while the plugin can still be told.
bool holdsNul(const Json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().find('\0') != std::string::npos;
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      if (key.find('\0') != std::string::npos || holdsNul(value)) return true;
    }
  }
  if (v.is_array()) {
    for (const auto& value : v) {
      if (holdsNul(value)) return true;
    }
  }
  return false;
}

Json parseStored(const char* function, std::string_view what, std::string_view json) {
  // The trampoline has checked that it is JSON text.
  Json v = Json::parse(json.begin(), json.end());
  if (holdsNul(v)) {
    throw plugins::RunStopped(plugins::ResultCode::Fatal,
                              std::string(function) + ": " + std::string(what) +
                                  " holds a NUL character (\\u0000), which PostgreSQL cannot store; fix the plugin");
  }
  return v;
}

}  // namespace

void ActionServices::reportProgress(int64_t current, int64_t total, std::string_view message) {
  // Progress is for the operator's eyes: a failed write of it must not fail (or, for a
  // non-idempotent action, lose) the action itself.
  try {
    job_.reportProgress(current, total, std::string(message));
  } catch (const std::exception& e) {
    log::warn("actions", "job {}: progress not recorded: {}", job_.job().id, e.what());
  }
}

void ActionServices::addRunCounter(std::string_view name, int64_t delta) {
  const std::string key(name);
  if (!counters_.contains(key)) {
    if (counters_.size() >= kMaxStatNames) {
      throw plugins::RunStopped(plugins::ResultCode::Fatal, "add_run_counter: counter '" + key +
                                                                "' is one name too many (at most " +
                                                                std::to_string(kMaxStatNames) + " per run)");
    }
    counters_[key] = int64_t{0};
  }
  int64_t total = 0;
  if (__builtin_add_overflow(counters_[key].get<int64_t>(), delta, &total)) {
    throw plugins::RunStopped(plugins::ResultCode::Fatal,
                              "add_run_counter: counter '" + key + "' overflows a 64-bit integer");
  }
  counters_[key] = total;
}

void ActionServices::setRunFact(std::string_view name, std::string_view valueJson) {
  const std::string key(name);
  if (!facts_.contains(key) && facts_.size() >= kMaxStatNames) {
    throw plugins::RunStopped(plugins::ResultCode::Fatal, "set_run_fact: fact '" + key +
                                                              "' is one name too many (at most " +
                                                              std::to_string(kMaxStatNames) + " per run)");
  }
  facts_[key] = parseStored("set_run_fact", "fact '" + key + "'", valueJson);
}

void ActionServices::setActionResult(std::string_view resultJson) {
  if (resultJson.size() > kMaxResultBytes) {
    throw plugins::RunStopped(plugins::ResultCode::Fatal, "set_action_result: the result is " +
                                                              std::to_string(resultJson.size()) + " bytes (at most " +
                                                              std::to_string(kMaxResultBytes) + "); return less");
  }
  result_ = parseStored("set_action_result", "the result", resultJson);
}

}  // namespace tributary::actions
