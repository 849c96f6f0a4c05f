#include "plugins/DescriptorReader.h"

#include <cstddef>
#include <set>
#include <string_view>

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

}  // namespace

bool isCanonicalEntity(const std::string& entity) {
  static const std::set<std::string> kEntities = {"deals", "contacts", "accounts", "calls", "documents", "tasks"};
  return kEntities.count(entity) > 0;
}

const tributary_stream_v1& DescriptorReader::stream(uint32_t i) const {
  const char* base = reinterpret_cast<const char*>(d_.streams);
  return *reinterpret_cast<const tributary_stream_v1*>(base + std::size_t{i} * d_.streams[0].struct_size);
}

const tributary_config_key_v1& DescriptorReader::configKey(uint32_t i) const {
  const char* base = reinterpret_cast<const char*>(d_.config_keys);
  return *reinterpret_cast<const tributary_config_key_v1*>(base + std::size_t{i} * d_.config_keys[0].struct_size);
}

std::string DescriptorReader::validate() const {
  if (d_.struct_size < sizeof(tributary_connector_v1)) {
    return "its descriptor is truncated (struct_size " + std::to_string(d_.struct_size) + ", ABI 1.0 needs at least " +
           std::to_string(sizeof(tributary_connector_v1)) + ")";
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

  if (d_.stream_count == 0 || !d_.streams) return "it declares no streams";
  if (d_.stream_count > kMaxItems) return "it declares " + std::to_string(d_.stream_count) + " streams (at most 1000)";
  if (d_.streams[0].struct_size < sizeof(tributary_stream_v1)) {
    return "its stream entries are truncated (struct_size " + std::to_string(d_.streams[0].struct_size) +
           ", ABI 1.0 needs at least " + std::to_string(sizeof(tributary_stream_v1)) + ")";
  }
  std::set<std::string> names;
  for (uint32_t i = 0; i < d_.stream_count; ++i) {
    const tributary_stream_v1& s = stream(i);
    if (!s.name || !isIdentifier(s.name)) {
      return "stream " + std::to_string(i) + " has the name '" + std::string(s.name ? s.name : "(null)") +
             "', which is not lowercase [a-z0-9_]";
    }
    if (!names.insert(s.name).second) return "stream '" + std::string(s.name) + "' is declared twice";
    std::string entity = s.entity ? s.entity : "";
    if (!entity.empty() && !isCanonicalEntity(entity)) {
      return "stream '" + std::string(s.name) + "' maps to unknown entity '" + entity +
             "' (known: deals, contacts, accounts, calls, documents, tasks, or \"\")";
    }
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
    if (!k.key || !isIdentifier(k.key)) {
      return "setting " + std::to_string(i) + " has the key '" + std::string(k.key ? k.key : "(null)") +
             "', which is not lowercase [a-z0-9_]";
    }
    if (!keys.insert(k.key).second) return "setting '" + std::string(k.key) + "' is declared twice";
    if (k.type < TRIBUTARY_CONFIG_STRING || k.type > TRIBUTARY_CONFIG_BOOLEAN) {
      return "setting '" + std::string(k.key) + "' has unknown type " + std::to_string(k.type);
    }
  }
  return "";
}

}  // namespace tributary::plugins
