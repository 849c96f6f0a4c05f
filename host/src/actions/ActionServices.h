#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/Json.h"
#include "http/VendorClient.h"
#include "plugins/RunServices.h"
#include "queue/JobHandler.h"

namespace tributary::actions {

// What the action hook may call: HTTP (counted), cancellation, progress (on the job),
// run counters and facts, and set_action_result. The sync-only services (records, checkpoints,
// links, stream state, follow-ups, discovery) end the call Fatal, naming the function.
class ActionServices final : public plugins::RunServices {
 public:
  // The largest result kept, in bytes of JSON text (it is stored in the job's row).
  static constexpr size_t kMaxResultBytes = 1024 * 1024;
  // The most counter names, and fact names, one run keeps.
  static constexpr size_t kMaxStatNames = 100;

  // `vendor`: the action's HTTP client (null: the plain shared one, uncounted).
  ActionServices(queue::JobContext& job, http::VendorClient* vendor) : RunServices(vendor), job_(job) {}

  void emitRecord(const plugins::RecordView&) override { throw plugins::NotAvailable(); }
  void emitRecordError(const plugins::RecordErrorView&) override { throw plugins::NotAvailable(); }
  void commitCheckpoint(std::string_view, std::string_view) override { throw plugins::NotAvailable(); }
  void reportProgress(int64_t current, int64_t total, std::string_view message) override;
  bool isCancelled() override { return job_.stopRequested(); }
  void addRunCounter(std::string_view name, int64_t delta) override;
  void setRunFact(std::string_view name, std::string_view valueJson) override;
  void setActionResult(std::string_view resultJson) override;

  // The result the plugin set (null when it set none).
  const Json& result() const { return result_; }
  // {name: total} and {name: value}, in the order the plugin first named them.
  const Json& counters() const { return counters_; }
  const Json& facts() const { return facts_; }

 private:
  queue::JobContext& job_;
  Json result_;
  Json counters_ = Json::object();
  Json facts_ = Json::object();
};

}  // namespace tributary::actions
