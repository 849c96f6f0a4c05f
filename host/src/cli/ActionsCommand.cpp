#include "cli/ActionsCommand.h"

#include <Poco/Util/Option.h>
#include <unistd.h>

#include <iostream>

#include "actions/ActionJobs.h"
#include "app/ConnectionValidator.h"
#include "cli/UnclaimedJob.h"
#include "common/Process.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "plugins/ActionBody.h"
#include "queue/JobQueue.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {

constexpr const char* kRunSynopsis = "WORKSPACE CONNECTION ACTION [--body JSON] [--wait]";
constexpr const char* kListSynopsis = "[WORKSPACE CONNECTION] [--json]";

std::string wordOf(ActionsCommand::Verb v) { return v == ActionsCommand::Verb::Run ? "actions run" : "actions list"; }

std::string describe(ActionsCommand::Verb v) {
  if (v == ActionsCommand::Verb::Run) {
    return "Queues ACTION of the connection's connector (a write-back: see `tributary actions list`) as an "
           "`action` job, manual work, with the JSON object --body (default {}). The body is checked against the "
           "action's declared fields first (unknown field, missing required one, wrong type), every problem "
           "named, and nothing is queued when there is one; the worker checks it again and fills in the "
           "defaults. An idempotent action is retried under the queue's policy, any other is tried once. Prints "
           "the job's id; with --wait, follows the job and prints its result as JSON (exit 0), or its error "
           "(exit 1). The connector's actions come from its plugin probed in a child process; no plugin code "
           "runs here.";
  }
  return "Lists the actions of every loaded connector, or of the connector of WORKSPACE's connection CONNECTION "
         "(from the configuration), with each action's body fields: type, required or default, description. "
         "The plugins are probed in child processes; no plugin code runs here, and no database is needed.";
}

std::string fieldLine(const plugins::ConfigKeyDescriptor& k) {
  std::string line = "      " + k.key + ": " + std::string(plugins::toString(k.type));
  if (k.required) line += ", required";
  if (k.defaultValue) {
    // As JSON, the way a body gives it: "" is visible, and "1" is a string where 1 is a number.
    try {
      line += ", default " + plugins::ActionBody::typedDefault(k).dump();
    } catch (const std::invalid_argument&) {
      line += ", default " + *k.defaultValue;
    }
  }
  if (!k.description.empty()) line += ". " + k.description;
  return line;
}

void printActions(std::ostream& out, const plugins::ConnectorPlugin& p, const std::string& connection) {
  out << p.name() << " " << p.version() << (connection.empty() ? "" : ", connection " + connection) << ":"
      << (p.actions().empty() ? " no actions" : "") << "\n";
  for (const auto& a : p.actions()) {
    out << "  " << a.name << (a.idempotent ? " (idempotent)" : " (not idempotent: tried once)")
        << (a.description.empty() ? "" : ": " + a.description) << "\n";
    if (a.body.empty()) out << "      no body fields\n";
    for (const auto& k : a.body) out << fieldLine(k) << "\n";
  }
}

// Why the CLI's plugins do not include `connector`: its file was refused, or none has that name.
std::string notLoaded(const plugins::PluginRegistry& registry, const std::string& connector) {
  for (const auto& r : registry.refused()) {
    if (r.name && *r.name == connector) return "its plugin " + r.path.string() + " was refused (" + r.reason + ")";
  }
  std::vector<std::string> dirs;
  for (const auto& d : registry.dirs()) dirs.push_back(d.string());
  return "no plugin in plugins.dirs (" + strings::join(dirs, ", ") + ") has that name";
}

}  // namespace

ActionsCommand::ActionsCommand(Verb verb)
    : Command(wordOf(verb), verb == Verb::Run ? kRunSynopsis : kListSynopsis, describe(verb)), verb_(verb) {}

void ActionsCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  if (verb_ == Verb::Run) {
    options.addOption(Option("body", "", "the action's body, a JSON object (default {})")
                          .required(false)
                          .repeatable(false)
                          .argument("JSON"));
    options.addOption(
        Option("wait", "", "follow the job; print its result, exit 1 if it fails").required(false).repeatable(false));
  } else {
    options.addOption(Option("json", "", "print the listing as JSON").required(false).repeatable(false));
  }
}

bool ActionsCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "body") body_ = value;
  else if (name == "wait") wait_ = true;
  else if (name == "json") json_ = true;
  else return false;
  return true;
}

int ActionsCommand::execute(const std::vector<std::string>& args) {
  return verb_ == Verb::Run ? runAction(args) : listActions(args);
}

int ActionsCommand::listActions(const std::vector<std::string>& args) {
  if (args.size() != 0 && args.size() != 2) {
    std::cerr << "usage: tributary actions list " << kListSynopsis << "\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  const config::ConnectionConfig* connection = nullptr;
  if (args.size() == 2) {
    connection = cfg->findConnection(args[0], args[1]);
    if (!connection) {
      std::vector<std::string> names;
      for (const auto& c : cfg->connections) {
        if (c.workspace == args[0]) names.push_back(c.name);
      }
      std::cerr << "tributary actions list: no connection \"" << args[1] << "\" in workspace " << args[0] << " in "
                << cfg->file.string()
                << (names.empty() ? " (it has no connections)"
                                  : " (its connections: " + strings::join(names, ", ") + ")")
                << "\n";
      return kFailure;
    }
  }
  auto registry = app::probePlugins(*cfg, /*quiet=*/true);
  std::vector<std::shared_ptr<const plugins::ConnectorPlugin>> shown;
  if (connection) {
    auto p = registry.find(connection->connector);
    if (!p) {
      std::cerr << "tributary actions list: connector " << connection->connector << " of "
                << connection->qualifiedName() << " is not loaded: " << notLoaded(registry, connection->connector)
                << "\n";
      return kFailure;
    }
    shown.push_back(p);
  } else {
    shown = registry.plugins();
  }
  if (json_) {
    Json out = Json::array();
    for (const auto& p : shown) {
      Json entry = {{"connector", p->name()}, {"version", p->version()}};
      if (connection) entry["connection"] = connection->qualifiedName();
      entry["actions"] = p->toJson()["actions"];
      out.push_back(std::move(entry));
    }
    std::cout << out.dump(2) << "\n";
    return kOk;
  }
  if (shown.empty()) std::cout << "no plugins loaded (see `tributary plugins list`)\n";
  for (const auto& p : shown) printActions(std::cout, *p, connection ? connection->qualifiedName() : "");
  return kOk;
}

int ActionsCommand::runAction(const std::vector<std::string>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: tributary actions run " << kRunSynopsis << "\n";
    return kUsage;
  }
  const std::string& workspace = args[0];
  const std::string& name = args[1];
  const std::string& action = args[2];
  const std::string label = workspace + "/" + name;
  const std::string bodyText = body_.value_or("{}");
  // Before any thread starts, so that --wait alone hears Ctrl-C (and says where the job is).
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  if (wait_) stopSignals = blockStopSignals();
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  auto pool = std::make_shared<db::Pool>(handle->conninfo(), cfg->database.pool);
  queue::JobQueue q(pool, cfg->queue);

  std::string workspaceId, connectionId, connector;
  {
    auto c = pool->acquire();
    auto ws = c->exec("SELECT id FROM workspaces WHERE slug = $1", workspace);
    if (ws.empty()) {
      std::cerr << "tributary actions run: no workspace \"" << workspace
                << "\" in the database (workspaces come from the configuration when serve starts)\n";
      return kFailure;
    }
    workspaceId = ws.text(0, 0);
    auto r = c->exec("SELECT id, connector, enabled FROM connections WHERE workspace_id = $1::uuid AND name = $2",
                     workspaceId, name);
    if (r.empty()) {
      auto all = c->exec("SELECT name FROM connections WHERE workspace_id = $1::uuid ORDER BY name", workspaceId);
      std::vector<std::string> names;
      for (int i = 0; i < all.rows(); ++i) names.push_back(all.text(i, 0));
      std::cerr << "tributary actions run: no connection \"" << name << "\" in workspace " << workspace
                << (names.empty() ? " (it has none)" : " (its connections: " + strings::join(names, ", ") + ")")
                << "\n";
      return kFailure;
    }
    if (!r.boolean(0, 2)) {
      std::cerr << "tributary actions run: connection " << label << " is disabled\n";
      return kFailure;
    }
    connectionId = r.text(0, 0);
    connector = r.text(0, 1);
  }

  // The action's fields decide what is queued, and its flags the retry policy: without them
  // nothing is queued (an unchecked write-back, retried or not by guess, is worse than an error).
  auto registry = app::probePlugins(*cfg, /*quiet=*/true);
  auto plugin = registry.find(connector);
  if (!plugin) {
    std::cerr << "tributary actions run: connector " << connector << " of " << label
              << " is not loaded here: " << notLoaded(registry, connector)
              << ". Its actions cannot be checked, so nothing was queued (`tributary plugins list"
              << (cfg->file.empty() ? "" : " --config " + cfg->file.string()) << "` shows the plugins)\n";
    return kFailure;
  }
  const auto checked = plugins::ActionBody::check(*plugin, action, bodyText);
  if (!checked.ok()) {
    for (const auto& p : checked.problems()) std::cerr << "tributary actions run: " << p << "\n";
    std::cerr << "tributary actions run: nothing was queued (`tributary actions list " << workspace << " " << name
              << "` shows the actions and their body fields)\n";
    return kUsage;
  }
  // Queued as given: the worker that runs it fills in its own plugin's defaults.
  const auto queued =
      q.enqueue(actions::actionJob(*checked.action(), workspaceId, connectionId, Json::parse(bodyText)));
  const std::string jobId = queued.jobId;
  std::cout << "queued action " << action << " of " << label << ": job " << jobId << "\n";
  std::cout.flush();
  if (!wait_) return kOk;

  const auto followedSince = std::chrono::steady_clock::now();
  bool hinted = false;
  std::string lastLine;
  while (true) {
    auto job = q.get(jobId);
    if (!job) {
      std::cerr << "tributary actions run: job " << jobId << " is gone (deleted while it was followed)\n";
      return kFailure;
    }
    std::string state(queue::toString(job->status));
    if (job->status == queue::JobStatus::Pending && job->waitReason) {
      state += " (" + *job->waitReason + " until " + time::iso8601(job->runAt) + ")";
    }
    std::string line = "tributary actions run: " + label + " " + action + ": " + state + ", attempt " +
                       std::to_string(job->attempts) + "/" + std::to_string(job->maxAttempts);
    if (job->status == queue::JobStatus::Pending && job->lastError) line += ": " + *job->lastError;
    if (line != lastLine && !terminal(job->status)) {
      std::cerr << line << "\n";
      lastLine = line;
    }
    if (job->status == queue::JobStatus::Pending && job->attempts == 0 && !job->waitReason && !hinted &&
        job->runAt <= std::chrono::system_clock::now() &&
        std::chrono::steady_clock::now() - followedSince >= kClaimHintAfter) {
      hinted = true;
      auto c = pool->acquire();
      std::cerr << "tributary actions run: "
                << unclaimedHint(*c, jobId, label, connector, db::describeConninfo(handle->conninfo()), cfg->file)
                << "\n";
    }
    if (terminal(job->status)) {
      if (job->status == queue::JobStatus::Completed) {
        std::cout << job->result.dump(2) << "\n";
        return kOk;
      }
      std::cerr << "tributary actions run: " << label << " " << action << ": " << queue::toString(job->status)
                << " after " << job->attempts << " attempt(s): " << job->lastError.value_or("(no message)") << "\n";
      return kFailure;
    }
    struct timespec pause {
      0, 200'000'000
    };
    if (int sig = sigtimedwait(&stopSignals, nullptr, &pause); sig > 0) {
      std::cerr << "tributary actions run: stopped following (" << process::signalName(sig)
                << "); the job stays queued or running without this command: see `tributary jobs show " << jobId
                << "`, or cancel it with `tributary jobs cancel " << jobId << "`\n";
      return kFailure;
    }
  }
}

}  // namespace tributary::cli
