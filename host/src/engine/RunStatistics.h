#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/Json.h"

namespace tributary::engine {

// A run's own statistics from its plugin (add_run_counter, set_run_fact): named counters and
// small JSON facts, at most kMaxNames names between them. Stored in sync_runs.metadata.plugin
// and the job's result as {counters: {...}, facts: {...}}.
//
// A run covers its whole job: a later attempt starts from what the earlier ones stored
// (resumeFrom), so counters count what every attempt did (a page re-read after a resume counts
// again), and a fact keeps its last value until an attempt sets it anew. What an attempt counted
// after its last stored write (progress, at most once per sync.progress_interval, and its end)
// is lost if its worker dies. Names are checked by the host API's trampolines
// ([a-z0-9_.], 1 to 64 bytes), fact values there too (JSON text, at most 4 KiB).
class RunStatistics {
 public:
  static constexpr size_t kMaxNames = 100;

  // An earlier attempt's {counters, facts}; anything else in it is ignored.
  void resumeFrom(const Json& earlier);
  // Throw plugins::RunStopped(Fatal) naming the name: the 101st, or a counter that would
  // overflow.
  void add(std::string_view name, int64_t delta);
  void set(std::string_view name, std::string_view valueJson);

  // {counters: {...}, facts: {...}}, both objects even when empty.
  Json toJson() const;

 private:
  void admit(const char* function, const std::string& name);

  Json counters_ = Json::object();
  Json facts_ = Json::object();
  std::set<std::string> names_;  // counters' and facts' together
};

}  // namespace tributary::engine
