#include "ConfigNode.h"

#include <algorithm>

namespace tributary::sim {

ConfigNode::ConfigNode(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  // A missing key is a "zombie" node in yaml-cpp that throws on use; keep a plain null.
  if (!node_.IsDefined()) node_ = YAML::Node();
}

namespace {

YAML::Node lookup(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap()) return YAML::Node();
  const YAML::Node& constMap = map;
  YAML::Node value = constMap[key];
  return value.IsDefined() ? value : YAML::Node();
}

}  // namespace

std::string ConfigNode::where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file_;
  return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string ConfigNode::keyPath(const std::string& key) const {
  if (path_.empty()) return key;
  if (key.empty()) return path_;
  return path_ + "." + key;
}

void ConfigNode::fail(const std::string& key, const std::string& message) const {
  YAML::Node at = node_;
  if (!key.empty() && has(key)) at = lookup(node_, key);
  const std::string path = keyPath(key);
  throw ConfigError(where(at) + ": " + (path.empty() ? "" : path + ": ") + message);
}

bool ConfigNode::has(const std::string& key) const {
  const YAML::Node value = lookup(node_, key);
  return value.IsDefined() && !value.IsNull();
}

ConfigNode ConfigNode::child(const std::string& key) const {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) fail("", "expected a mapping");
  YAML::Node value = lookup(node_, key);
  if (value.IsDefined() && !value.IsNull() && !value.IsMap() && !value.IsSequence() && !value.IsScalar()) {
    fail(key, "unsupported YAML node");
  }
  return ConfigNode(value, file_, keyPath(key));
}

void ConfigNode::allowOnly(const std::vector<std::string>& allowed) const {
  if (!defined()) return;
  if (!node_.IsMap()) fail("", "expected a mapping");
  for (const auto& entry : node_) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (const auto& name : allowed) known += (known.empty() ? "" : ", ") + name;
      throw ConfigError(where(entry.first) + ": " + keyPath(key) + ": unknown key (allowed: " + known + ")");
    }
  }
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  if (!defined()) return out;
  if (!node_.IsMap()) fail("", "expected a mapping");
  for (const auto& entry : node_) out.push_back(entry.first.as<std::string>());
  return out;
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!defined()) return out;
  if (!node_.IsSequence()) fail("", "expected a list");
  for (size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(node_[i], file_, path_ + "[" + std::to_string(i) + "]");
  }
  return out;
}

YAML::Node ConfigNode::scalar(const std::string& key) const {
  if (!has(key)) return YAML::Node();
  YAML::Node value = lookup(node_, key);
  if (!value.IsScalar()) fail(key, "expected a single value, not a list or mapping");
  return value;
}

uint64_t ConfigNode::count(const std::string& key, uint64_t fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = scalar(key);
  const std::string text = value.Scalar();
  if (text.empty() || text.find_first_not_of("0123456789_") != std::string::npos) {
    fail(key, "expected a non-negative integer, got '" + text + "'");
  }
  std::string digits;
  for (char c : text)
    if (c != '_') digits += c;
  try {
    return std::stoull(digits);
  } catch (const std::exception&) {
    fail(key, "integer out of range: '" + text + "'");
  }
}

int64_t ConfigNode::integer(const std::string& key, int64_t fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = scalar(key);
  try {
    size_t used = 0;
    const int64_t out = std::stoll(value.Scalar(), &used);
    if (used != value.Scalar().size()) throw std::invalid_argument("trailing");
    return out;
  } catch (const std::exception&) {
    fail(key, "expected an integer, got '" + value.Scalar() + "'");
  }
}

double ConfigNode::number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = scalar(key);
  try {
    size_t used = 0;
    const double out = std::stod(value.Scalar(), &used);
    if (used != value.Scalar().size()) throw std::invalid_argument("trailing");
    return out;
  } catch (const std::exception&) {
    fail(key, "expected a number, got '" + value.Scalar() + "'");
  }
}

double ConfigNode::probability(const std::string& key, double fallback) const {
  const double value = number(key, fallback);
  if (value < 0 || value > 1) fail(key, "expected a probability between 0 and 1");
  return value;
}

std::string ConfigNode::text(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = scalar(key);
  return value.Scalar();
}

bool ConfigNode::flag(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = scalar(key);
  const std::string text = value.Scalar();
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, "expected true or false, got '" + text + "'");
}

std::vector<std::string> ConfigNode::texts(const std::string& key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  YAML::Node value = lookup(node_, key);
  if (!value.IsSequence()) fail(key, "expected a list of strings");
  for (const auto& item : value) {
    if (!item.IsScalar()) fail(key, "expected a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

namespace {

nlohmann::json yamlToJson(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(yamlToJson(item));
    return out;
  }
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& entry : node) out[entry.first.as<std::string>()] = yamlToJson(entry.second);
    return out;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted in the file: keep as a string
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  if (!text.empty() && text.find_first_not_of("-0123456789") == std::string::npos) {
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
    }
  }
  if (!text.empty() && text.find_first_not_of("-0123456789.eE+") == std::string::npos) {
    try {
      size_t used = 0;
      const double value = std::stod(text, &used);
      if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
  }
  return text;
}

}  // namespace

nlohmann::json ConfigNode::toJson() const { return yamlToJson(node_); }

}  // namespace tributary::sim
