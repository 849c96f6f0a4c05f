#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "ConfigError.h"

namespace tributary::sim {

// A node of the scenario file that knows where it came from ("scenario.yaml:12:5",
// "vendors.hubspot.rate_limits"), so every error names the file, line and key.
class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::string file, std::string path);

  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool has(const std::string& key) const;
  ConfigNode child(const std::string& key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  // Throws naming the first key that is not in `allowed`.
  void allowOnly(const std::vector<std::string>& allowed) const;
  std::vector<std::string> keys() const;
  std::vector<ConfigNode> items() const;

  uint64_t count(const std::string& key, uint64_t fallback) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  double number(const std::string& key, double fallback) const;
  // In [0, 1].
  double probability(const std::string& key, double fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  std::vector<std::string> texts(const std::string& key) const;
  // This node as JSON (scalars that look like numbers or booleans become those).
  nlohmann::json toJson() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  std::string where(const YAML::Node& node) const;
  std::string keyPath(const std::string& key) const;
  YAML::Node scalar(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
};

}  // namespace tributary::sim
