#include "plugins/PluginRegistry.h"

#include <algorithm>
#include <system_error>

namespace tributary::plugins {

PluginRegistry PluginRegistry::scan(const Options& options) {
  PluginRegistry registry;
  registry.dirs_ = options.dirs;
  auto log = [&](LogLevel level, const std::string& line) {
    if (options.log) options.log(level, line);
  };
  const LogSink& pluginLog = options.pluginLog ? options.pluginLog : options.log;
  const PluginLoader loader(pluginLog);
  const PluginLoader quietLoader;  // after a probe, whose log lines were already replayed

  auto outcome = [&](const std::filesystem::path& file) -> PluginLoader::Outcome {
    switch (options.mode) {
      case Mode::Load: return loader.load(file);
      case Mode::Probe: return PluginProbe::inChild(file, options.probe, pluginLog);
      case Mode::ProbeThenLoad: {
        PluginLoader::Outcome probed = PluginProbe::inChild(file, options.probe, pluginLog);
        return probed.plugin ? quietLoader.load(file) : probed;
      }
    }
    return loader.load(file);
  };

  for (const auto& dir : options.dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      log(LogLevel::Warn, missingDirMessage(dir));
      registry.missing_.push_back(dir);
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const auto& p = it->path();
      const std::string name = p.filename().string();
      if (p.extension() == ".so" && !name.empty() && name[0] != '.') files.push_back(p);
    }
    if (ec) log(LogLevel::Error, "plugins dir " + dir.string() + " cannot be listed: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) registry.add(file, outcome(file), options.log);
  }
  for (const auto& file : options.files) registry.add(file, outcome(file), options.log);
  return registry;
}

void PluginRegistry::add(const std::filesystem::path& file, PluginLoader::Outcome outcome, const LogSink& log) {
  if (outcome.plugin) {
    if (auto first = find(outcome.plugin->name())) {
      outcome.refused =
          RefusedPlugin{file,
                        "duplicate connector name '" + outcome.plugin->name() + "': already loaded from " +
                            first->path().string() + "; remove one of the two files",
                        outcome.plugin->name(), outcome.plugin->version(), outcome.plugin->abiString()};
      outcome.plugin.reset();
    }
  }
  if (outcome.plugin) {
    const auto& p = *outcome.plugin;
    if (log) {
      log(LogLevel::Info,
          "plugin " + p.name() + " " + p.version() + " (ABI " + p.abiString() + ") loaded from " + file.string());
    }
    listing_.push_back(p.toJson());
    plugins_.push_back(std::move(outcome.plugin));
  } else {
    if (log) log(LogLevel::Error, outcome.refused->message());
    listing_.push_back(outcome.refused->toJson());
    refused_.push_back(std::move(*outcome.refused));
  }
}

std::vector<std::filesystem::path> PluginRegistry::defaultDirs() {
  std::error_code ec;
  const std::filesystem::path build = TRIBUTARY_BUILD_PLUGIN_DIR;
  if (std::filesystem::is_directory(build, ec)) return {build};
  return {std::filesystem::path(TRIBUTARY_INSTALL_PREFIX) / "lib" / "tributary" / "plugins"};
}

std::string PluginRegistry::missingDirMessage(const std::filesystem::path& dir) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir, ec);
  return "plugins dir " + dir.string() + (exists ? " is not a directory" : " does not exist") +
         ": no plugin is loaded from it; " + (exists ? "make it a directory" : "create it") +
         ", or correct plugins.dirs";
}

std::shared_ptr<const ConnectorPlugin> PluginRegistry::find(std::string_view name) const {
  for (const auto& p : plugins_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

std::shared_ptr<const ConnectorPlugin> PluginRegistry::findByShortName(std::string_view shortName) const {
  for (const auto& p : plugins_) {
    if (p->shortName() == shortName) return p;
  }
  return nullptr;
}

nlohmann::json PluginRegistry::toJson() const {
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto& d : dirs_) dirs.push_back(d.string());
  return {{"dirs", std::move(dirs)}, {"plugins", listing_}};
}

}  // namespace tributary::plugins
