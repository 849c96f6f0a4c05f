#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tributary::plugins {

// A file in a plugins dir that was not loaded, and why. What the loader could learn of it
// before refusing (name, version, ABI) is kept for the listing.
struct RefusedPlugin {
  std::filesystem::path path;
  std::string reason;  // "was built for connector ABI 2.0, but ..." (does not repeat the path)
  std::optional<std::string> name;
  std::optional<std::string> version;
  std::optional<std::string> abi;  // "2.0"

  // The log line: "plugin <path> refused: <reason>"
  std::string message() const;
  // {path, status: "refused", reason, name?, version?, abi?}
  nlohmann::json toJson() const;
  // toJson() read back (what a probe in a child process reported). Throws
  // std::invalid_argument naming the first field that is missing or of the wrong type.
  static RefusedPlugin fromJson(const nlohmann::json& j);
};

}  // namespace tributary::plugins
