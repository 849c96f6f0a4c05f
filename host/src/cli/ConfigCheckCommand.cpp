#include "cli/ConfigCheckCommand.h"

#include <iostream>

#include "app/ConfigSync.h"
#include "app/ConnectionValidator.h"
#include "common/Log.h"
#include "config/ConfigLoader.h"
#include "db/Connection.h"
#include "db/DatabaseHandle.h"

namespace tributary::cli {

namespace {

// Whether `file` is the configuration its database follows, when that database can be reached
// without starting anything (database.url, or the embedded cluster of a running serve).
void compareWithApplied(const config::Config& cfg, const app::DesiredConfig& desired, const std::string& file) {
  std::unique_ptr<db::DatabaseHandle> handle;
  try {
    handle = db::DatabaseHandle::open(cfg, db::DatabaseHandle::Mode::Attach, "config check");
  } catch (const std::exception&) {
    return;  // an embedded cluster that no serve runs: nothing to compare with
  }
  ::setenv("PGCONNECT_TIMEOUT", "5", 0);
  try {
    db::Connection conn(handle->conninfo());
    const std::string where = db::describeConninfo(handle->conninfo());
    auto applied = app::ConfigSync::readApplied(conn);
    if (!applied) {
      std::cout << file << ": no configuration was applied to the " << where
                << " yet: the first serve applies its own\n";
      return;
    }
    const std::string by =
        "applied by " + applied->appliedBy + " from " + applied->configFile + " at " + applied->appliedAt;
    if (applied->digest == desired.digest()) {
      std::cout << file << ": is the configuration the " << where << " follows (digest "
                << app::shortDigest(applied->digest) << ", " << by << ")\n";
      return;
    }
    std::cout << file << ": differs from the configuration the " << where << " follows (digest "
              << app::shortDigest(applied->digest) << ", " << by
              << "; this file: " << app::shortDigest(desired.digest())
              << "): " << app::ConfigDifference::between(applied->items, desired.items()).describe("this file")
              << ". A serve started with it changes nothing while other hosts run with another; "
              << "`tributary serve --apply-config` applies it\n";
  } catch (const std::exception& e) {
    std::cout << file << ": not compared with the configuration the database follows: " << e.what() << "\n";
  }
}

}  // namespace

ConfigCheckCommand::ConfigCheckCommand()
    : Command("config check", "[FILE]",
              "Validates a configuration file and prints every problem (the file's own, duplicates, and "
              "each connection against its plugin) as FILE:LINE:COLUMN: key.path: message. Exits 1 when "
              "there is any. A valid file whose database answers (database.url, or a running serve's "
              "embedded cluster) is compared with the configuration that database follows.") {}

int ConfigCheckCommand::execute(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    std::cerr << "tributary config check: takes at most one FILE\n";
    return kUsage;
  }
  auto file = args.empty() ? configPath() : std::filesystem::absolute(args[0]);
  config::ConfigLoader loader;
  auto r = loader.loadFile(file);
  // Settings are checked against what each connector declares, so the plugins are loaded; in the
  // same run as the file's own problems, so that one run shows them all.
  std::optional<plugins::PluginRegistry> registry;
  if (!r.config.connections.empty()) {
    registry = app::probePlugins(r.config, /*quiet=*/true);
    app::validateConnections(r.config, *registry, r.diagnostics);
  }
  // A warning, not a problem: serve starts without the dir too, and a connection whose plugin
  // is missing because of it is a problem above.
  for (size_t i = 0; i < r.config.plugins.dirs.size(); ++i) {
    std::error_code ec;
    if (std::filesystem::is_directory(r.config.plugins.dirs[i], ec)) continue;
    std::cout << file.string() << ": plugins.dirs[" << i
              << "]: warning: " << plugins::PluginRegistry::missingDirMessage(r.config.plugins.dirs[i]) << "\n";
  }
  if (!r.ok()) {
    std::cout << r.diagnostics.format();
    std::cout << file.string() << ": " << r.diagnostics.size() << " problem(s)\n";
    return kFailure;
  }
  std::cout << file.string() << ": OK (" << r.config.workspaces.size() << " workspace(s), "
            << r.config.connections.size() << " connection(s))\n";
  compareWithApplied(r.config,
                     app::DesiredConfig::from(r.config, registry ? app::secretKeysOf(*registry) : app::SecretKeys()),
                     file.string());
  return kOk;
}

}  // namespace tributary::cli
