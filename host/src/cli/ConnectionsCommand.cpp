#include "cli/ConnectionsCommand.h"

#include <Poco/Util/Option.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli/UnclaimedJob.h"
#include "common/Process.h"
#include "common/Strings.h"
#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "engine/ConnectionStreamsStore.h"
#include "queue/JobQueue.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {

std::string wordOf(ConnectionsCommand::Action a) {
  return a == ConnectionsCommand::Action::Discover ? "connections discover" : "connections streams";
}

std::string synopsis(ConnectionsCommand::Action a) {
  return a == ConnectionsCommand::Action::Discover ? "WORKSPACE CONNECTION [--wait]" : "WORKSPACE CONNECTION [--json]";
}

std::string describe(ConnectionsCommand::Action a) {
  if (a == ConnectionsCommand::Action::Discover) {
    return "Queues a discovery of the connection's streams, as manual work: a worker runs its connector's discover "
           "hook (which may read the source, as a sync does) and stores the streams it declares, where `tributary "
           "connections streams` and the API read them. A connector without a discover hook stores its declared "
           "streams. Syncs discover again before they run. --wait waits for the job and prints the streams (exit 1 "
           "if it failed; the streams stored before a failed discovery stay).";
  }
  return "Prints the connection's streams as the last discovery stored them (name, entity, primary key, cursor "
         "field, flags), and the last discovery's failure if one came after. Reads the database only: no plugin "
         "is loaded.";
}

void printStreams(std::ostream& out, const std::string& label, const std::string& connector,
                  const std::optional<engine::StoredStreams>& stored, const std::string& workspace,
                  const std::string& connection) {
  if (!stored) {
    out << label << " (" << connector << "): no stream list stored yet. `tributary connections discover " << workspace
        << " " << connection
        << "` stores one (a connector without a discover hook stores the streams it declares, which `tributary "
           "plugins list` also shows)\n";
    return;
  }
  if (stored->streams) {
    const auto& streams = *stored->streams;
    out << label << " (" << stored->plugin << " " << stored->pluginVersion << "): " << streams.size() << " stream"
        << (streams.size() == 1 ? "" : "s") << " "
        << (stored->discovered ? "discovered" : "declared by the connector (it has no discover hook), stored") << " at "
        << stored->discoveredAt << " by job " << stored->jobId << "\n";
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "ENTITY", "PRIMARY KEY", "CURSOR FIELD", "FLAGS", "DESCRIPTION"}};
    for (const auto& s : streams) {
      std::vector<std::string> flags;
      for (const auto& f : plugins::streamFlagsJson(s.flags)) flags.push_back(f.get<std::string>());
      rows.push_back({s.name, s.entity.empty() ? "-" : s.entity, s.primaryKey.empty() ? "-" : s.primaryKey,
                      s.cursorField.empty() ? "-" : s.cursorField, flags.empty() ? "-" : strings::join(flags, ","),
                      s.description});
    }
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
    }
    for (const auto& r : rows) {
      std::string line = " ";
      for (size_t i = 0; i < r.size(); ++i) {
        line += " " + r[i];
        if (i + 1 < r.size()) line += std::string(widths[i] - r[i].size() + 1, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << "\n";
    }
  } else {
    out << label << " (" << connector << "): no discovery has succeeded yet\n";
  }
  if (stored->lastError) {
    out << "the last discovery failed (job " << stored->lastErrorJobId.value_or("?") << " at "
        << stored->lastErrorAt.value_or("?") << "): " << *stored->lastError << "\n";
    if (stored->streams) out << "the streams above are from the discovery before it\n";
  }
}

}  // namespace

ConnectionsCommand::ConnectionsCommand(Action action)
    : Command(wordOf(action), synopsis(action), describe(action)), action_(action) {}

void ConnectionsCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  if (action_ == Action::Discover) {
    options.addOption(Option("wait", "", "wait for the discovery and print the streams; exit 1 if it failed")
                          .required(false)
                          .repeatable(false));
  } else {
    options.addOption(Option("json", "", "print what is stored as JSON").required(false).repeatable(false));
  }
}

bool ConnectionsCommand::handleCommandOption(const std::string& name, const std::string&) {
  if (name == "wait") wait_ = true;
  else if (name == "json") json_ = true;
  else return false;
  return true;
}

int ConnectionsCommand::execute(const std::vector<std::string>& args) {
  const std::string word = "tributary " + wordOf(action_);
  if (args.size() != 2) {
    std::cerr << "usage: " << word << " " << synopsis(action_) << "\n";
    return kUsage;
  }
  const std::string& workspace = args[0];
  const std::string& connection = args[1];
  const std::string label = workspace + "/" + connection;
  // Before any thread starts, so that --wait alone hears Ctrl-C (and says where the job is).
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  if (wait_) stopSignals = blockStopSignals();
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  auto pool = std::make_shared<db::Pool>(handle->conninfo(), cfg->database.pool);
  auto c = pool->acquire();
  auto ws = c->exec("SELECT id FROM workspaces WHERE slug = $1", workspace);
  if (ws.empty()) {
    std::cerr << word << ": no workspace \"" << workspace
              << "\" in the database (workspaces come from the configuration when serve starts)\n";
    return kFailure;
  }
  auto conn = c->exec("SELECT id, connector, enabled FROM connections WHERE workspace_id = $1::uuid AND name = $2",
                      ws.text(0, 0), connection);
  if (conn.empty()) {
    auto names = c->exec("SELECT string_agg(name, ', ' ORDER BY name) FROM connections WHERE workspace_id = $1::uuid",
                         ws.text(0, 0));
    std::cerr << word << ": no connection \"" << connection << "\" in workspace " << workspace
              << " (connections: " << names.optText(0, 0).value_or("none") << ")\n";
    return kFailure;
  }
  const std::string connectionId = conn.text(0, 0);
  const std::string connector = conn.text(0, 1);
  const engine::ConnectionStreamsStore store(connectionId);

  if (action_ == Action::Streams) {
    auto stored = store.load(*c);
    if (json_) {
      Json j = stored ? stored->toJson() : engine::StoredStreams{}.toJson();
      if (!stored) j["discovered"] = nullptr;
      Json out = {{"connection", label}, {"connector", connector}, {"stored", stored.has_value()}};
      for (auto& [k, v] : j.items()) out[k] = v;
      std::cout << out.dump(2) << "\n";
      return kOk;
    }
    printStreams(std::cout, label, connector, stored, workspace, connection);
    return kOk;
  }

  if (!conn.boolean(0, 2)) {
    std::cerr << word << ": connection " << label
              << " is disabled (it is no longer in the configuration, or has enabled: false)\n";
    return kFailure;
  }
  queue::JobQueue q(pool, cfg->queue);
  queue::EnqueueRequest r;
  r.kind = "discover";
  r.workspaceId = ws.text(0, 0);
  r.connectionId = connectionId;
  r.priority = queue::kPriorityManual;
  // One discovery per connection at a time; a second request joins the first.
  r.uniqueKey = "discover:" + connectionId;
  auto job = q.enqueue(*c, r);
  std::cout << (job.existing ? "already queued" : "queued") << " a discovery of " << label << ": job " << job.jobId
            << "\n";
  if (!wait_) return kOk;
  c = db::PooledConnection();  // back to the pool while waiting

  bool hinted = false;
  const auto since = std::chrono::steady_clock::now();
  while (true) {
    auto j = q.get(job.jobId);
    if (!j) {
      std::cerr << word << ": job " << job.jobId << " is gone (pruned?)\n";
      return kFailure;
    }
    if (terminal(j->status)) {
      if (j->status != queue::JobStatus::Completed) {
        std::cerr << word << ": " << label << ": " << queue::toString(j->status) << ": "
                  << j->lastError.value_or("(no message)") << "\n";
        return kFailure;
      }
      auto rc = pool->acquire();
      printStreams(std::cout, label, connector, store.load(*rc), workspace, connection);
      return kOk;
    }
    if (!hinted && j->status == queue::JobStatus::Pending &&
        std::chrono::steady_clock::now() - since > std::chrono::seconds(5)) {
      hinted = true;
      std::cerr << word << ": no worker has claimed job " << job.jobId << " after 5 s; jobs run in the workers of a "
                << "`tributary serve` that has " << label << " in its configuration and " << connector
                << " loaded. Still waiting; Ctrl-C stops waiting and leaves the job queued\n";
    }
    struct timespec pause {
      0, 200'000'000
    };
    if (int sig = sigtimedwait(&stopSignals, nullptr, &pause); sig > 0) {
      std::cerr << word << ": stopped waiting (" << process::signalName(sig)
                << "); the job stays queued or running without this command: see `tributary jobs show " << job.jobId
                << "`\n";
      return kFailure;
    }
  }
}

}  // namespace tributary::cli
