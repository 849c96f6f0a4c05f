#include "plugins/DescriptorReader.h"

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string_view>

#include "engine/EntitySchema.h"
#include "plugins/ActionBody.h"

namespace tributary::plugins {
namespace {

constexpr uint32_t kMaxItems = 1000;

bool isIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool isDottedName(std::string_view s) {
  size_t parts = 0;
  while (true) {
    size_t dot = s.find('.');
    if (!isIdentifier(s.substr(0, dot))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts >= 2;
}

std::string hex(uint32_t bits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", bits);
  return buf;
}

// A text column of the entity's table that a link type may own.
bool isLinkableColumn(const char* entity, const std::string& column) {
  const engine::Entity* e = engine::findEntity(entity);
  if (!e) return false;
  int i = e->columnIndex(column);
  return i >= 0 && e->columns[static_cast<size_t>(i)].type == engine::ColumnType::Text;
}

}  // namespace

bool isCanonicalEntity(const std::string& entity) {
  static const std::set<std::string> kEntities = {"deals", "contacts", "accounts", "calls", "documents", "tasks"};
  return kEntities.count(entity) > 0;
}

std::string checkStream(const tributary_stream_v1& s, const std::string& kind, uint32_t index) {
  if (!s.name || !isIdentifier(s.name)) {
    return kind + " " + std::to_string(index) + " has the name '" + std::string(s.name ? s.name : "(null)") +
           "', which is not lowercase [a-z0-9_]";
  }
  const std::string named = kind + " '" + s.name + "'";
  std::string entity = s.entity ? s.entity : "";
  if (!entity.empty() && !isCanonicalEntity(entity)) {
    return named + " maps to unknown entity '" + entity +
           "' (known: deals, contacts, accounts, calls, documents, tasks, or \"\")";
  }
  if (uint32_t unknown = s.flags & ~TRIBUTARY_STREAM_KNOWN_FLAGS) {
    return named + " has unknown flag bits " + hex(unknown) +
           " (known: TRIBUTARY_STREAM_MODIFICATION_ORDER 0x1, TRIBUTARY_STREAM_FULL_REFRESH 0x2)";
  }
  return "";
}

std::string checkConfigKey(const tributary_config_key_v1& k, const std::string& kind, uint32_t index) {
  if (!k.key || !isIdentifier(k.key)) {
    return kind + " " + std::to_string(index) + " has the key '" + std::string(k.key ? k.key : "(null)") +
           "', which is not lowercase [a-z0-9_]";
  }
  if (k.type < TRIBUTARY_CONFIG_STRING || k.type > TRIBUTARY_CONFIG_BOOLEAN) {
    return kind + " '" + k.key + "' has unknown type " + std::to_string(k.type);
  }
  return "";
}

namespace {
// Elements of a plugin array, strided by the first element's struct_size.
template <class T>
const T& element(const T* array, uint32_t i) {
  const char* base = reinterpret_cast<const char*>(array);
  return *reinterpret_cast<const T*>(base + std::size_t{i} * array[0].struct_size);
}
}  // namespace

bool DescriptorReader::has11() const { return d_.struct_size >= sizeof(tributary_connector_v1); }

tributary_result (*DescriptorReader::discover() const)(tributary_instance*, tributary_host_ctx*) {
  return has11() ? d_.discover : nullptr;
}
uint32_t DescriptorReader::linkTypeCount() const { return has11() && d_.link_types ? d_.link_type_count : 0; }
const tributary_link_type_v1& DescriptorReader::linkType(uint32_t i) const { return element(d_.link_types, i); }
uint32_t DescriptorReader::actionCount() const { return has11() && d_.actions ? d_.action_count : 0; }
const tributary_action_v1& DescriptorReader::action(uint32_t i) const { return element(d_.actions, i); }
const tributary_config_key_v1& DescriptorReader::actionBodyKey(uint32_t a, uint32_t i) const {
  return element(action(a).body_keys, i);
}
uint32_t DescriptorReader::rateLimitCount() const { return has11() && d_.rate_limits ? d_.rate_limit_count : 0; }
const tributary_rate_limit_v1& DescriptorReader::rateLimit(uint32_t i) const { return element(d_.rate_limits, i); }
uint32_t DescriptorReader::httpRuleCount() const { return has11() && d_.http_rules ? d_.http_rule_count : 0; }
const tributary_http_rule_v1& DescriptorReader::httpRule(uint32_t i) const { return element(d_.http_rules, i); }
uint32_t DescriptorReader::authCount() const { return has11() && d_.auths ? d_.auth_count : 0; }
const tributary_auth_v1& DescriptorReader::auth(uint32_t i) const { return element(d_.auths, i); }

const tributary_stream_v1& DescriptorReader::stream(uint32_t i) const {
  const char* base = reinterpret_cast<const char*>(d_.streams);
  return *reinterpret_cast<const tributary_stream_v1*>(base + std::size_t{i} * d_.streams[0].struct_size);
}

const tributary_config_key_v1& DescriptorReader::configKey(uint32_t i) const {
  const char* base = reinterpret_cast<const char*>(d_.config_keys);
  return *reinterpret_cast<const tributary_config_key_v1*>(base + std::size_t{i} * d_.config_keys[0].struct_size);
}

std::string DescriptorReader::validate() const {
  const bool minor11 = TRIBUTARY_ABI_MINOR_OF(d_.abi_version) >= 1;
  const uint32_t needed = minor11 ? uint32_t{sizeof(tributary_connector_v1)} : kDescriptorSize10;
  if (d_.struct_size < needed) {
    return "its descriptor is truncated (struct_size " + std::to_string(d_.struct_size) + ", ABI " +
           (minor11 ? "1.1" : "1.0") + " needs at least " + std::to_string(needed) + ")";
  }
  if (!d_.name || !isDottedName(d_.name)) {
    return "connector name '" + std::string(d_.name ? d_.name : "(null)") +
           "' is not a dotted lowercase name like 'tributary.hubspot'";
  }
  if (!d_.version || !*d_.version) return "connector version is empty";
  const struct {
    const void* fn;
    const char* name;
  } hooks[] = {{reinterpret_cast<const void*>(d_.create), "create"},
               {reinterpret_cast<const void*>(d_.destroy), "destroy"},
               {reinterpret_cast<const void*>(d_.check), "check"},
               {reinterpret_cast<const void*>(d_.initial_sync), "initial_sync"},
               {reinterpret_cast<const void*>(d_.incremental_sync), "incremental_sync"},
               {reinterpret_cast<const void*>(d_.backfill), "backfill"}};
  for (const auto& h : hooks) {
    if (!h.fn) return std::string("hook ") + h.name + " is NULL";
  }

  // A plugin that discovers its streams may declare none (its default list is then empty).
  if ((d_.stream_count == 0 || !d_.streams) && !discover()) return "it declares no streams";
  if (d_.stream_count > 0 && !d_.streams)
    return "stream_count is " + std::to_string(d_.stream_count) + " but streams is NULL";
  if (d_.stream_count > kMaxItems) return "it declares " + std::to_string(d_.stream_count) + " streams (at most 1000)";
  if (d_.stream_count > 0 && d_.streams[0].struct_size < sizeof(tributary_stream_v1)) {
    return "its stream entries are truncated (struct_size " + std::to_string(d_.streams[0].struct_size) +
           ", ABI 1.0 needs at least " + std::to_string(sizeof(tributary_stream_v1)) + ")";
  }
  std::set<std::string> names;
  for (uint32_t i = 0; i < d_.stream_count; ++i) {
    const tributary_stream_v1& s = stream(i);
    if (std::string why = checkStream(s, "stream", i); !why.empty()) return why;
    if (!names.insert(s.name).second) return "stream '" + std::string(s.name) + "' is declared twice";
  }

  if (d_.config_key_count > kMaxItems)
    return "it declares " + std::to_string(d_.config_key_count) + " settings (at most 1000)";
  if (d_.config_key_count > 0) {
    if (!d_.config_keys)
      return "config_key_count is " + std::to_string(d_.config_key_count) + " but config_keys is NULL";
    if (d_.config_keys[0].struct_size < sizeof(tributary_config_key_v1)) {
      return "its config entries are truncated (struct_size " + std::to_string(d_.config_keys[0].struct_size) +
             ", ABI 1.0 needs at least " + std::to_string(sizeof(tributary_config_key_v1)) + ")";
    }
  }
  std::set<std::string> keys;
  for (uint32_t i = 0; i < d_.config_key_count; ++i) {
    const tributary_config_key_v1& k = configKey(i);
    if (std::string why = checkConfigKey(k, "setting", i); !why.empty()) return why;
    if (!keys.insert(k.key).second) return "setting '" + std::string(k.key) + "' is declared twice";
  }
  if (!has11()) return "";
  return validate11();
}

std::string DescriptorReader::validate11() const {
  if (d_.link_type_count > kMaxItems)
    return "it declares " + std::to_string(d_.link_type_count) + " link types (at most 1000)";
  if (d_.link_type_count > 0 && !d_.link_types)
    return "link_type_count is " + std::to_string(d_.link_type_count) + " but link_types is NULL";
  if (d_.link_type_count > 0 && d_.link_types[0].struct_size < sizeof(tributary_link_type_v1)) {
    return "its link type entries are truncated (struct_size " + std::to_string(d_.link_types[0].struct_size) +
           ", ABI 1.1 needs at least " + std::to_string(sizeof(tributary_link_type_v1)) + ")";
  }
  std::set<std::string> linkNames, ownedColumns;
  for (uint32_t i = 0; i < linkTypeCount(); ++i) {
    const tributary_link_type_v1& t = linkType(i);
    const std::string what = "link type " + std::to_string(i);
    if (!t.name || !isIdentifier(t.name)) {
      return what + " has the name '" + std::string(t.name ? t.name : "(null)") + "', which is not lowercase [a-z0-9_]";
    }
    const std::string named = "link type '" + std::string(t.name) + "'";
    if (!linkNames.insert(t.name).second) return named + " is declared twice";
    for (const char* entity : {t.from_entity, t.to_entity}) {
      const std::string e = entity ? entity : "";
      if (!isCanonicalEntity(e)) {
        return named + " links " + (entity == t.from_entity ? "from" : "to") + " unknown entity '" + e +
               "' (known: deals, contacts, accounts, calls, documents, tasks)";
      }
    }
    if (t.flags != 0) return named + " has flags " + hex(t.flags) + " (reserved: 0)";
    const std::string column = t.column ? t.column : "";
    if (!column.empty()) {
      if (!isLinkableColumn(t.from_entity, column)) {
        return named + " owns column '" + column + "', which is not a text column of " + t.from_entity +
               " (docs/canonical-model.md)";
      }
      if (!ownedColumns.insert(std::string(t.from_entity) + "." + column).second) {
        return named + " owns " + std::string(t.from_entity) + "." + column + ", which another link type owns";
      }
    }
  }

  if (d_.action_count > kMaxItems) return "it declares " + std::to_string(d_.action_count) + " actions (at most 1000)";
  if (d_.action_count > 0 && !d_.actions)
    return "action_count is " + std::to_string(d_.action_count) + " but actions is NULL";
  if (d_.action_count > 0 && !d_.action) return "it declares actions but its action hook is NULL";
  if (d_.action_count > 0 && d_.actions[0].struct_size < sizeof(tributary_action_v1)) {
    return "its action entries are truncated (struct_size " + std::to_string(d_.actions[0].struct_size) +
           ", ABI 1.1 needs at least " + std::to_string(sizeof(tributary_action_v1)) + ")";
  }
  std::set<std::string> actionNames;
  for (uint32_t i = 0; i < actionCount(); ++i) {
    const tributary_action_v1& a = action(i);
    if (!a.name || !isIdentifier(a.name)) {
      return "action " + std::to_string(i) + " has the name '" + std::string(a.name ? a.name : "(null)") +
             "', which is not lowercase [a-z0-9_]";
    }
    const std::string named = "action '" + std::string(a.name) + "'";
    if (!actionNames.insert(a.name).second) return named + " is declared twice";
    if (uint32_t unknown = a.flags & ~TRIBUTARY_ACTION_KNOWN_FLAGS) {
      return named + " has unknown flag bits " + hex(unknown) + " (known: TRIBUTARY_ACTION_IDEMPOTENT 0x1)";
    }
    if (a.reserved != 0) return named + " has reserved " + hex(a.reserved) + " (reserved: 0)";
    if (a.body_key_count > kMaxItems) return named + " declares " + std::to_string(a.body_key_count) + " body fields";
    if (a.body_key_count > 0 && !a.body_keys) return named + " has body_key_count > 0 but body_keys NULL";
    if (a.body_key_count > 0 && a.body_keys[0].struct_size < sizeof(tributary_config_key_v1)) {
      return named + "'s body entries are truncated (struct_size " + std::to_string(a.body_keys[0].struct_size) + ")";
    }
    std::set<std::string> fields;
    for (uint32_t k = 0; k < a.body_key_count; ++k) {
      const tributary_config_key_v1& key = actionBodyKey(i, k);
      if (std::string why = checkConfigKey(key, named + " body field", k); !why.empty()) return why;
      if (!fields.insert(key.key).second) return named + " body field '" + std::string(key.key) + "' is declared twice";
      if (key.flags & TRIBUTARY_CONFIG_SECRET) {
        return named + " body field '" + std::string(key.key) + "' is marked SECRET, which an action body cannot be";
      }
      // The host puts a default into the body as a typed JSON value, so it must be one.
      if (key.default_value) {
        ConfigKeyDescriptor typed;
        typed.key = key.key;
        typed.type = static_cast<ConfigType>(key.type - TRIBUTARY_CONFIG_STRING);
        typed.defaultValue = key.default_value;
        try {
          ActionBody::typedDefault(typed);
        } catch (const std::invalid_argument&) {
          return named + " body field '" + std::string(key.key) + "' has the default \"" + key.default_value +
                 "\", which is not " +
                 (key.type == TRIBUTARY_CONFIG_INTEGER  ? "an integer"
                  : key.type == TRIBUTARY_CONFIG_NUMBER ? "a number"
                                                        : "a boolean (true or false)");
        }
      }
    }
  }
  return validateHttp();
}

std::string DescriptorReader::validateHttp() const {
  if (d_.rate_limit_count > 100)
    return "it declares " + std::to_string(d_.rate_limit_count) + " rate-limit classes (at most 100)";
  if (d_.rate_limit_count > 0 && !d_.rate_limits)
    return "rate_limit_count is " + std::to_string(d_.rate_limit_count) + " but rate_limits is NULL";
  if (d_.rate_limit_count > 0 && d_.rate_limits[0].struct_size < sizeof(tributary_rate_limit_v1)) {
    return "its rate-limit entries are truncated (struct_size " + std::to_string(d_.rate_limits[0].struct_size) +
           ", ABI 1.1 needs at least " + std::to_string(sizeof(tributary_rate_limit_v1)) + ")";
  }
  std::set<std::string> classes;
  for (uint32_t i = 0; i < rateLimitCount(); ++i) {
    const tributary_rate_limit_v1& l = rateLimit(i);
    if (!l.name || !isIdentifier(l.name)) {
      return "rate-limit class " + std::to_string(i) + " has the name '" + std::string(l.name ? l.name : "(null)") +
             "', which is not lowercase [a-z0-9_]";
    }
    const std::string named = "rate-limit class '" + std::string(l.name) + "'";
    if (std::string_view(l.name) == "account" || std::string_view(l.name) == "headroom") {
      return named + " takes a name the rate_limit: configuration uses for itself; rename it";
    }
    if (!classes.insert(l.name).second) return named + " is declared twice";
    if (uint32_t unknown = l.flags & ~TRIBUTARY_RATE_LIMIT_KNOWN_FLAGS) {
      return named + " has unknown flag bits " + hex(unknown) +
             " (known: TRIBUTARY_RATE_LIMIT_POINTS 0x1, TRIBUTARY_RATE_LIMIT_QUOTA 0x2, "
             "TRIBUTARY_RATE_LIMIT_EVERY_REQUEST 0x4)";
    }
    if (l.requests == 0) return named + " allows 0 requests (at least 1)";
    if (l.per_ms <= 0) return named + " has the window " + std::to_string(l.per_ms) + " ms (at least 1)";
  }

  if (d_.http_rule_count > 100)
    return "it declares " + std::to_string(d_.http_rule_count) + " HTTP rules (at most 100)";
  if (d_.http_rule_count > 0 && !d_.http_rules)
    return "http_rule_count is " + std::to_string(d_.http_rule_count) + " but http_rules is NULL";
  if (d_.http_rule_count > 0 && d_.http_rules[0].struct_size < sizeof(tributary_http_rule_v1)) {
    return "its HTTP rule entries are truncated (struct_size " + std::to_string(d_.http_rules[0].struct_size) +
           ", ABI 1.1 needs at least " + std::to_string(sizeof(tributary_http_rule_v1)) + ")";
  }
  for (uint32_t i = 0; i < httpRuleCount(); ++i) {
    const tributary_http_rule_v1& r = httpRule(i);
    const std::string named = "HTTP rule " + std::to_string(i);
    if (r.action < TRIBUTARY_HTTP_RULE_RETRY || r.action > TRIBUTARY_HTTP_RULE_REFRESH_AUTH) {
      return named + " has the action " + std::to_string(r.action) +
             " (known: TRIBUTARY_HTTP_RULE_RETRY 1, RATE_LIMIT 2, QUOTA 3, REFRESH_AUTH 4)";
    }
    if (r.status < 100 || r.status > 599)
      return named + " matches the status " + std::to_string(r.status) + " (100..599)";
    if (r.reserved != 0) return named + " has reserved " + hex(r.reserved) + " (reserved: 0)";
    if (r.wait_ms < 0) return named + " has the wait " + std::to_string(r.wait_ms) + " ms (0 or more)";
    const std::string cls = r.limit_class ? r.limit_class : "";
    if (!cls.empty()) {
      if (r.action == TRIBUTARY_HTTP_RULE_RETRY || r.action == TRIBUTARY_HTTP_RULE_REFRESH_AUTH) {
        return named + " names the class '" + cls + "', which a " +
               (r.action == TRIBUTARY_HTTP_RULE_RETRY ? "RETRY" : "REFRESH_AUTH") + " rule cannot";
      }
      if (!classes.count(cls)) return named + " names the class '" + cls + "', which the connector does not declare";
    }
  }
  return validateAuth();
}

std::string DescriptorReader::validateAuth() const {
  if (d_.auth_count > 4) return "it declares " + std::to_string(d_.auth_count) + " auth types (at most 4, one of each)";
  if (d_.auth_count > 0 && !d_.auths) return "auth_count is " + std::to_string(d_.auth_count) + " but auths is NULL";
  if (d_.reserved_auth != 0) return "reserved_auth is " + hex(d_.reserved_auth) + " (reserved: 0)";
  if (d_.auth_count > 0 && d_.auths[0].struct_size < sizeof(tributary_auth_v1)) {
    return "its auth entries are truncated (struct_size " + std::to_string(d_.auths[0].struct_size) +
           ", ABI 1.1 needs at least " + std::to_string(sizeof(tributary_auth_v1)) + ")";
  }
  auto set = [](const char* s) { return s && *s; };
  auto httpUrl = [](const char* s) {
    const std::string_view v(s);
    return v.substr(0, 7) == "http://" || v.substr(0, 8) == "https://";
  };
  bool oauth2 = false;
  std::set<uint32_t> types;
  for (uint32_t i = 0; i < authCount(); ++i) {
    const tributary_auth_v1& a = auth(i);
    const std::string named = "auth type " + std::to_string(i);
    if (a.type < TRIBUTARY_AUTH_BEARER || a.type > TRIBUTARY_AUTH_OAUTH2) {
      return named + " has the type " + std::to_string(a.type) +
             " (known: TRIBUTARY_AUTH_BEARER 1, BASIC 2, API_KEY 3, OAUTH2 4)";
    }
    const std::string kind = std::string(authTypeName(a.type));
    if (!types.insert(a.type).second) return "auth type " + kind + " is declared twice";
    if (uint32_t unknown = a.flags & ~TRIBUTARY_AUTH_KNOWN_FLAGS) {
      return "auth type " + kind + " has unknown flag bits " + hex(unknown) +
             " (known: TRIBUTARY_AUTH_IN_QUERY 0x1, TRIBUTARY_AUTH_PKCE 0x2, TRIBUTARY_AUTH_CLIENT_BASIC 0x4)";
    }
    if (a.reserved != 0) return "auth type " + kind + " has reserved " + hex(a.reserved) + " (reserved: 0)";
    const uint32_t allowed = a.type == TRIBUTARY_AUTH_API_KEY  ? TRIBUTARY_AUTH_IN_QUERY
                             : a.type == TRIBUTARY_AUTH_OAUTH2 ? TRIBUTARY_AUTH_PKCE | TRIBUTARY_AUTH_CLIENT_BASIC
                                                               : 0u;
    if (a.flags & ~allowed)
      return "auth type " + kind + " has the flags " + hex(a.flags & ~allowed) + ", which it cannot";
    if (a.type == TRIBUTARY_AUTH_API_KEY && !set(a.param_name)) {
      return "auth type api_key names no param_name (the header or query parameter that carries the key)";
    }
    if (a.type == TRIBUTARY_AUTH_BASIC && (set(a.param_name) || set(a.value_prefix))) {
      return "auth type basic has a param_name or value_prefix (basic always uses Authorization: Basic)";
    }
    if (set(a.param_name) && !(a.flags & TRIBUTARY_AUTH_IN_QUERY)) {
      for (const char* c = a.param_name; *c; ++c) {
        if (!std::isalnum(static_cast<unsigned char>(*c)) && *c != '-' && *c != '_') {
          return "auth type " + kind + " has the header name '" + a.param_name + "', which is not a header name";
        }
      }
    }
    if (a.type == TRIBUTARY_AUTH_OAUTH2) {
      oauth2 = true;
      if (!set(a.authorize_url) || !httpUrl(a.authorize_url)) return "auth type oauth2 has no http(s) authorize_url";
      if (!set(a.token_url) || !httpUrl(a.token_url)) return "auth type oauth2 has no http(s) token_url";
    } else if (set(a.authorize_url) || set(a.token_url) || set(a.scopes) || set(a.authorize_params)) {
      return "auth type " + kind + " has OAuth URLs, scopes or authorize_params, which only oauth2 takes";
    }
  }
  for (uint32_t i = 0; i < httpRuleCount(); ++i) {
    if (httpRule(i).action == TRIBUTARY_HTTP_RULE_REFRESH_AUTH && !oauth2) {
      return "HTTP rule " + std::to_string(i) +
             " is a REFRESH_AUTH rule, but the connector declares no oauth2 auth type";
    }
  }
  return "";
}

std::string_view authTypeName(uint32_t type) {
  switch (type) {
    case TRIBUTARY_AUTH_BEARER: return "bearer";
    case TRIBUTARY_AUTH_BASIC: return "basic";
    case TRIBUTARY_AUTH_API_KEY: return "api_key";
    case TRIBUTARY_AUTH_OAUTH2: return "oauth2";
  }
  return "unknown";
}

}  // namespace tributary::plugins
