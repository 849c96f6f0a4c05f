#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tributary/connector_abi.h"

namespace tributary::plugins {

// Reads a plugin's descriptor the way the ABI says: arrays strided by their elements'
// struct_size, nothing read beyond a struct_size. validate() says what is wrong, if anything.
class DescriptorReader {
 public:
  explicit DescriptorReader(const tributary_connector_v1& descriptor) : d_(descriptor) {}

  const tributary_stream_v1& stream(uint32_t i) const;
  const tributary_config_key_v1& configKey(uint32_t i) const;

  // 1.1: the fields a 1.0 descriptor does not have read as absent (null, 0).
  bool has11() const;  // the descriptor carries the 1.1 fields
  tributary_result (*discover() const)(tributary_instance*, tributary_host_ctx*);
  uint32_t linkTypeCount() const;
  const tributary_link_type_v1& linkType(uint32_t i) const;
  uint32_t actionCount() const;
  const tributary_action_v1& action(uint32_t i) const;
  const tributary_config_key_v1& actionBodyKey(uint32_t action, uint32_t i) const;
  // 1.1 http
  uint32_t rateLimitCount() const;
  const tributary_rate_limit_v1& rateLimit(uint32_t i) const;
  uint32_t httpRuleCount() const;
  const tributary_http_rule_v1& httpRule(uint32_t i) const;
  // 1.1 auth
  uint32_t authCount() const;
  const tributary_auth_v1& auth(uint32_t i) const;

  // The first problem found ("stream 2 has an empty name"), or "" when the descriptor is
  // usable by this host. Call after the ABI version check.
  std::string validate() const;

 private:
  std::string validate11() const;    // the 1.1 fields
  std::string validateHttp() const;  // the 1.1 http fields
  std::string validateAuth() const;  // the 1.1 auth fields

  const tributary_connector_v1& d_;
};

// "bearer", "basic", "api_key", "oauth2" for a TRIBUTARY_AUTH_* type ("unknown" else): the names a
// connection's auth.type gives.
std::string_view authTypeName(uint32_t type);

// The canonical entities of docs/canonical-model.md.
bool isCanonicalEntity(const std::string& entity);

// The size of a 1.0 descriptor: everything before the 1.1 fields.
inline constexpr uint32_t kDescriptorSize10 = offsetof(tributary_connector_v1, discover);

// The problem with one stream, declared or discovered, or "": "stream 3 has the name 'Deals',
// which is not lowercase [a-z0-9_]", "discovered stream 'orders' has unknown flag bits 0x8
// (known: ...)". `kind` ("stream", "discovered stream") and `index` name it.
std::string checkStream(const tributary_stream_v1& s, const std::string& kind, uint32_t index);
// The problem with one typed key (a setting, or an action's body field), or "".
std::string checkConfigKey(const tributary_config_key_v1& k, const std::string& kind, uint32_t index);

}  // namespace tributary::plugins
