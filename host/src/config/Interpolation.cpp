#include "config/Interpolation.h"

#include <cctype>
#include <cstdlib>

namespace tributary::config {

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::optional<std::string> interpolate(std::string_view text, const EnvLookup& env, std::string& error,
                                       bool* usedEnvironment) {
  if (usedEnvironment) *usedEnvironment = false;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.push_back(text[i++]);
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated ${ in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      error = "invalid environment variable reference ${" + std::string(inner) + "}";
      return std::nullopt;
    }
    auto value = env(std::string(name));
    if (usedEnvironment) *usedEnvironment = true;
    if (value && (!fallback || !value->empty())) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      error = "environment variable " + std::string(name) + " is not set (use ${" + std::string(name) +
              ":-default} to give a default)";
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace tributary::config
