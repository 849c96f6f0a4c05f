#include "engine/FollowUps.h"

#include <algorithm>

#include "common/Log.h"
#include "common/Strings.h"

namespace tributary::engine {

using plugins::FollowUpKind;
using plugins::ResultCode;
using plugins::RunStopped;

namespace {

const char* kindName(FollowUpKind k) { return k == FollowUpKind::Backfill ? "backfill" : "resync"; }

Json msOrNull(const std::optional<int64_t>& ms) { return ms ? Json(*ms) : Json(nullptr); }

std::optional<int64_t> msOf(const Json& window, const char* key) {
  if (!window.is_object()) return std::nullopt;
  auto it = window.find(key);
  if (it == window.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// The smallest window covering both; an unbounded side stays unbounded.
void widen(std::optional<int64_t>& from, std::optional<int64_t>& to, const std::optional<int64_t>& otherFrom,
           const std::optional<int64_t>& otherTo) {
  from = from && otherFrom ? std::optional<int64_t>(std::min(*from, *otherFrom)) : std::nullopt;
  to = to && otherTo ? std::optional<int64_t>(std::max(*to, *otherTo)) : std::nullopt;
}

}  // namespace

FollowUps::FollowUps(std::string connector, std::vector<plugins::StreamDescriptor> streams)
    : connector_(std::move(connector)), streams_(std::move(streams)) {}

std::string FollowUps::pendingKey(const std::string& connectionId, const std::string& stream, FollowUpKind kind) {
  return "follow_up:" + connectionId + ":" + kindName(kind) + ":" + stream;
}

void FollowUps::request(const plugins::FollowUpView& v) {
  const plugins::StreamDescriptor* stream = nullptr;
  for (const auto& s : streams_) {
    if (s.name == v.stream) stream = &s;
  }
  if (!stream) {
    std::vector<std::string> known;
    for (const auto& s : streams_) known.push_back(s.name);
    throw RunStopped(ResultCode::Fatal, "request_follow_up: '" + strings::validUtf8(v.stream) +
                                            "' is not a stream of " + connector_ +
                                            " (known: " + strings::join(known, ", ") + ")");
  }
  if (v.kind == FollowUpKind::Backfill && stream->fullRefreshOnly()) {
    throw RunStopped(ResultCode::Fatal, "request_follow_up: stream '" + stream->name + "' of " + connector_ +
                                            " is only ever read whole (TRIBUTARY_STREAM_FULL_REFRESH), so it has no "
                                            "backfill; ask for a resync (TRIBUTARY_FOLLOW_UP_RESYNC)");
  }
  for (auto& r : requests_) {
    if (r.kind == v.kind && r.stream == v.stream) {
      if (v.kind == FollowUpKind::Backfill) widen(r.fromMs, r.toMs, v.windowFromMs, v.windowToMs);
      return;
    }
  }
  requests_.push_back(Request{v.kind, stream->name, strings::validUtf8(v.reason), v.windowFromMs, v.windowToMs});
}

Json FollowUps::entry(const Request& r) const {
  Json e = {{"kind", kindName(r.kind)}, {"stream", r.stream}, {"reason", r.reason}};
  if (r.kind == FollowUpKind::Backfill) e["window"] = Json{{"from", msOrNull(r.fromMs)}, {"to", msOrNull(r.toMs)}};
  e["job_id"] = nullptr;
  e["deduplicated"] = false;
  return e;
}

Json FollowUps::preview() const {
  Json out = Json::array();
  for (const auto& r : requests_) out.push_back(entry(r));
  return out;
}

Json FollowUps::enqueue(db::Connection& conn, queue::JobQueue& queue, const FollowUpOrigin& origin) const {
  Json out = Json::array();
  // In key order, so that two runs queueing the same follow-ups lock their keys in one order.
  std::vector<const Request*> ordered;
  for (const auto& r : requests_) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(), [&](const Request* a, const Request* b) {
    return pendingKey(origin.connectionId, a->stream, a->kind) < pendingKey(origin.connectionId, b->stream, b->kind);
  });
  for (const Request* r : ordered) {
    queue::EnqueueRequest e;
    e.workspaceId = origin.workspaceId;
    e.connectionId = origin.connectionId;
    e.priority = origin.priority;
    e.pendingKey = pendingKey(origin.connectionId, r->stream, r->kind);
    const Json from = {{"run_id", origin.runId}, {"job_id", origin.jobId}};
    if (r->kind == FollowUpKind::Backfill) {
      e.kind = "backfill";
      Json window = Json::object();
      if (r->fromMs) window["from"] = *r->fromMs;
      if (r->toMs) window["to"] = *r->toMs;
      e.payload = {{"mode", "backfill"}, {"sync_type", "backfill"}, {"streams", Json::array({r->stream})},
                   {"window", window},   {"follow_up_of", from},    {"reason", r->reason}};
    } else {
      e.kind = "sync";
      e.payload = {{"mode", "initial"},
                   {"sync_type", "manual"},
                   {"streams", Json::array({r->stream})},
                   {"follow_up_of", from},
                   {"reason", r->reason}};
    }
    auto queued = queue.enqueue(conn, e);
    if (queued.existing && r->kind == FollowUpKind::Backfill) {
      // Join the pending backfill, widened to this window too (its row stays locked until the
      // run's transaction commits, so it cannot start meanwhile).
      queue.changePendingPayload(conn, queued.jobId, [&](const Json& payload) -> std::optional<Json> {
        const Json w = payload.contains("window") ? payload.at("window") : Json(nullptr);
        std::optional<int64_t> from = msOf(w, "from"), to = msOf(w, "to");
        widen(from, to, r->fromMs, r->toMs);
        if (from == msOf(w, "from") && to == msOf(w, "to")) return std::nullopt;
        Json changed = payload;
        changed["window"] = Json::object();
        if (from) changed["window"]["from"] = *from;
        if (to) changed["window"]["to"] = *to;
        return changed;
      });
    }
    Json item = entry(*r);
    item["job_id"] = queued.jobId;
    item["deduplicated"] = queued.existing;
    log::info("engine", "run {} asked for a {} of stream {} ({}): {} job {}", origin.runId, kindName(r->kind),
              r->stream, r->reason, queued.existing ? "joined the pending" : "queued", queued.jobId);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace tributary::engine
