#include "app/ConnectionValidator.h"

#include <map>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "secrets/HostKeys.h"

namespace tributary::app {

std::vector<std::filesystem::path> pluginDirs(const config::Config& cfg) {
  return cfg.plugins.dirs.empty() ? plugins::PluginRegistry::defaultDirs() : cfg.plugins.dirs;
}

namespace {

plugins::PluginRegistry scanPlugins(const config::Config& cfg, plugins::PluginRegistry::Mode mode, bool quiet) {
  plugins::PluginRegistry::Options o;
  o.dirs = pluginDirs(cfg);
  o.mode = mode;
  o.probe.timeout = cfg.plugins.probeTimeout;
  if (quiet) return plugins::PluginRegistry::scan(o);
  o.log = [](plugins::LogLevel level, std::string_view message) {
    switch (level) {
      case plugins::LogLevel::Error: log::error("plugins", "{}", message); break;
      case plugins::LogLevel::Warn: log::warn("plugins", "{}", message); break;
      case plugins::LogLevel::Info: log::info("plugins", "{}", message); break;
      default: log::debug("plugins", "{}", message); break;
    }
  };
  return plugins::PluginRegistry::scan(o);
}

}  // namespace

plugins::PluginRegistry loadPlugins(const config::Config& cfg, bool quiet) {
  return scanPlugins(cfg, plugins::PluginRegistry::Mode::Load, quiet);
}

plugins::PluginRegistry probePlugins(const config::Config& cfg, bool quiet) {
  return scanPlugins(cfg, plugins::PluginRegistry::Mode::Probe, quiet);
}

plugins::PluginRegistry loadProbedPlugins(const config::Config& cfg, bool quiet) {
  return scanPlugins(cfg, plugins::PluginRegistry::Mode::ProbeThenLoad, quiet);
}

void validateRateLimits(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                        config::Diagnostics& diagnostics) {
  std::vector<std::string> declared;
  for (const auto& l : plugin.rateLimits()) declared.push_back(l.name);
  for (const auto& [name, o] : conn.rateLimit.classes) {
    if (plugin.findRateLimit(name)) continue;
    std::string msg = "rate-limit class \"" + name + "\" is not one that " + plugin.name() + " declares";
    if (declared.empty()) {
      msg += ": it declares none, so there is nothing to override (remove it)";
    } else {
      auto s = strings::closestMatch(name, declared);
      if (!s.empty()) msg += " (did you mean \"" + s + "\"?)";
      msg += "; declared: " + strings::join(declared, ", ");
    }
    diagnostics.add({o.location.file, o.location.line, o.location.column, o.path, msg});
  }
}

void validateConnections(const config::Config& cfg, const plugins::PluginRegistry& registry,
                         config::Diagnostics& diagnostics) {
  auto add = [&](const config::Location& at, const std::string& path, const std::string& message) {
    diagnostics.add({at.file, at.line, at.column, path, message});
  };
  std::vector<std::string> loaded;
  for (const auto& p : registry.plugins()) loaded.push_back(p->name());
  // A shared credential is one vendor grant: the connections naming it use one connector and one
  // OAuth app at one token endpoint.
  std::map<std::string, const config::ConnectionConfig*> sharers;
  for (const auto& c : cfg.connections) {
    if (c.auth.credential.empty()) continue;
    auto [it, first] = sharers.emplace(c.auth.credential, &c);
    const config::ConnectionConfig& o = *it->second;
    if (first) continue;
    std::string differs;
    if (o.connector != c.connector) differs = "connector";
    else if (o.auth.value("client_id") != c.auth.value("client_id")) differs = "auth.client_id";
    else if (o.auth.tokenUrl != c.auth.tokenUrl) differs = "auth.token_url";
    if (!differs.empty()) {
      add(c.auth.location, c.auth.path + ".credential",
          "credential \"" + c.auth.credential + "\" is shared with " + o.qualifiedName() + " (" +
              o.auth.location.format() + "), whose " + differs +
              " differs: connections share a credential only with the same connector, client_id and token_url");
    }
  }
  for (const auto& c : cfg.connections) {
    if (c.connector.empty()) continue;
    auto plugin = registry.find(c.connector);
    if (!plugin) {
      std::string msg = "connector \"" + c.connector + "\" is not loaded";
      const plugins::RefusedPlugin* refusedAs = nullptr;
      for (const auto& refused : registry.refused()) {
        if (refused.name == c.connector) refusedAs = &refused;
      }
      if (refusedAs) {
        msg += ": its plugin " + refusedAs->path.string() + " was refused (" + refusedAs->reason + ")";
      } else {
        auto s = strings::closestMatch(c.connector, loaded);
        if (!s.empty()) msg += " (did you mean \"" + s + "\"?)";
        msg += "; loaded: " + (loaded.empty() ? std::string("none") : strings::join(loaded, ", "));
      }
      add(c.connectorLocation, c.path + ".connector", msg);
      continue;
    }
    for (const auto& [key, value] : c.settings) {
      // A setting the plugin declares secret is redacted from everything this process logs or
      // stores from now on, before any message below can quote it.
      if (const auto* decl = plugin->findConfigKey(key); decl && decl->secret) redact::remember(value.value);
      if (auto problem = plugin->checkSetting(key, value.value)) {
        add(value.location, value.path, *problem);
        continue;
      }
      const auto* decl = plugin->findConfigKey(key);
      if (decl && decl->secret && value.source == config::ValueSource::Literal) {
        add(value.location, value.path,
            "setting '" + key + "' of " + plugin->name() +
                " is a secret: give it as ${ENV_VAR} or {secret_file: PATH}, never in the file");
      }
    }
    for (const auto& missing : plugin->missingRequired([&](std::string_view k) {
           return c.settings.count(std::string(k)) + c.unreadSettings.count(std::string(k)) > 0;
         })) {
      add(c.location, c.path + ".settings", "missing required setting '" + missing + "' of " + plugin->name());
    }
    validateRateLimits(c, *plugin, diagnostics);
    validateAuth(c, *plugin, diagnostics);
    if (c.auth.type == "oauth2" && !secrets::keyFileFor(cfg)) {
      // Its tokens are sealed in the database: with database.url, every host needs the one key file.
      diagnostics.add({c.auth.location.file, c.auth.location.line, c.auth.location.column, c.auth.path + ".type",
                       std::string("auth type oauth2 keeps its tokens sealed in the database: ") +
                           secrets::kKeyFileRequired + " (set secrets.key_file)"});
    }
  }
}

void validateAuth(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                  config::Diagnostics& diagnostics) {
  const auto& a = conn.auth;
  if (!a.given()) return;
  std::vector<std::string> accepted;
  for (const auto& d : plugin.auths()) accepted.emplace_back(plugins::toString(d.type));
  const auto type = plugins::parseAuthType(a.type);
  const plugins::AuthDescriptor* declared = type ? plugin.findAuth(*type) : nullptr;
  if (!declared) {
    std::string msg = "auth type " + a.type + " is not one that " + plugin.name() + " accepts";
    msg += accepted.empty() ? ": it declares none (it reads its credential from its settings; remove auth:)"
                            : " (accepted: " + strings::join(accepted, ", ") + ")";
    diagnostics.add({a.location.file, a.location.line, a.location.column, a.path + ".type", msg});
    return;
  }
  if (declared->type == plugins::AuthType::OAuth2 && !declared->pkce && !a.values.count("client_secret")) {
    diagnostics.add({a.location.file, a.location.line, a.location.column, a.path + ".client_secret",
                     "auth type oauth2 of " + plugin.name() +
                         " needs client_secret (the OAuth app's secret, as ${ENV_VAR} or {secret_file: PATH})"});
  }
}

}  // namespace tributary::app
