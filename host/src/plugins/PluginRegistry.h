#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/ConnectorPlugin.h"
#include "plugins/LogSink.h"
#include "plugins/RefusedPlugin.h"

namespace tributary::plugins {

// The result of scanning the plugins dirs: the connectors loaded and the files refused.
// A bad file never stops the scan: it is refused with one log line and the scan goes on.
// Plugins and instances outlive the registry safely (they hold their library).
class PluginRegistry {
 public:
  struct Options {
    std::vector<std::filesystem::path> dirs;  // scanned in order; files in each by name
    LogSink log;                              // one line per plugin loaded or refused
  };

  // Loads every *.so in the dirs. A missing dir is logged as a warning and skipped.
  static PluginRegistry scan(const Options& options);

  // The default dirs when plugins.dirs is not configured. In a checkout (the build tree
  // exists): BUILD/plugins, then BUILD/tests/fixture-plugins if the tests were built (so
  // `tributary plugins list` shows the fixtures refused). Installed: the install prefix's
  // lib/tributary/plugins.
  static std::vector<std::filesystem::path> defaultDirs();

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }
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
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::shared_ptr<const ConnectorPlugin>> plugins_;
  std::vector<RefusedPlugin> refused_;
  nlohmann::json listing_ = nlohmann::json::array();
};

}  // namespace tributary::plugins
