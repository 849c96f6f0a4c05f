#include "cli/JobsCommand.h"

#include <Poco/Util/Option.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include "common/Strings.h"
#include "common/Time.h"
#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "engine/RunReport.h"
#include "queue/JobQueue.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {

std::string synopsis(JobsCommand::Action a) {
  switch (a) {
    case JobsCommand::Action::List: return "[--status S[,S]] [--kind K] [--workspace SLUG] [--limit N] [--json]";
    case JobsCommand::Action::Show: return "JOB_ID [--json]";
    case JobsCommand::Action::Retry: return "JOB_ID";
    case JobsCommand::Action::Cancel: return "JOB_ID";
  }
  return "";
}

std::string wordOf(JobsCommand::Action a) {
  switch (a) {
    case JobsCommand::Action::List: return "jobs list";
    case JobsCommand::Action::Show: return "jobs show";
    case JobsCommand::Action::Retry: return "jobs retry";
    case JobsCommand::Action::Cancel: return "jobs cancel";
  }
  return "jobs";
}

std::string describe(JobsCommand::Action a) {
  switch (a) {
    case JobsCommand::Action::List:
      return "Lists jobs, newest first. Statuses: pending, running, completed, failed, cancelled, "
             "discarded (the dead letters).";
    case JobsCommand::Action::Show:
      return "Prints one job as JSON, with its whole error history; for a sync or backfill, then its run: the "
             "plugin's counters and facts, the follow-ups it queued, and its connection's streams with each one's "
             "carried state (truncated). --json prints the job alone as JSON, with the run under \"run\".";
    case JobsCommand::Action::Retry:
      return "Puts a discarded, failed or cancelled job back to pending with fresh attempts.";
    case JobsCommand::Action::Cancel: return "Cancels a job: a pending one at once, a running one at its next check.";
  }
  return "";
}

// The run of a sync or backfill job for people: the plugin's statistics, its follow-ups and its
// connection's streams, in aligned columns after the job's JSON.
std::string describeRun(const engine::RunReport& r) {
  std::string out = "\nrun " + r.runId.value_or("(none yet)") + (r.runStatus ? " " + *r.runStatus : "") + "\n";
  auto width = [](const Json& object) {
    size_t w = 0;
    for (const auto& [name, value] : object.items()) w = std::max(w, name.size());
    return w;
  };
  auto sorted = [](const Json& object) {
    std::vector<std::pair<std::string, Json>> items;
    for (const auto& [name, value] : object.items()) items.emplace_back(name, value);
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return items;
  };
  const Json counters = r.plugin.is_object() ? r.plugin.value("counters", Json::object()) : Json::object();
  const Json facts = r.plugin.is_object() ? r.plugin.value("facts", Json::object()) : Json::object();
  if (counters.empty() && facts.empty()) {
    out += "plugin statistics: none\n";
  } else {
    const size_t w = std::max(width(counters), width(facts));
    if (!counters.empty()) {
      out += "plugin counters:\n";
      for (const auto& [name, value] : sorted(counters)) out += fmt::format("  {:<{}}  {}\n", name, w, value.dump());
    }
    if (!facts.empty()) {
      out += "plugin facts:\n";
      for (const auto& [name, value] : sorted(facts)) {
        out += fmt::format("  {:<{}}  {}\n", name, w, strings::truncate(value.dump(), 120));
      }
    }
  }
  if (r.followUps.is_array() && !r.followUps.empty()) {
    out += "follow-ups:\n";
    for (const auto& f : r.followUps) {
      std::string what = f.value("kind", "") + " of " + f.value("stream", "");
      if (f.contains("window") && f["window"].is_object()) {
        const Json& w = f["window"];
        auto bound = [](const Json& v) { return v.is_number_integer() ? time::iso8601Ms(v.get<int64_t>()) : "-"; };
        what += " [" + bound(w.value("from", Json(nullptr))) + ", " + bound(w.value("to", Json(nullptr))) + ")";
      }
      const std::string job = f.contains("job_id") && f["job_id"].is_string()
                                  ? (f.value("deduplicated", false) ? "joined pending job " : "queued job ") +
                                        f["job_id"].get<std::string>()
                                  : std::string("not queued (dry run)");
      out += "  " + what + ": " + job + " (" + f.value("reason", "") + ")\n";
    }
  }
  if (!r.streams.empty()) {
    out += "streams of its connection:\n";
    size_t w = 0;
    for (const auto& s : r.streams) w = std::max(w, s.stream.size());
    for (const auto& s : r.streams) {
      std::string line = fmt::format("  {:<{}}  {:<9}", s.stream, w, s.status);
      if (s.resumable) line += "  resumes from its last checkpoint";
      if (s.carriedState) {
        line += "  carried state " + strings::truncate(*s.carriedState, 80);
        if (s.carriedStateAt) line += " (since " + *s.carriedStateAt + ")";
      } else {
        line += "  no carried state";
      }
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace

JobsCommand::JobsCommand(Action action)
    : Command(wordOf(action), synopsis(action), describe(action)), action_(action) {}

void JobsCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  if (action_ == Action::Show) {
    options.addOption(Option("json", "", "the job and its run as one JSON object").required(false).repeatable(false));
    return;
  }
  if (action_ != Action::List) return;
  options.addOption(
      Option("status", "", "only these statuses (comma-separated)").required(false).repeatable(false).argument("S"));
  options.addOption(Option("kind", "", "only this job kind").required(false).repeatable(false).argument("K"));
  options.addOption(
      Option("workspace", "", "only this workspace (its slug)").required(false).repeatable(false).argument("SLUG"));
  options.addOption(Option("limit", "", "at most N jobs (default 50)").required(false).repeatable(false).argument("N"));
  options.addOption(Option("json", "", "one JSON object per line").required(false).repeatable(false));
}

bool JobsCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (action_ == Action::Show) {
    if (name != "json") return false;
    json_ = true;
    return true;
  }
  if (name == "status") {
    for (auto& s : strings::split(value, ',')) {
      if (!queue::parseJobStatus(s)) {
        throw Poco::InvalidArgumentException("--status: unknown status \"" + s +
                                             "\" (pending, running, completed, failed, cancelled, discarded)");
      }
      statuses_.push_back(s);
    }
  } else if (name == "kind") {
    kind_ = value;
  } else if (name == "workspace") {
    workspace_ = value;
  } else if (name == "limit") {
    limit_ = std::max(1, std::atoi(value.c_str()));
  } else if (name == "json") {
    json_ = true;
  } else {
    return false;
  }
  return true;
}

int JobsCommand::execute(const std::vector<std::string>& args) {
  const bool needsId = action_ != Action::List;
  if (needsId != (args.size() == 1) || args.size() > 1) {
    std::cerr << "usage: tributary " << wordOf(action_) << " " << synopsis(action_) << "\n";
    return kUsage;
  }
  if (needsId && !strings::isUuid(args[0])) {
    std::cerr << "tributary " << wordOf(action_) << ": \"" << args[0] << "\" is not a job id (a UUID)\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  auto pool = std::make_shared<db::Pool>(handle->conninfo(), cfg->database.pool);
  queue::JobQueue q(pool, cfg->queue);

  switch (action_) {
    case Action::List: {
      queue::JobFilter f;
      f.kind = kind_;
      f.limit = limit_;
      for (auto& s : statuses_) f.statuses.push_back(*queue::parseJobStatus(s));
      if (workspace_) {
        auto c = pool->acquire();
        auto r = c->exec("SELECT id FROM workspaces WHERE slug = $1", *workspace_);
        if (r.empty()) {
          std::cerr << "tributary jobs list: no workspace \"" << *workspace_ << "\"\n";
          return kFailure;
        }
        f.workspaceId = r.text(0, 0);
      }
      auto jobs = q.list(f);
      if (json_) {
        for (auto& j : jobs) std::cout << j.toJson().dump() << "\n";
        return kOk;
      }
      std::cout << fmt::format("{:<36}  {:<12}  {:<9}  {:>8}  {:<24}  {}\n", "ID", "KIND", "STATUS", "ATTEMPTS",
                               "CREATED", "LAST ERROR");
      for (auto& j : jobs) {
        std::string err = j.lastError.value_or("");
        if (err.size() > 60) err = err.substr(0, 57) + "...";
        std::cout << fmt::format("{:<36}  {:<12}  {:<9}  {:>8}  {:<24}  {}\n", j.id, j.kind, queue::toString(j.status),
                                 fmt::format("{}/{}", j.attempts, j.maxAttempts), time::iso8601(j.createdAt), err);
      }
      return kOk;
    }
    case Action::Show: {
      auto j = q.get(args[0]);
      if (!j) {
        std::cerr << "tributary jobs show: no job " << args[0] << "\n";
        return kFailure;
      }
      std::optional<engine::RunReport> run;
      if ((j->kind == "sync" || j->kind == "backfill") && j->connectionId) {
        auto c = pool->acquire();
        run = engine::RunReport::forJob(*c, j->id, *j->connectionId);
      }
      if (json_) {
        Json out = j->toJson();
        out["run"] = run ? run->toJson() : Json(nullptr);
        std::cout << out.dump(2) << "\n";
        return kOk;
      }
      std::cout << j->toJson().dump(2) << "\n";
      if (run) std::cout << describeRun(*run);
      return kOk;
    }
    case Action::Retry: {
      auto j = q.get(args[0]);
      if (!j) {
        std::cerr << "tributary jobs retry: no job " << args[0] << "\n";
        return kFailure;
      }
      if (!q.retry(args[0])) {
        std::cerr << "tributary jobs retry: job " << args[0] << " is " << queue::toString(j->status)
                  << "; only discarded, failed or cancelled jobs can be retried\n";
        return kFailure;
      }
      std::cout << "job " << args[0] << " is pending again\n";
      return kOk;
    }
    case Action::Cancel: {
      switch (q.cancel(args[0])) {
        case queue::CancelOutcome::Cancelled: std::cout << "job " << args[0] << " cancelled\n"; return kOk;
        case queue::CancelOutcome::Requested:
          std::cout << "job " << args[0] << " is running; its worker was asked to stop\n";
          return kOk;
        case queue::CancelOutcome::AlreadyFinished:
          std::cerr << "tributary jobs cancel: job " << args[0] << " has already finished\n";
          return kFailure;
        case queue::CancelOutcome::NotFound:
          std::cerr << "tributary jobs cancel: no job " << args[0] << "\n";
          return kFailure;
      }
    }
  }
  return kOk;
}

}  // namespace tributary::cli
