#include "plugins/ConnectorPlugin.h"

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

ConnectorPlugin::ConnectorPlugin(std::shared_ptr<const void> library, const tributary_connector_v1* descriptor,
                                 std::filesystem::path path)
    : library_(std::move(library)), descriptor_(descriptor), path_(std::move(path)) {
  DescriptorReader reader(*descriptor);
  name_ = descriptor->name;
  version_ = descriptor->version ? descriptor->version : "";
  description_ = descriptor->description ? descriptor->description : "";
  for (uint32_t i = 0; i < descriptor->stream_count; ++i) {
    const tributary_stream_v1& s = reader.stream(i);
    streams_.push_back({s.name, s.primary_key ? s.primary_key : "", s.cursor_field ? s.cursor_field : "",
                        s.entity ? s.entity : "", s.description ? s.description : ""});
  }
  for (uint32_t i = 0; i < descriptor->config_key_count; ++i) {
    const tributary_config_key_v1& k = reader.configKey(i);
    ConfigKeyDescriptor c;
    c.key = k.key;
    c.type = static_cast<ConfigType>(k.type - TRIBUTARY_CONFIG_STRING);
    c.required = (k.flags & TRIBUTARY_CONFIG_REQUIRED) != 0;
    c.secret = (k.flags & TRIBUTARY_CONFIG_SECRET) != 0;
    if (k.default_value) c.defaultValue = k.default_value;
    c.description = k.description ? k.description : "";
    config_.push_back(std::move(c));
  }
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
                       {"description", s.description}});
  }
  nlohmann::json config = nlohmann::json::array();
  for (const auto& k : config_) {
    config.push_back({{"key", k.key},
                      {"type", toString(k.type)},
                      {"required", k.required},
                      {"secret", k.secret},
                      {"default", k.defaultValue ? nlohmann::json(*k.defaultValue) : nlohmann::json()},
                      {"description", k.description}});
  }
  return {{"name", name_},
          {"short_name", shortName()},
          {"version", version_},
          {"description", description_},
          {"abi", abiString()},
          {"path", path_.string()},
          {"status", "loaded"},
          {"streams", std::move(streams)},
          {"config", std::move(config)}};
}

}  // namespace tributary::plugins
