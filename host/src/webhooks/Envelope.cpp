#include "webhooks/Envelope.h"

#include <cctype>

#include "common/Time.h"

namespace tributary::webhooks {

namespace {

std::string camel(const std::string& key) {
  std::string out;
  bool up = false;
  for (char c : key) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

}  // namespace

Json envelopeOf(const engine::OutboxEvent& event) {
  Json data = Json::object();
  if (event.payload.is_object()) {
    for (const auto& [k, v] : event.payload.items()) data[camel(k)] = v;
  }
  if (event.scope.jobId) data["jobId"] = *event.scope.jobId;
  if (event.scope.runId) data["runId"] = *event.scope.runId;
  if (event.scope.connectionId) data["connectionId"] = *event.scope.connectionId;
  if (event.type.rfind("sync.", 0) == 0 && !data.contains("jobType")) data["jobType"] = "sync";
  if (event.type == "sync.completed" && data.contains("totals") && data["totals"].is_object() &&
      data["totals"].contains("records")) {
    data["totalRecords"] = data["totals"]["records"];
  }
  return {{"type", event.type},
          {"event", event.type},
          {"workspaceId", event.scope.workspaceId ? Json(*event.scope.workspaceId) : Json(nullptr)},
          {"timestamp", time::iso8601Ms(event.createdAtMs)},
          {"data", data}};
}

Json testEnvelope(const std::string& workspaceId, int64_t nowMs) {
  return {{"type", "sync.progress"},
          {"event", "sync.progress"},
          {"workspaceId", workspaceId},
          {"timestamp", time::iso8601Ms(nowMs)},
          {"data",
           {{"jobType", "test"},
            {"progress", {{"current", 50}, {"total", 100}, {"message", "Test webhook notification"}}}}}};
}

std::string messageIdOf(int64_t position) { return "msg_" + std::to_string(position); }

}  // namespace tributary::webhooks
