#pragma once

// A `tributary serve` host of its own (state dir, YAML, log) on a test database, for the tests
// that run several hosts on one database.

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "QueueTestSupport.h"

namespace tributary::test {

struct ServeHost {
  TempDir dir;
  std::unique_ptr<ServerProcess> serve;
  Json ready;  // its ready file
  std::string log() const { return serve ? serve->log() : ""; }
  // Its worker processes' ids (hostname:pid:bootid), from its ready file.
  std::vector<std::string> workerIds() const {
    std::vector<std::string> out;
    for (const auto& w : ready["workers"]) out.push_back(w["worker_id"].get<std::string>());
    return out;
  }
};

// Starts `tributary serve --port 0` on `q`'s database and waits for its ready file. Its YAML is
// its state dir, the database, `pluginDir` (none: an empty folder of its own, a host with no
// plugins) and then `yaml`, the rest of the file. `name` names its log and the error when it
// does not start.
inline std::unique_ptr<ServeHost> startServeHost(QueueDatabase& q, const std::string& name,
                                                 const std::optional<std::filesystem::path>& pluginDir,
                                                 const std::string& yaml, const std::vector<std::string>& extra = {}) {
  auto h = std::make_unique<ServeHost>();
  const auto plugins = pluginDir.value_or(h->dir / "no-plugins");
  if (!pluginDir) std::filesystem::create_directories(plugins);
  const auto cfg = h->dir.write("tributary.yaml", "state_dir: " + (h->dir / "state").string() +
                                                      "\ndatabase:\n  url: \"" + q.db.conninfo() +
                                                      "\"\nplugins: {dirs: [\"" + plugins.string() + "\"]}\n" + yaml);
  const auto readyFile = h->dir / "ready.json";
  std::vector<std::string> argv = {
      tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0", "--ready-file", readyFile.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  h->serve = std::make_unique<ServerProcess>(argv, h->dir / (name + ".log"));
  auto r = h->serve->waitForReadyFile(readyFile);
  if (!r) throw std::runtime_error(name + " did not start:\n" + h->log());
  h->ready = *r;
  return h;
}

}  // namespace tributary::test
