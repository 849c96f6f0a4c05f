#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"

namespace tributary::engine {

// Whom an event concerns: the whole host, one workspace, or one connection of a workspace;
// optionally one run of a job.
struct EventScope {
  std::optional<std::string> workspaceId;
  std::optional<std::string> connectionId;
  std::optional<std::string> runId;
  std::optional<std::string> jobId;

  static EventScope host() { return {}; }
  static EventScope workspace(std::string workspaceId) { return {std::move(workspaceId), {}, {}, {}}; }
  static EventScope connection(std::string workspaceId, std::string connectionId) {
    return {std::move(workspaceId), std::move(connectionId), {}, {}};
  }
  EventScope& run(std::string runId, std::string jobId) {
    this->runId = std::move(runId);
    this->jobId = std::move(jobId);
    return *this;
  }
};

// One event as a consumer reads it.
struct OutboxEvent {
  int64_t position = 0;  // read after this to continue
  std::string type;
  EventScope scope;
  Json payload;
  int64_t createdAtMs = 0;
};

// Which events a reader wants; empty fields match everything.
struct OutboxFilter {
  std::optional<std::string> workspaceId;   // that workspace's events (and not the host's)
  std::optional<std::string> connectionId;  // that connection's events
  std::vector<std::string> types;           // exact types, e.g. sync.completed
};

struct OutboxPage {
  std::vector<OutboxEvent> events;
  int64_t next = 0;  // the position to read after next time (the last event's, or `after`)
  // Events after `after` were pruned (older than the retention) before this reader got to
  // them: it missed some. The page goes on from the oldest kept.
  bool truncated = false;
};

// The events outbox: an event is written in the same transaction as the change it announces,
// so it exists if and only if that change committed. Consumers (webhooks, server-sent events,
// post-sync processors) read it in position order and remember where they stopped.
//
// Positions are in commit order, so a reader that asks for what follows the last position it
// saw never skips an event that committed late: emit takes a transaction-level advisory lock
// (db::advisory::kOutboxOrder) before it takes a position, and holds it until its transaction
// ends. A later writer therefore gets a larger position only after this one committed (or
// rolled back), and an event becomes visible before any event with a larger position. The
// price is that transactions writing events commit one at a time; so emit is the last thing a
// transaction does before COMMIT, after the fence (which is also what keeps the lock order
// fixed: the job row, then the outbox).
namespace outbox {

// Writes an event in the caller's open transaction, last before its COMMIT. `type` is dotted
// (sync.completed); the payload is a JSON object. Throws std::invalid_argument for a scope
// naming a connection but no workspace, an empty type or a payload that is no object.
void emit(db::Connection& conn, const EventScope& scope, std::string_view type, const Json& payload);

// Up to `limit` events after position `after` (0: from the oldest kept), in position order.
OutboxPage read(db::Connection& conn, int64_t after, int limit, const OutboxFilter& filter = {});

// Deletes events older than `retention`, at most `batch` at a time until none is left, and
// records how far it went so readers behind it learn that they missed events. One host at a
// time (an advisory lock); returns how many it deleted.
int64_t prune(db::Connection& conn, std::chrono::milliseconds retention, int batch = 10000);

}  // namespace outbox
}  // namespace tributary::engine
