#include "plugins/RefusedPlugin.h"

namespace tributary::plugins {

std::string RefusedPlugin::message() const { return "plugin " + path.string() + " refused: " + reason; }

nlohmann::json RefusedPlugin::toJson() const {
  nlohmann::json j = {{"path", path.string()}, {"status", "refused"}, {"reason", reason}};
  j["name"] = name ? nlohmann::json(*name) : nlohmann::json();
  j["version"] = version ? nlohmann::json(*version) : nlohmann::json();
  j["abi"] = abi ? nlohmann::json(*abi) : nlohmann::json();
  return j;
}

}  // namespace tributary::plugins
