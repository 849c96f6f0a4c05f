#include "cli/PluginsListCommand.h"

#include <Poco/Util/Option.h>

#include <algorithm>
#include <iostream>

#include "app/ConnectionValidator.h"
#include "common/Log.h"
#include "common/Strings.h"
#include "config/ConfigLoader.h"

namespace tributary::cli {
namespace {

// A problem with a workspace or a connection (in the main file or in connections.d/), which
// this command never touches: an unset ${ENV} secret, an unknown workspace.
bool aboutConnections(const config::Diagnostic& d, const std::filesystem::path& configFile) {
  for (std::string_view section : {"connections", "workspaces"}) {
    if (d.path.rfind(section, 0) == 0 &&
        (d.path.size() == section.size() || d.path[section.size()] == '[' || d.path[section.size()] == '.')) {
      return true;
    }
  }
  return std::filesystem::path(d.file).parent_path() == configFile.parent_path() / "connections.d";
}

}  // namespace

PluginsListCommand::PluginsListCommand()
    : Command("plugins list", "[--json]",
              "Lists every plugin in the plugin dirs: name, version, ABI, path and streams of the "
              "loaded ones, and why each refused file was refused. Each plugin is probed in a child process "
              "(`tributary plugins probe`), so a plugin that crashes or hangs is listed as refused. Reads only "
              "plugins.dirs, plugins.probe_timeout and logging from the configuration: its connections (and "
              "their secrets) are not needed. Needs no database.") {}

void PluginsListCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Poco::Util::Option("json", "", "print the listing as JSON").required(false).repeatable(false));
}

bool PluginsListCommand::handleCommandOption(const std::string& name, const std::string&) {
  if (name == "json") json_ = true;
  return name == "json";
}

std::optional<config::Config> PluginsListCommand::loadPluginSettings() {
  const auto file = configPath();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return config::Config{};  // the default dirs
  auto r = config::ConfigLoader().loadFile(file);
  config::Diagnostics problems;
  for (const auto& d : r.diagnostics.items()) {
    if (!aboutConnections(d, r.config.file)) problems.add(d);
  }
  if (!problems.empty()) {
    std::cerr << problems.format() << "tributary plugins list: " << problems.size()
              << " problem(s) in the configuration " << file.string() << "\n";
    return std::nullopt;
  }
  if (logLevelOverride()) {
    log::parseLevel(*logLevelOverride(), r.config.logging.level);
  } else if (r.config.logging.level < log::Level::Warn) {
    r.config.logging.level = log::Level::Warn;
  }
  log::configure(r.config.logging.level, r.config.logging.format);
  return r.config;
}

int PluginsListCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) return kUsage;
  auto cfg = loadPluginSettings();
  if (!cfg) return kFailure;
  // In child processes: a plugin that crashes or hangs while loading is refused, not fatal here.
  auto registry = app::probePlugins(*cfg, /*quiet=*/true);
  for (const auto& dir : registry.missing()) {
    std::cerr << "warning: " << plugins::PluginRegistry::missingDirMessage(dir) << "\n";
  }
  if (json_) {
    std::cout << registry.toJson().dump(2) << "\n";
    return kOk;
  }
  std::cout << "plugin dirs: ";
  std::vector<std::string> dirs;
  for (const auto& d : registry.dirs()) {
    const bool missing = std::find(registry.missing().begin(), registry.missing().end(), d) != registry.missing().end();
    dirs.push_back(d.string() + (missing ? " (missing)" : ""));
  }
  std::cout << strings::join(dirs, ", ") << "\n\n";
  for (const auto& p : registry.plugins()) {
    std::vector<std::string> streams;
    for (const auto& s : p->streams()) {
      std::string line = s.entity.empty() ? s.name : s.name + "→" + s.entity;
      std::vector<std::string> flags;
      for (const auto& f : plugins::streamFlagsJson(s.flags)) flags.push_back(f.get<std::string>());
      if (!flags.empty()) line += " [" + strings::join(flags, ",") + "]";
      streams.push_back(line);
    }
    std::cout << "loaded   " << p->name() << " " << p->version() << " (ABI " << p->abiString() << ")\n"
              << "         " << p->path().string() << "\n"
              << "         streams: " << (streams.empty() ? "(none declared)" : strings::join(streams, ", "))
              << (p->discoversStreams() ? " (each connection discovers its own: tributary connections streams)" : "")
              << "\n";
  }
  for (const auto& r : registry.refused()) {
    std::cout << "refused  " << r.path.string() << "\n"
              << "         " << r.reason << "\n";
  }
  std::cout << "\n" << registry.plugins().size() << " loaded, " << registry.refused().size() << " refused\n";
  return kOk;
}

}  // namespace tributary::cli
