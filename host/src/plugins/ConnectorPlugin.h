#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tributary/connector_abi.h"

namespace tributary::plugins {

struct StreamDescriptor {
  std::string name;
  std::string primaryKey;
  std::string cursorField;
  std::string entity;  // canonical entity, or "" for the generic records table
  std::string description;
  uint32_t flags = 0;  // TRIBUTARY_STREAM_* (1.1)

  // Initial and incremental reads come in ascending modification time.
  bool modificationOrder() const { return (flags & TRIBUTARY_STREAM_MODIFICATION_ORDER) != 0; }
  // Only ever read whole: every run is a full refresh, no backfill.
  bool fullRefreshOnly() const { return (flags & TRIBUTARY_STREAM_FULL_REFRESH) != 0; }
};

// The stream's flags as names, for listings: ["modification_order", "full_refresh"].
nlohmann::json streamFlagsJson(uint32_t flags);
// The inverse; throws std::invalid_argument naming an unknown flag.
uint32_t parseStreamFlags(const nlohmann::json& names);

enum class ConfigType { String, Integer, Number, Boolean };
std::string_view toString(ConfigType type);
// "integer" -> ConfigType::Integer; nullopt for a name toString() never gives.
std::optional<ConfigType> parseConfigType(std::string_view name);

struct ConfigKeyDescriptor {
  std::string key;
  ConfigType type = ConfigType::String;
  bool required = false;
  bool secret = false;
  std::optional<std::string> defaultValue;
  std::string description;
};

// 1.1: a kind of link between records of two canonical entities; `column`, when not empty,
// is the text column of fromEntity's table it owns (see tributary_link_type_v1).
struct LinkTypeDescriptor {
  std::string name;
  std::string fromEntity;
  std::string toEntity;
  std::string column;
  std::string description;
};

// 1.1: an action (write-back) and the typed fields of its JSON body.
struct ActionDescriptor {
  std::string name;
  std::string description;
  bool idempotent = false;  // TRIBUTARY_ACTION_IDEMPOTENT: the host may retry it
  std::vector<ConfigKeyDescriptor> body;
};

// 1.1 http: a vendor rate limit the host's HTTP client enforces (see tributary_rate_limit_v1).
struct RateLimitDescriptor {
  std::string name;
  uint64_t requests = 0;  // points, for a points class
  int64_t perMs = 0;
  bool points = false;        // TRIBUTARY_RATE_LIMIT_POINTS
  bool quota = false;         // TRIBUTARY_RATE_LIMIT_QUOTA: used in bursts, parks the job when spent
  bool everyRequest = false;  // TRIBUTARY_RATE_LIMIT_EVERY_REQUEST
  std::string description;
};

// 1.1 http: what the host does with a response a rule matches.
enum class HttpRuleAction { Retry, RateLimit, Quota, RefreshAuth };
std::string_view toString(HttpRuleAction action);  // "retry", "rate_limit", "quota", "refresh_auth"

// 1.1 http: a vendor signal (see tributary_http_rule_v1).
struct HttpRuleDescriptor {
  HttpRuleAction action = HttpRuleAction::Retry;
  int status = 0;
  std::string errorCode;   // "" = any body
  std::string limitClass;  // "" = the request's
  int64_t waitMs = 0;      // 0 = the host's
  std::string description;
};

// 1.1 auth: a kind of credential the connector accepts (see tributary_auth_v1).
enum class AuthType { Bearer, Basic, ApiKey, OAuth2 };
std::string_view toString(AuthType type);  // "bearer", "basic", "api_key", "oauth2": a connection's auth.type
std::optional<AuthType> parseAuthType(std::string_view name);

struct AuthDescriptor {
  AuthType type = AuthType::Bearer;
  bool inQuery = false;      // api_key: a query parameter
  bool pkce = false;         // oauth2: PKCE S256
  bool clientBasic = false;  // oauth2: the client's credentials as HTTP Basic at the token endpoint
  std::string paramName;     // the header (default Authorization) or query parameter
  std::string valuePrefix;   // what precedes the token ("Bearer " for bearer and oauth2 by default)
  std::string authorizeUrl, tokenUrl, scopes, authorizeParams;  // oauth2
  std::string description;
};

// One connector: its descriptor, copied into C++ values for the host, and (when loaded in
// this process) the library itself, kept loaded for as long as this object or any instance
// made from it lives. Made by PluginLoader, or by fromJson() from what a probe in a child
// process reported; shared by the registry and every ConnectorInstance.
class ConnectorPlugin {
 public:
  // `library` keeps the shared object loaded; `descriptor` points into it and has been
  // validated by PluginLoader.
  ConnectorPlugin(std::shared_ptr<const void> library, const tributary_connector_v1* descriptor,
                  std::filesystem::path path);

  // The plugin a probe in a child process described: toJson() read back, the same values
  // with no code behind them (hasCode() is false). Throws std::invalid_argument naming the
  // first field that is missing or of the wrong type.
  static std::shared_ptr<const ConnectorPlugin> fromJson(const nlohmann::json& j);

  const std::string& name() const { return name_; }  // "tributary.example"
  std::string_view shortName() const;                // "example"
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  const std::filesystem::path& path() const { return path_; }
  uint32_t abiVersion() const { return abiVersion_; }
  std::string abiString() const;  // "1.0"
  const std::vector<StreamDescriptor>& streams() const { return streams_; }
  const std::vector<ConfigKeyDescriptor>& configSchema() const { return config_; }
  const StreamDescriptor* findStream(std::string_view name) const;
  const ConfigKeyDescriptor* findConfigKey(std::string_view key) const;
  // 1.1 (empty / false for a 1.0 plugin)
  const std::vector<LinkTypeDescriptor>& linkTypes() const { return linkTypes_; }
  const LinkTypeDescriptor* findLinkType(std::string_view name) const;
  const std::vector<ActionDescriptor>& actions() const { return actions_; }
  const ActionDescriptor* findAction(std::string_view name) const;
  // 1.1 http: its rate-limit classes (the first is the default) and retry rules.
  const std::vector<RateLimitDescriptor>& rateLimits() const { return rateLimits_; }
  const RateLimitDescriptor* findRateLimit(std::string_view name) const;
  const std::vector<HttpRuleDescriptor>& httpRules() const { return httpRules_; }
  const std::vector<AuthDescriptor>& auths() const { return auths_; }
  const AuthDescriptor* findAuth(AuthType type) const;
  // Whether the plugin discovers its streams per instance (a discover hook); its declared
  // streams() are then the default until a discovery is stored.
  bool discoversStreams() const { return discovers_; }

  // For the config loader: the problem with one setting of a connection, or nullopt when the
  // key is declared and the text value has its type. Messages name the key and the plugin:
  //   "unknown setting 'pagesize' for tributary.example (known: seed, records, ...)"
  //   "setting 'page_size' of tributary.example must be an integer, got \"ten\""
  std::optional<std::string> checkSetting(std::string_view key, std::string_view value) const;
  // The required keys for which `has(key)` is false, in schema order.
  std::vector<std::string> missingRequired(const std::function<bool(std::string_view)>& has) const;

  // Whether the plugin's code is loaded in this process. False for a plugin known from a probe
  // in a child process (serve, `plugins list`, `config check`): it can be listed and validated
  // against, but no instance of it can be made here.
  bool hasCode() const { return descriptor_ != nullptr; }
  // The raw descriptor, for ConnectorInstance; only when hasCode(). Valid while this object lives.
  const tributary_connector_v1& descriptor() const { return *descriptor_; }

  // {name, short_name, version, description, abi, path, status: "loaded", streams, config,
  //  discovers_streams, link_types, actions, rate_limits, http_rules}
  nlohmann::json toJson() const;

 private:
  ConnectorPlugin() = default;

  std::shared_ptr<const void> library_;
  const tributary_connector_v1* descriptor_ = nullptr;
  uint32_t abiVersion_ = 0;
  std::filesystem::path path_;
  std::string name_, version_, description_;
  std::vector<StreamDescriptor> streams_;
  std::vector<ConfigKeyDescriptor> config_;
  std::vector<LinkTypeDescriptor> linkTypes_;
  std::vector<ActionDescriptor> actions_;
  std::vector<RateLimitDescriptor> rateLimits_;
  std::vector<HttpRuleDescriptor> httpRules_;
  std::vector<AuthDescriptor> auths_;
  bool discovers_ = false;
};

}  // namespace tributary::plugins
