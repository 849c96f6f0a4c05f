#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
EnvLookup processEnvironment();

// Expands ${VAR} and ${VAR:-default} in `text`; "$${" is a literal "${". On an unset variable
// with no default, or a malformed reference, returns nullopt and sets `error`.
// `usedEnvironment`, when given, says whether any reference was expanded.
std::optional<std::string> interpolate(std::string_view text, const EnvLookup& env, std::string& error,
                                       bool* usedEnvironment = nullptr);

}  // namespace tributary::config
