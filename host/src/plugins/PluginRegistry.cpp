#include "plugins/PluginRegistry.h"

#include <algorithm>
#include <system_error>

#include "plugins/PluginLoader.h"

namespace tributary::plugins {

PluginRegistry PluginRegistry::scan(const Options& options) {
  PluginRegistry registry;
  registry.dirs_ = options.dirs;
  auto log = [&](LogLevel level, const std::string& line) {
    if (options.log) options.log(level, line);
  };
  PluginLoader loader(options.log);

  for (const auto& dir : options.dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      log(LogLevel::Warn, "plugins dir " + dir.string() + " does not exist or is not a directory; skipped");
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

    for (const auto& file : files) {
      PluginLoader::Outcome outcome = loader.load(file);
      if (outcome.plugin) {
        if (auto first = registry.find(outcome.plugin->name())) {
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
        log(LogLevel::Info,
            "plugin " + p.name() + " " + p.version() + " (ABI " + p.abiString() + ") loaded from " + file.string());
        registry.listing_.push_back(p.toJson());
        registry.plugins_.push_back(std::move(outcome.plugin));
      } else {
        log(LogLevel::Error, outcome.refused->message());
        registry.listing_.push_back(outcome.refused->toJson());
        registry.refused_.push_back(std::move(*outcome.refused));
      }
    }
  }
  return registry;
}

std::vector<std::filesystem::path> PluginRegistry::defaultDirs() {
  std::error_code ec;
  const std::filesystem::path build = TRIBUTARY_BUILD_PLUGIN_DIR;
  if (std::filesystem::is_directory(build, ec)) {
    std::vector<std::filesystem::path> dirs{build};
    const auto fixtures = build.parent_path() / "tests" / "fixture-plugins";
    if (std::filesystem::is_directory(fixtures, ec)) dirs.push_back(fixtures);
    return dirs;
  }
  return {std::filesystem::path(TRIBUTARY_INSTALL_PREFIX) / "lib" / "tributary" / "plugins"};
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
