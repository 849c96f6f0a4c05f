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

queue::Outcome fail(queue::Outcome::Kind kind, const std::string& message) {
  queue::Outcome o;
  o.kind = kind;
  o.error = message;
  return o;
}

}  // namespace

ActionRun::ActionRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry,
                     http::HttpService& http)
    : ctx_(ctx), cfg_(cfg), registry_(registry), http_(http), job_(ctx.job()) {}

queue::Outcome ActionRun::execute() {
  std::string action;
  Json body = Json::object();
  try {
    connection_ = engine::JobConnection::load(ctx_, cfg_, registry_);
    const Json& p = job_.payload;
    if (!p.is_object() || !p.contains("action") || !p["action"].is_string()) {
      throw std::invalid_argument("the payload of action job " + job_.id +
                                  " has no \"action\" (the action's name, a string): " + p.dump());
    }
    action = p["action"].get<std::string>();
    if (p.contains("body")) body = p["body"];
  } catch (const engine::NotHere& e) {
    return fail(queue::Outcome::Kind::Declined, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const db::DbError& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  }

  // Checked again here whatever the queueing side checked: this worker's plugin is the one
  // that runs it, and the job may have come from elsewhere than the CLI.
  const auto checked = plugins::ActionBody::checkValue(*connection_.plugin, action, body);
  if (!checked.ok()) return fail(queue::Outcome::Kind::Fatal, checked.message());
  const plugins::ActionDescriptor& declared = *checked.action();
  const std::string where = "action '" + action + "' of " + label();

  try {
    instance_ = connection_.createInstance(ctx_);
    vendor_ = connection_.vendorClient(
        ctx_, http_, [this] { return ctx_.stopRequested(); }, nullptr);
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Fatal, where + ": " + e.what());
  }

  ActionServices services(ctx_, vendor_.get());
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
                  {"http_calls", vendor_->counters().calls},
                  {"http_429s", vendor_->counters().http429s}};
  if (vendor_->counters().retries || vendor_->counters().waits) o.result["http"] = vendor_->counters().toJson();
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
                  connection_.connector + "'s side, then `tributary jobs retry " + job_.id + "` to run it again)";
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
      o.waitReason = r.waitReason.empty() ? "rate_limit" : r.waitReason;
      break;
  }
  log::warn("actions", "{}: {} after {} ms: {}", where, plugins::toString(r.code), ms, r.message);
  return o;
}

}  // namespace tributary::actions
