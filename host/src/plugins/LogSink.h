#pragma once

#include <functional>
#include <string_view>

namespace tributary::plugins {

// Levels of plugin log lines and loader messages (the ABI's TRIBUTARY_LOG_* values).
enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

// Where the loader and plugin instances write their lines. The host's logging wires in
// here; an empty sink drops them.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace tributary::plugins
