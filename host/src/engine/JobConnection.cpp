#include "engine/JobConnection.h"

#include "auth/OAuth2Authenticator.h"
#include "auth/StaticAuthenticator.h"

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "engine/RateBudgets.h"

namespace tributary::engine {

JobConnection JobConnection::load(queue::JobContext& ctx, const config::Config& cfg,
                                  const plugins::PluginRegistry& registry) {
  const queue::Job& job = ctx.job();
  if (!job.connectionId) throw std::invalid_argument("a " + job.kind + " job needs a connection_id");
  JobConnection c;
  auto conn = ctx.pool().acquire();
  auto r = conn->exec(
      "SELECT c.id, c.workspace_id, w.slug, c.name, c.connector, c.enabled FROM connections c"
      " JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1::uuid",
      *job.connectionId);
  if (r.empty()) throw std::invalid_argument("connection " + *job.connectionId + " does not exist");
  c.id = r.text(0, 0);
  c.workspaceId = r.text(0, 1);
  c.workspaceSlug = r.text(0, 2);
  c.name = r.text(0, 3);
  c.connector = r.text(0, 4);
  if (!r.boolean(0, 5)) {
    throw std::invalid_argument("connection " + c.label() +
                                " is disabled (it is no longer in the configuration, or has enabled: false)");
  }
  // What this worker lacks, another host may have (a rolling deploy): the job is left for it.
  c.conf = cfg.findConnection(c.workspaceSlug, c.name);
  if (!c.conf) {
    throw NotHere("connection " + c.label() + " is not in " + cfg.file.string() +
                  ", the configuration this worker read (restart the worker after changing it)");
  }
  c.plugin = registry.find(c.connector);
  if (!c.plugin) {
    throw NotHere("connector " + c.connector + " of connection " + c.label() +
                  " is not loaded in this worker (tributary plugins list shows why)");
  }
  if (job.payload.is_object() && job.payload.contains("plugin_version") && job.payload["plugin_version"].is_string()) {
    const std::string needed = job.payload["plugin_version"].get<std::string>();
    if (strings::compareVersions(c.plugin->version(), needed) < 0) {
      throw NotHere("the job needs " + c.connector + " " + needed + " or later; this worker has " +
                    c.plugin->version());
    }
  }
  return c;
}

std::unique_ptr<plugins::ConnectorInstance> JobConnection::createInstance(queue::JobContext& ctx) const {
  plugins::InstanceOptions o;
  for (const auto& [key, value] : conf->settings) {
    const auto* decl = plugin->findConfigKey(key);
    if ((decl && decl->secret) || value.source == config::ValueSource::SecretFile) {
      // The worker that runs the plugin redacts its secrets from every line and error of the
      // job, whatever the plugin or its vendor echoes (a process that never validated the
      // configuration learns them here).
      redact::remember(value.value);
      o.secrets[key] = value.value;
    } else {
      o.settings[key] = value.value;
    }
  }
  if (conf->baseUrl && plugin->findConfigKey("base_url")) o.settings["base_url"] = *conf->baseUrl;
  o.label = label();
  o.log = [label = o.label](plugins::LogLevel level, std::string_view message) {
    switch (level) {
      case plugins::LogLevel::Error: log::error("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Warn: log::warn("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Info: log::info("plugin", "[{}] {}", label, message); break;
      default: log::debug("plugin", "[{}] {}", label, message); break;
    }
  };
  auto created = plugins::ConnectorInstance::create(plugin, o);
  if (!created.result.ok()) {
    throw std::runtime_error("cannot create an instance of " + connector + ": " + created.result.message);
  }
  ctx.setExecutor(Json{{"plugin", plugin->name()}, {"version", plugin->version()}});
  return std::move(created.instance);
}

http::VendorProfile JobConnection::vendorProfile() const {
  http::VendorProfile p;
  p.vendor = connector;
  p.label = label();
  std::vector<std::string> secretKeys;
  for (const auto& k : plugin->configSchema()) {
    if (k.secret) secretKeys.push_back(k.key);
  }
  p.account = rateLimitAccount(*conf, secretKeys);
  for (const auto& b : effectiveBudgets(conf->rateLimit, plugin->rateLimits())) {
    p.classes.push_back(http::LimitClass{b.name, b.effective(), b.per, b.points, b.quota, b.everyRequest});
  }
  for (const auto& r : plugin->httpRules()) {
    http::VendorRule v;
    v.action = r.action == plugins::HttpRuleAction::Quota         ? http::RuleAction::Quota
               : r.action == plugins::HttpRuleAction::RateLimit   ? http::RuleAction::RateLimit
               : r.action == plugins::HttpRuleAction::RefreshAuth ? http::RuleAction::RefreshAuth
                                                                  : http::RuleAction::Retry;
    v.status = r.status;
    v.errorCode = r.errorCode;
    v.limitClass = r.limitClass;
    v.wait = std::chrono::milliseconds(r.waitMs);
    v.description = r.description;
    p.rules.push_back(std::move(v));
  }
  return p;
}

std::unique_ptr<http::VendorClient> JobConnection::vendorClient(queue::JobContext& ctx, http::HttpService& service,
                                                                std::function<bool()> cancelled,
                                                                http::HttpCounters* runCounters) const {
  auto client = std::make_unique<http::VendorClient>(service, &service.gate(ctx.pool().conninfo()), vendorProfile(),
                                                     cancelled, runCounters);
  // The connection's credential, added by the host to each of its requests.
  if (auto settings = auth::resolveAuth(*conf, *plugin, config::ServerConfig{}, id)) {
    if (settings->type == plugins::AuthType::OAuth2) {
      client->setAuthenticator(
          std::make_unique<auth::OAuth2Authenticator>(std::move(*settings), ctx.pool(), service, std::move(cancelled)));
    } else {
      client->setAuthenticator(std::make_unique<auth::StaticAuthenticator>(std::move(*settings)));
    }
  }
  return client;
}

queue::Outcome outcomeOf(const plugins::CallResult& r, const std::string& where) {
  using plugins::ResultCode;
  queue::Outcome o;
  o.error = where + ": " + r.message;
  switch (r.code) {
    case ResultCode::Ok: return queue::Outcome{};
    case ResultCode::Retry: o.kind = queue::Outcome::Kind::Retry; break;
    case ResultCode::Fatal: o.kind = queue::Outcome::Kind::Fatal; break;
    case ResultCode::Cancelled: o.kind = queue::Outcome::Kind::Cancelled; break;
    case ResultCode::Wait:
      o.kind = queue::Outcome::Kind::Wait;
      o.until = time::fromEpochMs(r.retryAfterMs.value_or(time::toEpochMs(time::Clock::now()) + 1000));
      o.waitReason = r.waitReason.empty() ? "rate_limit" : r.waitReason;
      break;
  }
  return o;
}

}  // namespace tributary::engine
