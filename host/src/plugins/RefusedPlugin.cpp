#include "plugins/RefusedPlugin.h"

#include <stdexcept>

namespace tributary::plugins {

std::string RefusedPlugin::message() const { return "plugin " + path.string() + " refused: " + reason; }

nlohmann::json RefusedPlugin::toJson() const {
  nlohmann::json j = {{"path", path.string()}, {"status", "refused"}, {"reason", reason}};
  j["name"] = name ? nlohmann::json(*name) : nlohmann::json();
  j["version"] = version ? nlohmann::json(*version) : nlohmann::json();
  j["abi"] = abi ? nlohmann::json(*abi) : nlohmann::json();
  return j;
}

RefusedPlugin RefusedPlugin::fromJson(const nlohmann::json& j) {
  auto field = [&](const char* key) -> const nlohmann::json& {
    if (!j.is_object()) throw std::invalid_argument("refused plugin is not an object");
    auto it = j.find(key);
    if (it == j.end()) throw std::invalid_argument(std::string("refused plugin has no \"") + key + "\"");
    return *it;
  };
  auto string = [&](const char* key) {
    const auto& v = field(key);
    if (!v.is_string()) throw std::invalid_argument(std::string("refused plugin.") + key + " is not a string");
    return v.get<std::string>();
  };
  auto optional = [&](const char* key) -> std::optional<std::string> {
    if (field(key).is_null()) return std::nullopt;
    return string(key);
  };
  if (string("status") != "refused") throw std::invalid_argument("refused plugin.status is not \"refused\"");
  return RefusedPlugin{string("path"), string("reason"), optional("name"), optional("version"), optional("abi")};
}

}  // namespace tributary::plugins
