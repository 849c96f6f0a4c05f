#include "config/Section.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "common/Files.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "config/Duration.h"

namespace tributary::config {
namespace {

std::string describeNode(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "\"" + n.Scalar() + "\"";
    default: return "nothing";
  }
}

}  // namespace

Section::Section(std::shared_ptr<FileContext> ctx, YAML::Node node, std::string path)
    : node_(std::move(node)), ctx_(std::move(ctx)), path_(std::move(path)) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) {
    errorAt(node_, path_, "expected a mapping, got " + describeNode(node_));
    node_ = YAML::Node(YAML::NodeType::Map);
  }
}

bool Section::isMap() const { return node_ && node_.IsMap(); }

bool Section::has(const std::string& key) const {
  if (!isMap()) return false;
  const YAML::Node& n = node_;
  YAML::Node v = n[key];
  return v.IsDefined() && !v.IsNull();
}

YAML::Node Section::raw(const std::string& key) const {
  if (!isMap()) return YAML::Node();
  const YAML::Node& n = node_;
  return n[key];
}

std::string Section::childPath(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void Section::errorAt(const YAML::Node& node, const std::string& path, const std::string& message) const {
  Diagnostic d;
  d.file = ctx_->file;
  if (node.IsDefined()) {
    d.line = node.Mark().line + 1;
    d.column = node.Mark().column + 1;
  }
  d.path = path;
  d.message = message;
  if (ctx_->diagnostics) ctx_->diagnostics->add(std::move(d));
}

void Section::error(const std::string& key, const std::string& message) const {
  YAML::Node v = raw(key);
  errorAt(v.IsDefined() ? v : node_, childPath(key), message);
}

void Section::accept(const std::string& key) { known_.insert(key); }

std::optional<std::string> Section::scalar(const std::string& key) {
  ValueSource ignored;
  return scalar(key, ignored);
}

Location Section::location() const {
  Location l{ctx_->file, 0, 0};
  if (node_ && node_.Mark().line >= 0) {
    l.line = node_.Mark().line + 1;
    l.column = node_.Mark().column + 1;
  }
  return l;
}

Location Section::location(const std::string& key) const {
  YAML::Node v = raw(key);
  if (!v.IsDefined()) return location();
  return Location{ctx_->file, v.Mark().line + 1, v.Mark().column + 1};
}

Location Section::keyLocation(const std::string& key) const {
  if (isMap()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        return Location{ctx_->file, it->first.Mark().line + 1, it->first.Mark().column + 1};
      }
    }
  }
  return location();
}

std::optional<std::string> Section::scalar(const std::string& key, ValueSource& source) {
  source = ValueSource::Literal;
  known_.insert(key);
  YAML::Node v = raw(key);
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  if (v.IsMap()) {
    YAML::Node file = v["secret_file"];
    if (v.size() == 1 && file.IsDefined() && file.IsScalar()) {
      std::string err;
      auto expanded = interpolate(file.Scalar(), ctx_->env, err);
      if (!expanded) {
        errorAt(file, childPath(key) + ".secret_file", err);
        return std::nullopt;
      }
      auto p = files::resolveAgainst(ctx_->baseDir, *expanded);
      source = ValueSource::SecretFile;
      try {
        std::string content = files::readFile(p);
        while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
          content.pop_back();
        }
        // A secret_file holds a secret whatever its key: from here on this process redacts it
        // from every log line and stored error (common/Redact.h).
        redact::remember(content);
        return content;
      } catch (const std::exception& e) {
        errorAt(file, childPath(key) + ".secret_file", std::string("cannot read secret file: ") + e.what());
        return std::nullopt;
      }
    }
    errorAt(v, childPath(key), "expected a value or {secret_file: PATH}, got " + describeNode(v));
    return std::nullopt;
  }
  if (!v.IsScalar()) {
    errorAt(v, childPath(key), "expected a single value, got " + describeNode(v));
    return std::nullopt;
  }
  std::string err;
  bool fromEnv = false;
  auto expanded = interpolate(v.Scalar(), ctx_->env, err, &fromEnv);
  if (!expanded) {
    errorAt(v, childPath(key), err);
    return std::nullopt;
  }
  if (fromEnv) source = ValueSource::Environment;
  return expanded;
}

std::string Section::string(const std::string& key, const std::string& def) {
  auto v = scalar(key);
  return v ? *v : def;
}

std::filesystem::path Section::filePath(const std::string& key, const std::filesystem::path& def) {
  auto v = scalar(key);
  if (!v || v->empty()) return def.empty() ? def : files::resolveAgainst(ctx_->baseDir, def);
  return files::resolveAgainst(ctx_->baseDir, *v);
}

int64_t Section::integer(const std::string& key, int64_t def, int64_t min, int64_t max) {
  auto v = scalar(key);
  if (!v) return def;
  int64_t value = 0;
  std::string_view s = strings::trim(*v);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    error(key, "expected an integer, got \"" + *v + "\"");
    return def;
  }
  if (value < min || value > max) {
    error(key, fmt::format("must be between {} and {}, got {}", min, max, value));
    return def;
  }
  return value;
}

double Section::number(const std::string& key, double def, double min, double max) {
  auto v = scalar(key);
  if (!v) return def;
  double value = 0;
  std::string_view s = strings::trim(*v);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || !std::isfinite(value)) {
    error(key, "expected a number, got \"" + *v + "\"");
    return def;
  }
  if (value < min || value > max) {
    error(key, fmt::format("must be between {} and {}, got {}", min, max, value));
    return def;
  }
  return value;
}

bool Section::boolean(const std::string& key, bool def) {
  auto v = scalar(key);
  if (!v) return def;
  std::string s = strings::toLower(strings::trim(*v));
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  error(key, "expected true or false, got \"" + *v + "\"");
  return def;
}

std::chrono::milliseconds Section::duration(const std::string& key, std::chrono::milliseconds def,
                                            std::chrono::milliseconds min) {
  auto v = scalar(key);
  if (!v) return def;
  auto d = parseDuration(strings::trim(*v));
  if (!d) {
    error(key, "expected a duration such as 500ms, 30s, 5m, 2h or 1d, got \"" + *v + "\"");
    return def;
  }
  if (*d < min) {
    error(key, "must be at least " + formatDuration(min) + ", got " + *v);
    return def;
  }
  return *d;
}

std::string Section::choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
  auto v = scalar(key);
  if (!v) return def;
  for (const auto& a : allowed) {
    if (a == *v) return *v;
  }
  std::string msg = "must be one of " + strings::join(allowed, ", ") + ", got \"" + *v + "\"";
  auto suggestion = strings::closestMatch(*v, allowed);
  if (!suggestion.empty()) msg += " (did you mean \"" + suggestion + "\"?)";
  error(key, msg);
  return def;
}

std::vector<std::string> Section::stringList(const std::string& key, const std::vector<std::string>& def) {
  known_.insert(key);
  YAML::Node v = raw(key);
  if (!v.IsDefined() || v.IsNull()) return def;
  if (!v.IsSequence()) {
    errorAt(v, childPath(key), "expected a list, got " + describeNode(v));
    return def;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    YAML::Node item = v[i];
    std::string itemPath = childPath(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) {
      errorAt(item, itemPath, "expected a value, got " + describeNode(item));
      continue;
    }
    std::string err;
    auto expanded = interpolate(item.Scalar(), ctx_->env, err);
    if (!expanded) {
      errorAt(item, itemPath, err);
      continue;
    }
    out.push_back(*expanded);
  }
  return out;
}

std::vector<std::filesystem::path> Section::pathList(const std::string& key,
                                                     const std::vector<std::filesystem::path>& def) {
  if (!has(key)) {
    known_.insert(key);
    return def;
  }
  std::vector<std::filesystem::path> out;
  for (const auto& s : stringList(key, {})) out.push_back(files::resolveAgainst(ctx_->baseDir, s));
  return out;
}

Section Section::section(const std::string& key) {
  known_.insert(key);
  YAML::Node v = raw(key);
  if (!v.IsDefined() || v.IsNull()) return Section(ctx_, YAML::Node(YAML::NodeType::Map), childPath(key));
  return Section(ctx_, v, childPath(key));
}

std::vector<Section> Section::sectionList(const std::string& key) {
  known_.insert(key);
  std::vector<Section> out;
  YAML::Node v = raw(key);
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) {
    errorAt(v, childPath(key), "expected a list, got " + describeNode(v));
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(ctx_, v[i], childPath(key) + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  if (!isMap()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.push_back(it->first.Scalar());
  return out;
}

void Section::finish() {
  if (!isMap()) return;
  std::vector<std::string> known(known_.begin(), known_.end());
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (known_.count(key)) continue;
    std::string msg = "unknown key";
    auto suggestion = strings::closestMatch(key, known);
    if (!suggestion.empty()) msg += " (did you mean \"" + suggestion + "\"?)";
    errorAt(it->first, childPath(key), msg);
  }
}

}  // namespace tributary::config
