#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>

namespace tributary::log {

enum class Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };
enum class Format { Text, Json };

// Returns false and leaves `out` alone when `name` is not a level name.
bool parseLevel(std::string_view name, Level& out);
std::string_view levelName(Level level);

// Process-wide settings. Logging goes to stderr, one line per event, safe from any thread.
void configure(Level level, Format format);
Level level();
bool enabled(Level level);

// Tags every line of this process (for example "worker-2"), so that a supervisor's merged
// output says which child wrote it.
void setProcessTag(std::string tag);

void write(Level level, std::string_view component, std::string_view message);

template <typename... Args>
void log(Level lvl, std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (!enabled(lvl)) return;
  write(lvl, component, fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void trace(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  log(Level::Trace, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void debug(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  log(Level::Debug, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void info(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  log(Level::Info, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void warn(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  log(Level::Warn, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void error(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  log(Level::Error, c, f, std::forward<Args>(a)...);
}

}  // namespace tributary::log
