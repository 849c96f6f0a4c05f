#include "plugins/ConnectorPlugin.h"

#include <cstdio>
#include <stdexcept>

#include "plugins/DescriptorReader.h"
#include "tributary/sanitize.hpp"

namespace tributary::plugins {

std::string_view toString(ConfigType type) {
  switch (type) {
    case ConfigType::String: return "string";
    case ConfigType::Integer: return "integer";
    case ConfigType::Number: return "number";
    case ConfigType::Boolean: return "boolean";
  }
  return "?";
}

std::optional<ConfigType> parseConfigType(std::string_view name) {
  for (ConfigType t : {ConfigType::String, ConfigType::Integer, ConfigType::Number, ConfigType::Boolean}) {
    if (toString(t) == name) return t;
  }
  return std::nullopt;
}

namespace {

ConfigKeyDescriptor configKeyOf(const tributary_config_key_v1& k) {
  ConfigKeyDescriptor c;
  c.key = k.key;
  c.type = static_cast<ConfigType>(k.type - TRIBUTARY_CONFIG_STRING);
  c.required = (k.flags & TRIBUTARY_CONFIG_REQUIRED) != 0;
  c.secret = (k.flags & TRIBUTARY_CONFIG_SECRET) != 0;
  if (k.default_value) c.defaultValue = k.default_value;
  c.description = k.description ? k.description : "";
  return c;
}

const std::pair<uint32_t, const char*> kStreamFlagNames[] = {
    {TRIBUTARY_STREAM_MODIFICATION_ORDER, "modification_order"},
    {TRIBUTARY_STREAM_FULL_REFRESH, "full_refresh"},
};

}  // namespace

nlohmann::json streamFlagsJson(uint32_t flags) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& [bit, name] : kStreamFlagNames) {
    if (flags & bit) names.push_back(name);
  }
  return names;
}

uint32_t parseStreamFlags(const nlohmann::json& names) {
  if (!names.is_array()) throw std::invalid_argument("stream flags are not an array");
  uint32_t flags = 0;
  for (const auto& n : names) {
    bool known = false;
    for (const auto& [bit, name] : kStreamFlagNames) {
      if (n.is_string() && n.get<std::string>() == name) {
        flags |= bit;
        known = true;
      }
    }
    if (!known) throw std::invalid_argument("unknown stream flag " + n.dump());
  }
  return flags;
}

ConnectorPlugin::ConnectorPlugin(std::shared_ptr<const void> library, const tributary_connector_v1* descriptor,
                                 std::filesystem::path path)
    : library_(std::move(library)),
      descriptor_(descriptor),
      abiVersion_(descriptor->abi_version),
      path_(std::move(path)) {
  DescriptorReader reader(*descriptor);
  name_ = descriptor->name;
  version_ = descriptor->version ? descriptor->version : "";
  description_ = descriptor->description ? descriptor->description : "";
  for (uint32_t i = 0; i < descriptor->stream_count; ++i) {
    const tributary_stream_v1& s = reader.stream(i);
    streams_.push_back({s.name, s.primary_key ? s.primary_key : "", s.cursor_field ? s.cursor_field : "",
                        s.entity ? s.entity : "", s.description ? s.description : "", s.flags});
  }
  for (uint32_t i = 0; i < descriptor->config_key_count; ++i) config_.push_back(configKeyOf(reader.configKey(i)));
  discovers_ = reader.discover() != nullptr;
  for (uint32_t i = 0; i < reader.linkTypeCount(); ++i) {
    const tributary_link_type_v1& t = reader.linkType(i);
    linkTypes_.push_back(
        {t.name, t.from_entity, t.to_entity, t.column ? t.column : "", t.description ? t.description : ""});
  }
  for (uint32_t i = 0; i < reader.actionCount(); ++i) {
    const tributary_action_v1& a = reader.action(i);
    ActionDescriptor d{a.name, a.description ? a.description : "", (a.flags & TRIBUTARY_ACTION_IDEMPOTENT) != 0, {}};
    for (uint32_t k = 0; k < a.body_key_count; ++k) d.body.push_back(configKeyOf(reader.actionBodyKey(i, k)));
    actions_.push_back(std::move(d));
  }
  for (uint32_t i = 0; i < reader.rateLimitCount(); ++i) {
    const tributary_rate_limit_v1& l = reader.rateLimit(i);
    rateLimits_.push_back({l.name, l.requests, l.per_ms, (l.flags & TRIBUTARY_RATE_LIMIT_POINTS) != 0,
                           (l.flags & TRIBUTARY_RATE_LIMIT_QUOTA) != 0,
                           (l.flags & TRIBUTARY_RATE_LIMIT_EVERY_REQUEST) != 0, l.description ? l.description : ""});
  }
  for (uint32_t i = 0; i < reader.httpRuleCount(); ++i) {
    const tributary_http_rule_v1& r = reader.httpRule(i);
    HttpRuleDescriptor d;
    d.action = r.action == TRIBUTARY_HTTP_RULE_QUOTA          ? HttpRuleAction::Quota
               : r.action == TRIBUTARY_HTTP_RULE_RATE_LIMIT   ? HttpRuleAction::RateLimit
               : r.action == TRIBUTARY_HTTP_RULE_REFRESH_AUTH ? HttpRuleAction::RefreshAuth
                                                              : HttpRuleAction::Retry;
    d.status = r.status;
    d.errorCode = r.error_code ? r.error_code : "";
    d.limitClass = r.limit_class ? r.limit_class : "";
    d.waitMs = r.wait_ms;
    d.description = r.description ? r.description : "";
    httpRules_.push_back(std::move(d));
  }
  for (uint32_t i = 0; i < reader.authCount(); ++i) {
    const tributary_auth_v1& a = reader.auth(i);
    auto text = [](const char* s, const char* otherwise = "") { return std::string(s ? s : otherwise); };
    AuthDescriptor d;
    d.type = *parseAuthType(authTypeName(a.type));
    d.inQuery = (a.flags & TRIBUTARY_AUTH_IN_QUERY) != 0;
    d.pkce = (a.flags & TRIBUTARY_AUTH_PKCE) != 0;
    d.clientBasic = (a.flags & TRIBUTARY_AUTH_CLIENT_BASIC) != 0;
    const bool bearerLike = d.type == AuthType::Bearer || d.type == AuthType::OAuth2;
    d.paramName = a.param_name && *a.param_name ? a.param_name : (d.type == AuthType::ApiKey ? "" : "Authorization");
    d.valuePrefix = text(a.value_prefix, bearerLike ? "Bearer " : "");
    d.authorizeUrl = text(a.authorize_url);
    d.tokenUrl = text(a.token_url);
    d.scopes = text(a.scopes);
    d.authorizeParams = text(a.authorize_params);
    d.description = text(a.description);
    auths_.push_back(std::move(d));
  }
}

std::string_view toString(AuthType type) {
  switch (type) {
    case AuthType::Bearer: return "bearer";
    case AuthType::Basic: return "basic";
    case AuthType::ApiKey: return "api_key";
    case AuthType::OAuth2: return "oauth2";
  }
  return "bearer";
}

std::optional<AuthType> parseAuthType(std::string_view name) {
  if (name == "bearer") return AuthType::Bearer;
  if (name == "basic") return AuthType::Basic;
  if (name == "api_key") return AuthType::ApiKey;
  if (name == "oauth2") return AuthType::OAuth2;
  return std::nullopt;
}

const AuthDescriptor* ConnectorPlugin::findAuth(AuthType type) const {
  for (const auto& a : auths_) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

std::string_view toString(HttpRuleAction action) {
  switch (action) {
    case HttpRuleAction::Retry: return "retry";
    case HttpRuleAction::RateLimit: return "rate_limit";
    case HttpRuleAction::Quota: return "quota";
    case HttpRuleAction::RefreshAuth: return "refresh_auth";
  }
  return "retry";
}

namespace {

// The fields of a toJson() object, read strictly: a missing field or another type is named.
class JsonFields {
 public:
  JsonFields(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail("", "an object");
  }
  std::string string(const char* key) const {
    const auto& v = field(key);
    if (!v.is_string()) fail(key, "a string");
    return v.get<std::string>();
  }
  // A string, or "" for null.
  std::string stringOrEmpty(const char* key) const {
    const auto& v = field(key);
    if (v.is_null()) return "";
    return string(key);
  }
  std::optional<std::string> optionalString(const char* key) const {
    if (field(key).is_null()) return std::nullopt;
    return string(key);
  }
  bool boolean(const char* key) const {
    const auto& v = field(key);
    if (!v.is_boolean()) fail(key, "true or false");
    return v.get<bool>();
  }
  const nlohmann::json& array(const char* key) const {
    const auto& v = field(key);
    if (!v.is_array()) fail(key, "an array");
    return v;
  }
  // An array, or an empty one when the field is absent (added after the probe format began).
  const nlohmann::json& arrayOrEmpty(const char* key) const {
    static const nlohmann::json kEmpty = nlohmann::json::array();
    return j_.contains(key) ? array(key) : kEmpty;
  }
  int64_t integer(const char* key) const {
    const auto& v = field(key);
    if (!v.is_number_integer()) fail(key, "an integer");
    return v.get<int64_t>();
  }
  [[noreturn]] void fail(const std::string& key, const char* expected) const {
    throw std::invalid_argument(where_ + (key.empty() ? "" : "." + key) + " is not " + expected);
  }

 private:
  const nlohmann::json& field(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) throw std::invalid_argument(where_ + " has no \"" + key + "\"");
    return *it;
  }
  const nlohmann::json& j_;
  std::string where_;
};

ConfigKeyDescriptor configKeyFromJson(const nlohmann::json& k, const std::string& where) {
  JsonFields kf(k, where);
  ConfigKeyDescriptor c;
  c.key = kf.string("key");
  auto type = parseConfigType(kf.string("type"));
  if (!type) kf.fail("type", "string, integer, number or boolean");
  c.type = *type;
  c.required = kf.boolean("required");
  c.secret = kf.boolean("secret");
  c.defaultValue = kf.optionalString("default");
  c.description = kf.string("description");
  return c;
}

nlohmann::json configKeyJson(const ConfigKeyDescriptor& k) {
  return {{"key", k.key},
          {"type", toString(k.type)},
          {"required", k.required},
          {"secret", k.secret},
          {"default", k.defaultValue ? nlohmann::json(*k.defaultValue) : nlohmann::json()},
          {"description", k.description}};
}

// "1.0" -> TRIBUTARY_ABI_VERSION's encoding of 1.0.
uint32_t parseAbi(const std::string& text, const JsonFields& fields) {
  unsigned major = 0, minor = 0;
  char end = 0;
  if (std::sscanf(text.c_str(), "%u.%u%c", &major, &minor, &end) != 2 || major > 0xFFFF || minor > 0xFFFF) {
    fields.fail("abi", "a version such as \"1.0\"");
  }
  return static_cast<uint32_t>(major) << 16 | minor;
}

}  // namespace

std::shared_ptr<const ConnectorPlugin> ConnectorPlugin::fromJson(const nlohmann::json& j) {
  JsonFields f(j, "plugin");
  if (f.string("status") != "loaded") f.fail("status", "\"loaded\"");
  std::shared_ptr<ConnectorPlugin> p(new ConnectorPlugin());
  p->name_ = f.string("name");
  p->version_ = f.string("version");
  p->description_ = f.string("description");
  p->abiVersion_ = parseAbi(f.string("abi"), f);
  p->path_ = f.string("path");
  for (const auto& s : f.array("streams")) {
    JsonFields sf(s, "plugin.streams[" + std::to_string(p->streams_.size()) + "]");
    uint32_t flags = 0;
    try {
      flags = parseStreamFlags(sf.array("flags"));
    } catch (const std::invalid_argument&) {
      sf.fail("flags", "a list of known stream flags");
    }
    p->streams_.push_back({sf.string("name"), sf.string("primary_key"), sf.string("cursor_field"),
                           sf.stringOrEmpty("entity"), sf.string("description"), flags});
  }
  for (const auto& k : f.array("config")) {
    p->config_.push_back(configKeyFromJson(k, "plugin.config[" + std::to_string(p->config_.size()) + "]"));
  }
  p->discovers_ = f.boolean("discovers_streams");
  for (const auto& t : f.array("link_types")) {
    JsonFields tf(t, "plugin.link_types[" + std::to_string(p->linkTypes_.size()) + "]");
    p->linkTypes_.push_back({tf.string("name"), tf.string("from_entity"), tf.string("to_entity"),
                             tf.stringOrEmpty("column"), tf.string("description")});
  }
  for (const auto& a : f.array("actions")) {
    const std::string where = "plugin.actions[" + std::to_string(p->actions_.size()) + "]";
    JsonFields af(a, where);
    ActionDescriptor d{af.string("name"), af.string("description"), af.boolean("idempotent"), {}};
    for (const auto& k : af.array("body")) {
      d.body.push_back(configKeyFromJson(k, where + ".body[" + std::to_string(d.body.size()) + "]"));
    }
    p->actions_.push_back(std::move(d));
  }
  for (const auto& l : f.arrayOrEmpty("rate_limits")) {
    JsonFields lf(l, "plugin.rate_limits[" + std::to_string(p->rateLimits_.size()) + "]");
    const int64_t requests = lf.integer("requests");
    if (requests <= 0) lf.fail("requests", "a positive integer");
    p->rateLimits_.push_back({lf.string("name"), static_cast<uint64_t>(requests), lf.integer("per_ms"),
                              lf.boolean("points"), lf.boolean("quota"), lf.boolean("every_request"),
                              lf.string("description")});
  }
  for (const auto& r : f.arrayOrEmpty("http_rules")) {
    JsonFields rf(r, "plugin.http_rules[" + std::to_string(p->httpRules_.size()) + "]");
    HttpRuleDescriptor d;
    const std::string action = rf.string("action");
    if (action == "retry") d.action = HttpRuleAction::Retry;
    else if (action == "rate_limit") d.action = HttpRuleAction::RateLimit;
    else if (action == "quota") d.action = HttpRuleAction::Quota;
    else if (action == "refresh_auth") d.action = HttpRuleAction::RefreshAuth;
    else rf.fail("action", "retry, rate_limit, quota or refresh_auth");
    d.status = static_cast<int>(rf.integer("status"));
    d.errorCode = rf.stringOrEmpty("error_code");
    d.limitClass = rf.stringOrEmpty("limit_class");
    d.waitMs = rf.integer("wait_ms");
    d.description = rf.string("description");
    p->httpRules_.push_back(std::move(d));
  }
  for (const auto& a : f.arrayOrEmpty("auth")) {
    JsonFields af(a, "plugin.auth[" + std::to_string(p->auths_.size()) + "]");
    AuthDescriptor d;
    const auto type = parseAuthType(af.string("type"));
    if (!type) af.fail("type", "bearer, basic, api_key or oauth2");
    d.type = *type;
    d.inQuery = af.boolean("in_query");
    d.pkce = af.boolean("pkce");
    d.clientBasic = af.boolean("client_basic");
    d.paramName = af.string("param_name");
    d.valuePrefix = af.string("value_prefix");
    d.authorizeUrl = af.stringOrEmpty("authorize_url");
    d.tokenUrl = af.stringOrEmpty("token_url");
    d.scopes = af.stringOrEmpty("scopes");
    d.authorizeParams = af.stringOrEmpty("authorize_params");
    d.description = af.string("description");
    p->auths_.push_back(std::move(d));
  }
  return p;
}

const RateLimitDescriptor* ConnectorPlugin::findRateLimit(std::string_view name) const {
  for (const auto& l : rateLimits_) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

const LinkTypeDescriptor* ConnectorPlugin::findLinkType(std::string_view name) const {
  for (const auto& t : linkTypes_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const ActionDescriptor* ConnectorPlugin::findAction(std::string_view name) const {
  for (const auto& a : actions_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string_view ConnectorPlugin::shortName() const {
  std::string_view n = name_;
  return n.substr(n.rfind('.') + 1);
}

std::string ConnectorPlugin::abiString() const {
  return std::to_string(TRIBUTARY_ABI_MAJOR_OF(abiVersion())) + "." +
         std::to_string(TRIBUTARY_ABI_MINOR_OF(abiVersion()));
}

const StreamDescriptor* ConnectorPlugin::findStream(std::string_view name) const {
  for (const auto& s : streams_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ConfigKeyDescriptor* ConnectorPlugin::findConfigKey(std::string_view key) const {
  for (const auto& k : config_) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

std::optional<std::string> ConnectorPlugin::checkSetting(std::string_view key, std::string_view value) const {
  const ConfigKeyDescriptor* k = findConfigKey(key);
  if (!k) {
    std::string known;
    for (const auto& c : config_) known += (known.empty() ? "" : ", ") + c.key;
    return "unknown setting '" + std::string(key) + "' for " + name_ +
           (known.empty() ? " (it takes no settings)" : " (known: " + known + ")");
  }
  const char* expected = nullptr;
  try {
    switch (k->type) {
      case ConfigType::String: return std::nullopt;
      case ConfigType::Integer:
        expected = "an integer";
        if (tributary::sanitize::integer(value)) return std::nullopt;
        break;
      case ConfigType::Number:
        expected = "a number";
        if (tributary::sanitize::number(value)) return std::nullopt;
        break;
      case ConfigType::Boolean:
        expected = "a boolean (true or false)";
        if (tributary::sanitize::boolean(value)) return std::nullopt;
        break;
    }
  } catch (const tributary::InvalidValue&) {
  }
  return "setting '" + std::string(key) + "' of " + name_ + " must be " + expected + ", got \"" + std::string(value) +
         "\"";
}

std::vector<std::string> ConnectorPlugin::missingRequired(const std::function<bool(std::string_view)>& has) const {
  std::vector<std::string> missing;
  for (const auto& k : config_) {
    if (k.required && !has(k.key)) missing.push_back(k.key);
  }
  return missing;
}

nlohmann::json ConnectorPlugin::toJson() const {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& s : streams_) {
    streams.push_back({{"name", s.name},
                       {"primary_key", s.primaryKey},
                       {"cursor_field", s.cursorField},
                       {"entity", s.entity.empty() ? nlohmann::json() : nlohmann::json(s.entity)},
                       {"description", s.description},
                       {"flags", streamFlagsJson(s.flags)}});
  }
  nlohmann::json config = nlohmann::json::array();
  for (const auto& k : config_) config.push_back(configKeyJson(k));
  nlohmann::json links = nlohmann::json::array();
  for (const auto& t : linkTypes_) {
    links.push_back({{"name", t.name},
                     {"from_entity", t.fromEntity},
                     {"to_entity", t.toEntity},
                     {"column", t.column.empty() ? nlohmann::json() : nlohmann::json(t.column)},
                     {"description", t.description}});
  }
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& a : actions_) {
    nlohmann::json body = nlohmann::json::array();
    for (const auto& k : a.body) body.push_back(configKeyJson(k));
    actions.push_back(
        {{"name", a.name}, {"description", a.description}, {"idempotent", a.idempotent}, {"body", std::move(body)}});
  }
  nlohmann::json limits = nlohmann::json::array();
  for (const auto& l : rateLimits_) {
    limits.push_back({{"name", l.name},
                      {"requests", l.requests},
                      {"per_ms", l.perMs},
                      {"points", l.points},
                      {"quota", l.quota},
                      {"every_request", l.everyRequest},
                      {"description", l.description}});
  }
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : httpRules_) {
    rules.push_back({{"action", toString(r.action)},
                     {"status", r.status},
                     {"error_code", r.errorCode.empty() ? nlohmann::json() : nlohmann::json(r.errorCode)},
                     {"limit_class", r.limitClass.empty() ? nlohmann::json() : nlohmann::json(r.limitClass)},
                     {"wait_ms", r.waitMs},
                     {"description", r.description}});
  }
  nlohmann::json auths = nlohmann::json::array();
  for (const auto& a : auths_) {
    auto orNull = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
    auths.push_back({{"type", toString(a.type)},
                     {"in_query", a.inQuery},
                     {"pkce", a.pkce},
                     {"client_basic", a.clientBasic},
                     {"param_name", a.paramName},
                     {"value_prefix", a.valuePrefix},
                     {"authorize_url", orNull(a.authorizeUrl)},
                     {"token_url", orNull(a.tokenUrl)},
                     {"scopes", orNull(a.scopes)},
                     {"authorize_params", orNull(a.authorizeParams)},
                     {"description", a.description}});
  }
  return {{"name", name_},
          {"short_name", shortName()},
          {"version", version_},
          {"description", description_},
          {"abi", abiString()},
          {"path", path_.string()},
          {"status", "loaded"},
          {"streams", std::move(streams)},
          {"config", std::move(config)},
          {"discovers_streams", discovers_},
          {"link_types", std::move(links)},
          {"actions", std::move(actions)},
          {"rate_limits", std::move(limits)},
          {"http_rules", std::move(rules)},
          {"auth", std::move(auths)}};
}

}  // namespace tributary::plugins
