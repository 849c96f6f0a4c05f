#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/ConnectorPlugin.h"
#include "plugins/LogSink.h"
#include "plugins/PluginLoader.h"
#include "plugins/PluginProbe.h"
#include "plugins/RefusedPlugin.h"

namespace tributary::plugins {

// The result of scanning the plugins dirs: the connectors loaded and the files refused.
// A bad file never stops the scan: it is refused with one log line and the scan goes on.
// Plugins and instances outlive the registry safely (they hold their library).
class PluginRegistry {
 public:
  // Where each plugin's code runs while it is scanned.
  enum class Mode {
    // dlopen and the load check (create, destroy) in this process: for `tributary plugins
    // probe` itself, and tools and tests that run plugins in their own process.
    Load,
    // Each file probed in a child process (PluginProbe): no plugin code runs in this process,
    // and the registry holds what the probes described (ConnectorPlugin::hasCode() is false).
    // For serve, `plugins list` and `config check`.
    Probe,
    // Probed in a child first; a file the probe accepted is then loaded here. For workers: a
    // plugin that crashes or hangs while loading never takes one down, and workers load
    // exactly the plugins that serve lists as loaded.
    ProbeThenLoad,
  };

  struct Options {
    Options(std::vector<std::filesystem::path> dirs = {}, LogSink log = {})
        : dirs(std::move(dirs)), log(std::move(log)) {}

    std::vector<std::filesystem::path> dirs;  // scanned in order; files in each by name
    LogSink log;                              // one line per plugin loaded or refused, or dir missing
    // Plugin files taken as they are, after the dirs (`tributary plugins probe FILE`).
    std::vector<std::filesystem::path> files;
    Mode mode = Mode::Load;
    ProbeOptions probe;  // for Probe and ProbeThenLoad
    // The plugins' own log lines during their load checks; unset: `log`.
    LogSink pluginLog;
  };

  // Loads every *.so in the dirs. A missing dir is logged as a warning and skipped.
  static PluginRegistry scan(const Options& options);

  // The default dirs when plugins.dirs is not configured. In a checkout (the build tree
  // exists): BUILD/plugins, where the build puts the connectors (never the test fixtures,
  // which tests name explicitly). Installed: the install prefix's lib/tributary/plugins.
  static std::vector<std::filesystem::path> defaultDirs();

  // The warning for a plugins dir that does not exist or is not a directory, naming it.
  static std::string missingDirMessage(const std::filesystem::path& dir);

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }
  // The scanned dirs that were skipped as missing (see missingDirMessage).
  const std::vector<std::filesystem::path>& missing() const { return missing_; }
  const std::vector<std::shared_ptr<const ConnectorPlugin>>& plugins() const { return plugins_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }

  // By full name ("tributary.example"), or null.
  std::shared_ptr<const ConnectorPlugin> find(std::string_view name) const;
  // By short name ("example"), or null. Short names need not be unique; the first wins.
  std::shared_ptr<const ConnectorPlugin> findByShortName(std::string_view shortName) const;

  // For `tributary plugins list` and GET /api/plugins:
  // {"dirs": [...], "plugins": [loaded..., refused...]} in scan order, each as
  // ConnectorPlugin::toJson() or RefusedPlugin::toJson().
  nlohmann::json toJson() const;

 private:
  // The one path from a file's outcome (loaded here or described by a probe) to the registry:
  // duplicate names, the log line, the listing.
  void add(const std::filesystem::path& file, PluginLoader::Outcome outcome, const LogSink& log);

  std::vector<std::filesystem::path> dirs_;
  std::vector<std::filesystem::path> missing_;
  std::vector<std::shared_ptr<const ConnectorPlugin>> plugins_;
  std::vector<RefusedPlugin> refused_;
  nlohmann::json listing_ = nlohmann::json::array();
};

}  // namespace tributary::plugins
