#include "cli/SyncCommand.h"

#include "scheduler/SyncMode.h"

#include <Poco/Util/Option.h>
#include <fmt/format.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "cli/UnclaimedJob.h"
#include "common/Process.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {

struct Target {
  std::string connectionId;
  std::string name;
  std::string jobId;
  bool existing = false;
  std::string connector;
};

std::string bar(int64_t current, int64_t total, int width) {
  if (total <= 0) return std::string(static_cast<size_t>(width), '.');
  const int filled = static_cast<int>(std::min<int64_t>(width, current * width / std::max<int64_t>(total, 1)));
  return std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '-');
}

std::string thousands(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return n < 0 ? "-" + s : s;
}

}  // namespace

SyncCommand::SyncCommand()
    : Command("sync",
              "WORKSPACE [--connection C] [--mode auto|initial|incremental|backfill] [--streams S,S] "
              "[--from T --to T] [--ids A,B] [--dry-run] [--follow] [--api URL [--token T]]",
              "Enqueues a sync of one connection (--connection) or of every enabled connection of WORKSPACE, as "
              "manual work (it runs before scheduled work). The mode defaults to what each stream needs: "
              "incremental once it has synced, initial before; --mode initial forces a full resync; --mode "
              "backfill re-reads a time window (--from/--to, ISO 8601) or --ids without moving the incremental "
              "cursor. --dry-run reports what would change and writes nothing. --follow shows each stream's "
              "progress until the syncs end, and exits 1 if one fails; it says so when no worker has claimed a "
              "job after a few seconds, and why that usually is. --api URL (with --token T or TRIBUTARY_TOKEN) "
              "does the same through a running serve's HTTP API, with no configuration or database access, "
              "following the sync over its server-sent events.") {}

void SyncCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(
      Option("connection", "", "only this connection (its name)").required(false).repeatable(false).argument("C"));
  options.addOption(Option("mode", "", "auto (default), initial, incremental or backfill")
                        .required(false)
                        .repeatable(false)
                        .argument("M"));
  options.addOption(
      Option("from", "", "backfill window start (ISO 8601)").required(false).repeatable(false).argument("T"));
  options.addOption(
      Option("to", "", "backfill window end, exclusive (ISO 8601)").required(false).repeatable(false).argument("T"));
  options.addOption(
      Option("streams", "", "only these streams (comma-separated)").required(false).repeatable(false).argument("S"));
  options.addOption(Option("ids", "", "backfill these source ids (comma-separated)")
                        .required(false)
                        .repeatable(false)
                        .argument("IDS"));
  options.addOption(Option("dry-run", "", "report what would change; write nothing").required(false).repeatable(false));
  options.addOption(
      Option("follow", "f", "show progress until done; exit 1 on failure").required(false).repeatable(false));
  options.addOption(Option("api", "", "queue and follow through this serve's HTTP API (http://HOST:PORT)")
                        .required(false)
                        .repeatable(false)
                        .argument("URL"));
  options.addOption(Option("token", "", "the API token for --api (default: $TRIBUTARY_TOKEN)")
                        .required(false)
                        .repeatable(false)
                        .argument("T"));
}

bool SyncCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "connection") connection_ = value;
  else if (name == "mode") {
    try {
      mode_ = sync::parseRequested(value);
    } catch (const std::invalid_argument&) {
      throw Poco::InvalidArgumentException("--mode must be auto, initial, incremental or backfill", value);
    }
  } else if (name == "from" || name == "to") {
    if (!time::parseIso8601(value))
      throw Poco::InvalidArgumentException("--" + name + " is not an ISO 8601 time", value);
    (name == "from" ? from_ : to_) = value;
  } else if (name == "streams") {
    streams_ = strings::split(value, ',');
  } else if (name == "ids") {
    ids_ = strings::split(value, ',');
  } else if (name == "dry-run") {
    dryRun_ = true;
  } else if (name == "follow") {
    follow_ = true;
  } else if (name == "api") {
    api_ = value;
  } else if (name == "token") {
    token_ = value;
  } else {
    return false;
  }
  return true;
}

int SyncCommand::execute(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tributary sync WORKSPACE [--connection C] [--mode auto|initial|incremental|backfill]"
                 " [--streams S,S] [--from T --to T] [--ids A,B] [--dry-run] [--follow] [--api URL [--token T]]\n";
    return kUsage;
  }
  const bool backfill = mode_ == sync::Mode::Backfill;
  if (backfill && !from_ && !to_ && ids_.empty()) {
    std::cerr << "tributary sync: --mode backfill needs --from/--to or --ids\n";
    return kUsage;
  }
  if (!backfill && (from_ || to_ || !ids_.empty())) {
    std::cerr << "tributary sync: --from, --to and --ids go with --mode backfill\n";
    return kUsage;
  }
  if (api_) return viaApi(args[0]);
  // Before any thread starts, so that --follow alone hears Ctrl-C (and says where the jobs are).
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  if (follow_) stopSignals = blockStopSignals();
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  auto pool = std::make_shared<db::Pool>(handle->conninfo(), cfg->database.pool);
  queue::JobQueue q(pool, cfg->queue);

  std::vector<Target> targets;
  {
    auto c = pool->acquire();
    auto ws = c->exec("SELECT id, enabled FROM workspaces WHERE slug = $1", args[0]);
    if (ws.empty()) {
      std::cerr << "tributary sync: no workspace \"" << args[0]
                << "\" in the database (workspaces come from the configuration when serve starts)\n";
      return kFailure;
    }
    auto r = c->exec(
        "SELECT id, name, enabled, connector FROM connections WHERE workspace_id = $1::uuid"
        " AND ($2::text IS NULL OR name = $2) ORDER BY name",
        ws.text(0, 0), connection_);
    for (int i = 0; i < r.rows(); ++i) {
      if (!r.boolean(i, 2)) {
        if (connection_) {
          std::cerr << "tributary sync: connection " << args[0] << "/" << *connection_ << " is disabled\n";
          return kFailure;
        }
        continue;
      }
      targets.push_back({r.text(i, 0), r.text(i, 1), "", false, r.text(i, 3)});
    }
    if (targets.empty()) {
      std::cerr << "tributary sync: "
                << (connection_ ? "no connection \"" + *connection_ + "\" in" : "no enabled connection in")
                << " workspace " << args[0] << "\n";
      return kFailure;
    }
    // An auto sync gets the timeout of what it will run: a stream whose initial sync never
    // completed makes it an initial sync's.
    std::unordered_map<std::string, sync::Mode> expected;
    if (!mode_) {
      std::vector<std::string> ids;
      for (const auto& t : targets) ids.push_back(t.connectionId);
      expected = scheduler::autoSyncModes(*c, ids);
    }
    std::vector<queue::EnqueueRequest> reqs;
    for (const auto& t : targets) {
      queue::EnqueueRequest e;
      e.kind = backfill ? "backfill" : "sync";
      if (auto m = expected.find(t.connectionId); m != expected.end()) {
        e.timeoutMs = q.defaultTimeoutMs("sync", Json{{"mode", sync::toString(m->second)}});
      }
      e.workspaceId = ws.text(0, 0);
      e.connectionId = t.connectionId;
      e.priority = queue::kPriorityManual;
      Json p = {{"mode", sync::toString(mode_)}, {"sync_type", backfill ? "backfill" : "manual"}};
      if (dryRun_) p["dry_run"] = true;
      if (!streams_.empty()) p["streams"] = streams_;
      if (from_ || to_) {
        p["window"] = Json::object();
        if (from_) p["window"]["from"] = *from_;
        if (to_) p["window"]["to"] = *to_;
      }
      if (!ids_.empty()) p["ids"] = ids_;
      e.payload = p;
      // One manual sync per connection at a time; a second request joins the first.
      if (!backfill && !dryRun_) e.uniqueKey = "sync:" + t.connectionId + ":manual";
      reqs.push_back(std::move(e));
    }
    auto results = q.enqueueMany(*c, reqs);
    for (size_t i = 0; i < targets.size(); ++i) {
      targets[i].jobId = results[i].jobId;
      targets[i].existing = results[i].existing;
      std::cout << (results[i].existing ? "already queued " : "queued ") << args[0] << "/" << targets[i].name
                << (mode_ ? " (" + std::string(sync::toString(*mode_)) + ")" : "") << (dryRun_ ? " [dry run]" : "")
                << ": job " << results[i].jobId << "\n";
    }
  }
  if (!follow_) return kOk;

  const bool tty = ::isatty(STDOUT_FILENO);
  const auto followedSince = std::chrono::steady_clock::now();
  std::set<std::string> hinted;  // jobs whose lack of a worker was explained
  int drawn = 0;
  std::map<std::string, std::pair<int64_t, std::chrono::steady_clock::time_point>> lastCounts;
  std::map<std::string, std::string> lastLine;
  while (true) {
    std::vector<std::string> lines;
    bool done = true;
    bool failed = false;
    std::vector<std::string> errors;
    auto c = pool->acquire();
    for (const auto& t : targets) {
      auto job = q.get(t.jobId);
      if (!job) continue;
      if (!terminal(job->status)) done = false;
      auto run = c->exec(
          "SELECT status, metadata FROM sync_runs WHERE job_id = $1::uuid ORDER BY started_at DESC LIMIT 1", t.jobId);
      Json meta = run.empty() ? Json::object() : Json::parse(run.view(0, 1));
      std::string state = std::string(queue::toString(job->status));
      if (job->status == queue::JobStatus::Pending && job->waitReason) {
        state += " (" + *job->waitReason + " until " + time::iso8601(job->runAt) + ")";
      }
      lines.push_back(fmt::format("{}/{}  {}  attempt {}/{}", args[0], t.name, state, job->attempts, job->maxAttempts));
      Json streams = meta.value("streams", Json::object());
      if (dryRun_ && job->result.is_object()) streams = job->result.value("streams", streams);
      for (auto& [name, s] : streams.items()) {
        const Json prog = s.value("progress", Json::object());
        const Json counts = s.value("counts", Json::object());
        const int64_t records = counts.value("records", int64_t{0});
        const int64_t current = std::max(prog.value("current", int64_t{0}), records);
        const int64_t total = prog.value("total", int64_t{0});
        const std::string key = t.jobId + "/" + name;
        auto now = std::chrono::steady_clock::now();
        double rate = 0;
        if (auto it = lastCounts.find(key); it != lastCounts.end()) {
          const double secs = std::chrono::duration<double>(now - it->second.second).count();
          if (secs > 0) rate = static_cast<double>(records - it->second.first) / secs;
        }
        lastCounts[key] = {records, now};
        std::string line = fmt::format(
            "  {:<14} {:<11} [{}] {:>11}/{:<11} {:>8}/s  {}", name, s.value("mode", ""), bar(current, total, 24),
            thousands(current), total > 0 ? thousands(total) : "?", thousands(static_cast<int64_t>(rate)),
            s.value("status", "") == "running" ? prog.value("message", "") : s.value("status", ""));
        if (dryRun_ && s.contains("counts")) {
          line += fmt::format("  would insert {}, update {}, delete {}", counts.value("inserted", 0),
                              counts.value("updated", 0), s.value("would_delete", 0));
          if (counts.value("links", 0) > 0) {
            line += fmt::format("; {} links ({} removals)", counts.value("links", 0), counts.value("links_deleted", 0));
          }
        }
        lines.push_back(line);
      }
      if (job->status == queue::JobStatus::Pending && job->attempts == 0 && !job->waitReason &&
          job->runAt <= std::chrono::system_clock::now() &&
          std::chrono::steady_clock::now() - followedSince >= kClaimHintAfter && hinted.insert(t.jobId).second) {
        std::cerr << "tributary sync: "
                  << unclaimedHint(*c, t.jobId, args[0] + "/" + t.name, t.connector,
                                   db::describeConninfo(handle->conninfo()), cfg->file)
                  << "\n";
        drawn = 0;  // the progress lines are redrawn below the hint
      }
      if (terminal(job->status) && job->status != queue::JobStatus::Completed) {
        failed = true;
        errors.push_back(args[0] + "/" + t.name + ": " + std::string(queue::toString(job->status)) + ": " +
                         job->lastError.value_or("(no message)"));
      }
    }
    if (tty) {
      for (int i = 0; i < drawn; ++i) std::cout << "\x1b[1A\x1b[2K";
      for (const auto& l : lines) std::cout << l << "\n";
      drawn = static_cast<int>(lines.size());
    } else {
      for (const auto& l : lines) {
        auto key = l.substr(0, l.find("  ", 2));
        if (lastLine[key] != l || done) {
          std::cout << l << "\n";
          lastLine[key] = l;
        }
      }
    }
    std::cout.flush();
    if (done) {
      for (const auto& e : errors) std::cerr << "tributary sync: " << e << "\n";
      return failed ? kFailure : kOk;
    }
    struct timespec pause {
      tty ? 0 : 1, tty ? 250'000'000 : 0
    };
    if (int sig = sigtimedwait(&stopSignals, nullptr, &pause); sig > 0) {
      std::vector<std::string> ids;
      for (const auto& t : targets) ids.push_back(t.jobId);
      std::cerr << "tributary sync: stopped following (" << process::signalName(sig)
                << "); the jobs stay queued or running without this command: see `tributary jobs show "
                << strings::join(ids, "`, `") << "`, or cancel one with `tributary jobs cancel ID`\n";
      return kFailure;
    }
  }
}

int SyncCommand::viaApi(const std::string& workspace) {
  std::string token = token_.value_or("");
  if (token.empty()) {
    if (const char* t = std::getenv("TRIBUTARY_TOKEN")) token = t;
  }
  if (token.empty()) {
    std::cerr << "tributary sync: --api needs a token: --token T or TRIBUTARY_TOKEN (`tributary tokens create`)\n";
    return kUsage;
  }
  Poco::URI base;
  try {
    base = Poco::URI(*api_);
  } catch (const Poco::Exception& e) {
    std::cerr << "tributary sync: --api is not a URL: " << e.displayText() << "\n";
    return kUsage;
  }
  if (base.getScheme() != "http" || base.getHost().empty()) {
    std::cerr << "tributary sync: --api must be http://HOST:PORT, got \"" << *api_ << "\"\n";
    return kUsage;
  }
  Json body = Json::object();
  if (mode_) body["mode"] = std::string(sync::toString(*mode_));
  if (from_) body["from"] = *from_;
  if (to_) body["to"] = *to_;
  if (!ids_.empty()) body["ids"] = ids_;
  if (!streams_.empty()) body["streams"] = streams_;
  if (dryRun_) body["dryRun"] = true;
  const std::string ws = "/api/workspaces/" + workspace;
  const std::string path = connection_ ? ws + "/connectors/" + *connection_ + "/sync" : ws + "/sync";
  Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
  session.setTimeout(Poco::Timespan(30, 0));
  std::string jobId;
  try {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token);
    req.setContentType("application/json");
    const std::string text = body.dump();
    req.setContentLength(static_cast<std::streamsize>(text.size()));
    session.sendRequest(req) << text;
    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    std::string answer((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Json j = Json::parse(answer, nullptr, false);
    if (res.getStatus() != 202) {
      const std::string message = j.is_object() && j.contains("error") ? j["error"].value("message", answer) : answer;
      std::cerr << "tributary sync: " << *api_ << path << " answered " << static_cast<int>(res.getStatus()) << ": "
                << message << "\n";
      return kFailure;
    }
    jobId = j.value("jobId", "");
    std::cout << j.value("message", "queued") << ": job " << jobId << "\n";
    for (const auto& s : j.value("skipped", Json::array())) {
      std::cout << "skipped " << workspace << "/" << s.value("connection", "") << " (" << s.value("reason", "")
                << (s.contains("jobId") ? ", job " + s.value("jobId", "") : "") << ")\n";
    }
  } catch (const Poco::Exception& e) {
    std::cerr << "tributary sync: cannot reach " << *api_ << ": " << e.displayText() << "\n";
    return kFailure;
  }
  if (!follow_) return kOk;
  std::cout.flush();
  // Follows the job's events; a dropped connection is resumed with Last-Event-ID, and a server
  // that is busy (503: its most streams, or its database away) is asked again when it says.
  std::string lastId;
  Json finalJob;  // the last `job` event whose status was final
  auto name = [&](const Json& d) {
    const Json c = d.value("connection", Json(nullptr));
    return workspace + "/" + (c.is_string() ? c.get<std::string>() : std::string("?"));
  };
  for (int attempt = 0; attempt < 30; ++attempt) {
    int pause = 1;
    try {
      Poco::Net::HTTPClientSession es(base.getHost(), base.getPort());
      // Longer than the server's keepalive (api.stream_heartbeat, 15 s by default).
      es.setTimeout(Poco::Timespan(60, 0));
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, ws + "/sync/jobs/" + jobId + "/events",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("Authorization", "Bearer " + token);
      req.set("Accept", "text/event-stream");
      if (!lastId.empty()) req.set("Last-Event-ID", lastId);
      es.sendRequest(req);
      Poco::Net::HTTPResponse res;
      std::istream& in = es.receiveResponse(res);
      if (res.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
        std::string answer((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        Json j = Json::parse(answer, nullptr, false);
        const std::string message = j.is_object() && j.contains("error") ? j["error"].value("message", answer) : answer;
        const int status = static_cast<int>(res.getStatus());
        if (status != 503) {
          std::cerr << "tributary sync: following job " << jobId << " answered " << status << ": " << message << "\n";
          return kFailure;
        }
        pause = std::clamp(std::atoi(res.get("Retry-After", "5").c_str()), 1, 60);
        std::cerr << "tributary sync: following job " << jobId << ": " << message << "; asking again in " << pause
                  << " s\n";
      } else {
        // The stream, line by line as it arrives (an event ends at its blank line).
        std::string line, event, data, id;
        while (std::getline(in, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.rfind("id: ", 0) == 0) {
            id = line.substr(4);
          } else if (line.rfind("event: ", 0) == 0) {
            event = line.substr(7);
          } else if (line.rfind("data: ", 0) == 0) {
            data = line.substr(6);
          } else if (line.empty() && !event.empty()) {
            if (!id.empty()) lastId = id;
            Json d = Json::parse(data, nullptr, false);
            if (!d.is_object()) d = Json::object();
            const Json payload = d.value("payload", Json::object());
            if (event == "sync.progress") {
              const Json p = payload.value("progress", Json::object());
              std::cout << name(d) << "  " << p.value("stream", "") << "  " << p.value("current", int64_t{0}) << "/"
                        << p.value("total", int64_t{0}) << "  " << p.value("message", "") << "\n";
            } else if (event == "sync.waiting") {
              std::cout << name(d) << "  waiting until " << payload.value("until", "?") << ": "
                        << payload.value("reason", "") << "\n";
            } else if (event == "sync.failed" || event == "sync.cancelled") {
              std::cout << name(d) << "  " << event.substr(5) << ": " << payload.value("error", "")
                        << (payload.value("will_retry", false) ? " (it will be retried)" : "") << "\n";
            } else if (event.rfind("sync.", 0) == 0) {
              std::cout << name(d) << "  " << event << "\n";
            } else if (event == "job") {
              const std::string status = d.value("status", "");
              if (status != "pending" && status != "running" && status != "waiting") finalJob = d;
            } else if (event == "end") {
              if (!finalJob.is_object()) {
                std::cout << "job " << jobId << ": " << d.value("reason", "ended") << "\n";
                return kFailure;
              }
              const Json result = finalJob.value("result", Json::object());
              const std::string status = finalJob.value("status", "");
              std::cout << "job " << jobId << ": " << status << ", "
                        << (result.is_object() ? result.value("totalRecords", int64_t{0}) : 0) << " records"
                        << (finalJob["error"].is_string() ? ": " + finalJob["error"].get<std::string>() : "") << "\n";
              std::cout.flush();
              return status == "completed" ? kOk : kFailure;
            }
            std::cout.flush();
            event.clear();
            data.clear();
            id.clear();
          }
        }
        std::cerr << "tributary sync: the event stream of job " << jobId << " closed before its end; resuming\n";
      }
    } catch (const Poco::Exception& e) {
      std::cerr << "tributary sync: the event stream broke (" << e.displayText() << "); resuming\n";
    }
    std::this_thread::sleep_for(std::chrono::seconds(pause));
  }
  std::cerr << "tributary sync: gave up following job " << jobId << "; it goes on without this command\n";
  return kFailure;
}

}  // namespace tributary::cli
