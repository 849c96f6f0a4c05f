#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"
#include "plugins/ConnectorPlugin.h"
#include "plugins/RunServices.h"
#include "queue/JobQueue.h"

namespace tributary::engine {

// Where queued follow-ups come from: the run that asked, and the job and connection it is of.
struct FollowUpOrigin {
  std::string workspaceId;
  std::string connectionId;
  std::string runId;
  std::string jobId;
  int priority = 0;  // the asking job's: a manual sync's follow-ups are manual work too
};

// The follow-up work a run's plugin asks for (request_follow_up), collected as the run goes and
// queued when it succeeds, as ordinary jobs of its connection: a `backfill` of the stream over
// the window given, or a `sync` with mode initial of the stream (a full resync). One request per
// (stream, kind) per run: a second one widens the first's window. Nothing here is stored until
// enqueue(), which the run calls in its closing transaction, so a run that fails, is cancelled
// or waits queues nothing, and a retried run asks again.
//
// De-duplication: one pending follow-up per (connection, stream, kind), through the queue's
// pending key. A request while one is pending joins it (deduplicated, that job's id; a backfill's
// window is widened to cover both). One already running does not count: its read began before
// the changes that made this run ask.
class FollowUps {
 public:
  // `streams`: the connection's (the plugin's declared ones), which a follow-up must name.
  FollowUps(std::string connector, std::vector<plugins::StreamDescriptor> streams);

  // Throws plugins::RunStopped(Fatal) for a stream the connection does not have, or a backfill
  // of a stream that is only ever read whole.
  void request(const plugins::FollowUpView& followUp);
  bool empty() const { return requests_.empty(); }

  // What would be queued, for a dry run: [{kind, stream, reason, [window], job_id: null,
  // deduplicated: false}].
  Json preview() const;
  // Queues them in `conn`'s open transaction (the run's closing one); the same listing with
  // each job's id and whether it joined a pending one.
  Json enqueue(db::Connection& conn, queue::JobQueue& queue, const FollowUpOrigin& origin) const;

  // The pending key of one follow-up: one pending job per connection, stream and kind.
  static std::string pendingKey(const std::string& connectionId, const std::string& stream, plugins::FollowUpKind kind);

 private:
  struct Request {
    plugins::FollowUpKind kind;
    std::string stream;
    std::string reason;
    std::optional<int64_t> fromMs, toMs;  // backfill; none: unbounded
  };
  Json entry(const Request& r) const;

  std::string connector_;
  std::vector<plugins::StreamDescriptor> streams_;
  std::vector<Request> requests_;
};

}  // namespace tributary::engine
