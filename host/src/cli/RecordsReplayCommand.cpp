#include "cli/RecordsReplayCommand.h"

#include <Poco/Util/Option.h>
#include <fmt/format.h>

#include <iostream>

#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"

namespace tributary::cli {

using Poco::Util::Option;

RecordsReplayCommand::RecordsReplayCommand()
    : Command("records replay", "WORKSPACE [--connection C] [--stream S] [--list]",
              "Re-reads the records that failed to sync (sync_record_errors) from their source, by id: one "
              "backfill job per connection and stream, as manual work. A record stored by the replay has its "
              "error resolved; one that fails again keeps it, with its count of occurrences. --list shows the "
              "open errors and queues nothing.") {}

void RecordsReplayCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("connection", "", "only this connection").required(false).repeatable(false).argument("C"));
  options.addOption(Option("stream", "", "only this stream").required(false).repeatable(false).argument("S"));
  options.addOption(Option("list", "", "list the open errors; queue nothing").required(false).repeatable(false));
}

bool RecordsReplayCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "connection") connection_ = value;
  else if (name == "stream") stream_ = value;
  else if (name == "list") list_ = true;
  else return false;
  return true;
}

int RecordsReplayCommand::execute(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tributary records replay WORKSPACE [--connection C] [--stream S] [--list]\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  auto pool = std::make_shared<db::Pool>(handle->conninfo(), cfg->database.pool);
  auto c = pool->acquire();
  auto ws = c->exec("SELECT id FROM workspaces WHERE slug = $1", args[0]);
  if (ws.empty()) {
    std::cerr << "tributary records replay: no workspace \"" << args[0] << "\"\n";
    return kFailure;
  }
  auto errs = c->exec(
      "SELECT e.connection_id, c.name, e.stream, array_agg(e.source_id ORDER BY e.source_id)::text,"
      " count(*), string_agg(e.source_id || ': ' || e.error, E'\\n' ORDER BY e.source_id)"
      " FROM sync_record_errors e JOIN connections c ON c.id = e.connection_id"
      " WHERE e.workspace_id = $1::uuid AND e.resolved_at IS NULL AND e.source_id IS NOT NULL AND c.enabled"
      " AND ($2::text IS NULL OR c.name = $2) AND ($3::text IS NULL OR e.stream = $3)"
      " GROUP BY 1, 2, 3 ORDER BY 2, 3",
      ws.text(0, 0), connection_, stream_);
  if (errs.empty()) {
    std::cout << "no open record errors in workspace " << args[0] << "\n";
    return kOk;
  }
  queue::JobQueue q(pool, cfg->queue);
  for (int i = 0; i < errs.rows(); ++i) {
    const std::string where = args[0] + "/" + errs.text(i, 1) + " stream " + errs.text(i, 2);
    if (list_) {
      std::cout << where << ": " << errs.int64(i, 4) << " open error(s)\n" << errs.text(i, 5) << "\n";
      continue;
    }
    // "{a,b,c}" from array_agg: ids are text, quoted by PostgreSQL where needed.
    auto idsRow = c->exec("SELECT to_jsonb($1::text[])", errs.text(i, 3));
    queue::EnqueueRequest r;
    r.kind = "backfill";
    r.workspaceId = ws.text(0, 0);
    r.connectionId = errs.text(i, 0);
    r.priority = queue::kPriorityManual;
    r.payload = Json{{"sync_type", "backfill"},
                     {"streams", {errs.text(i, 2)}},
                     {"ids", Json::parse(idsRow.view(0, 0))},
                     {"replay", true}};
    auto job = q.enqueue(*c, r);
    c->exec(
        "UPDATE sync_record_errors SET replay_job_id = $1::uuid WHERE connection_id = $2::uuid AND stream = $3"
        " AND resolved_at IS NULL",
        job.jobId, errs.text(i, 0), errs.text(i, 2));
    std::cout << fmt::format("queued a replay of {} record(s) of {}: job {}\n", errs.int64(i, 4), where, job.jobId);
  }
  return kOk;
}

}  // namespace tributary::cli
