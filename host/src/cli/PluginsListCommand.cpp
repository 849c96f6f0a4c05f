#include "cli/PluginsListCommand.h"

#include <Poco/Util/Option.h>

#include <iostream>

#include "app/ConnectionValidator.h"
#include "common/Strings.h"
#include "config/ConfigLoader.h"

namespace tributary::cli {

PluginsListCommand::PluginsListCommand()
    : Command("plugins list", "[--json]",
              "Lists every plugin in the plugin dirs: name, version, ABI, path and streams of the "
              "loaded ones, and why each refused file was refused. Needs no database.") {}

void PluginsListCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Poco::Util::Option("json", "", "print the listing as JSON").required(false).repeatable(false));
}

bool PluginsListCommand::handleCommandOption(const std::string& name, const std::string&) {
  if (name == "json") json_ = true;
  return name == "json";
}

int PluginsListCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) return kUsage;
  config::Config cfg;
  // A missing default config file is fine here: list the default dirs.
  std::error_code ec;
  if (std::filesystem::exists(configPath(), ec)) {
    auto loaded = loadConfig();
    if (!loaded) return kFailure;
    cfg = *loaded;
  }
  auto registry = app::loadPlugins(cfg, /*quiet=*/true);
  if (json_) {
    std::cout << registry.toJson().dump(2) << "\n";
    return kOk;
  }
  std::cout << "plugin dirs: ";
  std::vector<std::string> dirs;
  for (const auto& d : registry.dirs()) dirs.push_back(d.string());
  std::cout << strings::join(dirs, ", ") << "\n\n";
  for (const auto& p : registry.plugins()) {
    std::vector<std::string> streams;
    for (const auto& s : p->streams()) streams.push_back(s.entity.empty() ? s.name : s.name + "→" + s.entity);
    std::cout << "loaded   " << p->name() << " " << p->version() << " (ABI " << p->abiString() << ")\n"
              << "         " << p->path().string() << "\n"
              << "         streams: " << strings::join(streams, ", ") << "\n";
  }
  for (const auto& r : registry.refused()) {
    std::cout << "refused  " << r.path.string() << "\n"
              << "         " << r.reason << "\n";
  }
  std::cout << "\n" << registry.plugins().size() << " loaded, " << registry.refused().size() << " refused\n";
  return kOk;
}

}  // namespace tributary::cli
