#include "engine/RunStatistics.h"

#include "plugins/RunServices.h"

namespace tributary::engine {

using plugins::ResultCode;
using plugins::RunStopped;

void RunStatistics::resumeFrom(const Json& earlier) {
  if (!earlier.is_object()) return;
  if (auto c = earlier.find("counters"); c != earlier.end() && c->is_object()) {
    for (const auto& [name, value] : c->items()) {
      if (!value.is_number_integer()) continue;
      counters_[name] = value.get<int64_t>();
      names_.insert(name);
    }
  }
  if (auto f = earlier.find("facts"); f != earlier.end() && f->is_object()) {
    for (const auto& [name, value] : f->items()) {
      facts_[name] = value;
      names_.insert(name);
    }
  }
}

void RunStatistics::admit(const char* function, const std::string& name) {
  if (names_.count(name)) return;
  if (names_.size() >= kMaxNames) {
    throw RunStopped(ResultCode::Fatal,
                     std::string(function) + ": '" + name + "' would be name " + std::to_string(kMaxNames + 1) +
                         " of the run's counters and facts; a run has at most " + std::to_string(kMaxNames) +
                         " (reuse names, or put the detail in one fact's JSON)");
  }
  names_.insert(name);
}

void RunStatistics::add(std::string_view nameView, int64_t delta) {
  const std::string name(nameView);
  admit("add_run_counter", name);
  int64_t now = 0;
  if (auto it = counters_.find(name); it != counters_.end()) now = it->get<int64_t>();
  int64_t sum = 0;
  if (__builtin_add_overflow(now, delta, &sum)) {
    throw RunStopped(ResultCode::Fatal, "add_run_counter: counter '" + name + "' is " + std::to_string(now) +
                                            "; adding " + std::to_string(delta) + " would overflow 64 bits");
  }
  counters_[name] = sum;
}

void RunStatistics::set(std::string_view nameView, std::string_view valueJson) {
  const std::string name(nameView);
  admit("set_run_fact", name);
  facts_[name] = Json::parse(valueJson);
}

Json RunStatistics::toJson() const { return Json{{"counters", counters_}, {"facts", facts_}}; }

}  // namespace tributary::engine
