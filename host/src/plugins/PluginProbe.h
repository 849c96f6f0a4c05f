#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/LogSink.h"
#include "plugins/PluginLoader.h"

namespace tributary::plugins {

class PluginRegistry;

// How a plugin file is probed in a child process.
struct ProbeOptions {
  // A tributary binary: this one by default (serve, `plugins list`, `config check` and the
  // workers are all `tributary`); tests that are not name the built one.
  std::filesystem::path executable = "/proc/self/exe";
  // The child is killed after this long and the plugin refused (plugins.probe_timeout).
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// The load-time probe in a child process, so that a plugin that crashes or hangs in a static
// initializer, its entry point or `create` takes down only the child.
//
// The protocol. The parent runs `EXECUTABLE plugins probe --output-fd 3 FILE` as its own user,
// with its own environment, in a new process group, stdin from /dev/null, fd 3 the write end
// of a pipe, and SIGKILL as its parent-death signal. The child sends its stdout to its stderr
// (so nothing a plugin prints can reach a JSON listing), loads FILE with the PluginLoader
// (the file checks, dlopen, the ABI, the descriptor, create with the declared defaults and
// destroy), writes one JSON report to fd 3, then unloads the plugin and exits 0 (loaded) or
// 1 (refused). The report is the registry's listing plus the plugins' own log lines:
//   {"dirs": [...], "plugins": [ConnectorPlugin::toJson() or RefusedPlugin::toJson()],
//    "log": [{"level": "warn", "message": "..."}]}
// The parent reads the one entry back into the same types (ConnectorPlugin::fromJson, with no
// code behind it, or RefusedPlugin::fromJson) and replays the log lines. A child killed by a
// signal, still running at the timeout (then its process group is killed), or exiting without
// a readable report refuses the plugin, with the signal, the timeout or the exit status.
class PluginProbe {
 public:
  // The parent's side: probes `file` in a child. The plugin's own log lines go to `pluginLog`.
  static PluginLoader::Outcome inChild(const std::filesystem::path& file, const ProbeOptions& options,
                                       const LogSink& pluginLog);

  // The child's side (`tributary plugins probe`), once it has scanned in its own process: the
  // report of `registry`, with the plugins' own log lines.
  struct LogLine {
    LogLevel level;
    std::string message;
  };
  static nlohmann::json report(const PluginRegistry& registry, const std::vector<LogLine>& log);
};

}  // namespace tributary::plugins
