#include "actions/ActionRun.h"

#include <chrono>
#include <stdexcept>

#include "actions/ActionServices.h"
#include "common/Log.h"
#include "common/Time.h"
#include "db/DbError.h"
#include "plugins/ActionBody.h"

namespace tributary::actions {
namespace {

using plugins::CallResult;
using plugins::ResultCode;

// This worker cannot run the job, another may: it is left to one that can (queue's Declined).
struct NotHere : std::runtime_error {
  using std::runtime_error::runtime_error;
};

queue::Outcome fail(queue::Outcome::Kind kind, const std::string& message) {
  queue::Outcome o;
  o.kind = kind;
  o.error = message;
  return o;
}

}  // namespace

ActionRun::ActionRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry)
    : ctx_(ctx), cfg_(cfg), registry_(registry), job_(ctx.job()) {}

void ActionRun::loadConnection() {
  if (!job_.connectionId) throw std::invalid_argument("an action job needs a connection_id");
  auto conn = ctx_.pool().acquire();
  auto r = conn->exec(
      "SELECT w.slug, c.name, c.connector, c.enabled FROM connections c"
      " JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1::uuid",
      *job_.connectionId);
  if (r.empty()) throw std::invalid_argument("connection " + *job_.connectionId + " does not exist");
  workspaceSlug_ = r.text(0, 0);
  name_ = r.text(0, 1);
  connector_ = r.text(0, 2);
  if (!r.boolean(0, 3)) {
    throw std::invalid_argument("connection " + label() +
                                " is disabled (it is no longer in the configuration, or has enabled: false)");
  }
  // What this worker lacks, another host may have (a rolling deploy): the job is left for it.
  conf_ = cfg_.findConnection(workspaceSlug_, name_);
  if (!conf_) {
    throw NotHere("connection " + label() + " is not in " + cfg_.file.string() +
                  ", the configuration this worker read (restart the worker after changing it)");
  }
  plugin_ = registry_.find(connector_);
  if (!plugin_) {
    throw NotHere("connector " + connector_ + " of connection " + label() +
                  " is not loaded in this worker (tributary plugins list shows why)");
  }
}

// As the sync engine makes its instances: settings, secrets (declared secret, or read from a
// secret file) apart, base_url when the connection overrides it.
void ActionRun::createInstance() {
  plugins::InstanceOptions o;
  for (const auto& [key, value] : conf_->settings) {
    const auto* decl = plugin_->findConfigKey(key);
    if ((decl && decl->secret) || value.source == config::ValueSource::SecretFile) o.secrets[key] = value.value;
    else o.settings[key] = value.value;
  }
  if (conf_->baseUrl && plugin_->findConfigKey("base_url")) o.settings["base_url"] = *conf_->baseUrl;
  o.label = label();
  o.log = [label = o.label](plugins::LogLevel level, std::string_view message) {
    switch (level) {
      case plugins::LogLevel::Error: log::error("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Warn: log::warn("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Info: log::info("plugin", "[{}] {}", label, message); break;
      default: log::debug("plugin", "[{}] {}", label, message); break;
    }
  };
  auto created = plugins::ConnectorInstance::create(plugin_, o);
  if (!created.result.ok()) {
    throw std::runtime_error("cannot create an instance of " + connector_ + ": " + created.result.message);
  }
  instance_ = std::move(created.instance);
  ctx_.setExecutor(Json{{"plugin", plugin_->name()}, {"version", plugin_->version()}});
}

queue::Outcome ActionRun::execute() {
  std::string action;
  Json body = Json::object();
  try {
    loadConnection();
    const Json& p = job_.payload;
    if (!p.is_object() || !p.contains("action") || !p["action"].is_string()) {
      throw std::invalid_argument("the payload of action job " + job_.id +
                                  " has no \"action\" (the action's name, a string): " + p.dump());
    }
    action = p["action"].get<std::string>();
    if (p.contains("body")) body = p["body"];
  } catch (const NotHere& e) {
    return fail(queue::Outcome::Kind::Declined, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const db::DbError& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  }

  // Checked again here whatever the queueing side checked: this worker's plugin is the one
  // that runs it, and the job may have come from elsewhere than the CLI.
  const auto checked = plugins::ActionBody::checkValue(*plugin_, action, body);
  if (!checked.ok()) return fail(queue::Outcome::Kind::Fatal, checked.message());
  const plugins::ActionDescriptor& declared = *checked.action();
  const std::string where = "action '" + action + "' of " + label();

  try {
    createInstance();
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Fatal, where + ": " + e.what());
  }

  ActionServices services(ctx_);
  log::info("actions", "{}: running (job {}, attempt {}/{})", where, job_.id, job_.attempts, job_.maxAttempts);
  const auto started = std::chrono::steady_clock::now();
  CallResult r = instance_->action(plugins::ActionRequest{action, checked.body().dump()}, services);
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  // A hook that returns OK after a stop request may not have finished what it was asked.
  if (r.ok() && ctx_.stopRequested()) r = CallResult{ResultCode::Cancelled, "stopped on request", std::nullopt};

  queue::Outcome o;
  o.result = Json{{"action", action},
                  {"result", services.result()},
                  {"duration_ms", ms},
                  {"http_calls", services.httpCalls()},
                  {"http_429s", services.http429s()}};
  if (!services.counters().empty()) o.result["counters"] = services.counters();
  if (!services.facts().empty()) o.result["facts"] = services.facts();
  const std::string message = where + ": " + r.message;
  switch (r.code) {
    case ResultCode::Ok: log::info("actions", "{}: completed in {} ms", where, ms); return o;
    case ResultCode::Retry:
      if (declared.idempotent) {
        o.kind = queue::Outcome::Kind::Retry;
        o.error = message;
      } else {
        // It may have taken effect at the source before it failed: running it again could do it
        // twice, so the operator decides.
        o.kind = queue::Outcome::Kind::Fatal;
        o.error = message + " (not retried: the action is not idempotent, so it may have taken effect; check " +
                  connector_ + "'s side, then `tributary jobs retry " + job_.id + "` to run it again)";
      }
      break;
    case ResultCode::Fatal:
      o.kind = queue::Outcome::Kind::Fatal;
      o.error = message;
      break;
    case ResultCode::Cancelled:
      o.kind = queue::Outcome::Kind::Cancelled;
      o.error = message;
      break;
    case ResultCode::Wait:
      o.kind = queue::Outcome::Kind::Wait;
      o.error = message;
      o.until = time::fromEpochMs(r.retryAfterMs.value_or(time::toEpochMs(time::Clock::now()) + 1000));
      o.waitReason = "rate_limit";
      break;
  }
  log::warn("actions", "{}: {} after {} ms: {}", where, plugins::toString(r.code), ms, r.message);
  return o;
}

}  // namespace tributary::actions
