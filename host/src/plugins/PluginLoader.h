#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "plugins/ConnectorPlugin.h"
#include "plugins/LogSink.h"
#include "plugins/RefusedPlugin.h"

namespace tributary::plugins {

// Loads one plugin file, or says exactly why not. The only user of Boost.DLL in Tributary.
//
// In order: the file must be a regular file, not writable by group or others, owned by root
// or by this process's user, and an ELF shared object; it is loaded with RTLD_LOCAL |
// RTLD_NOW (so an unresolved dependency or symbol fails here, named by the dynamic
// loader); it must export tributary_connector_entry_v1; its ABI must have this host's major
// and a minor no newer than this host's; its descriptor must be valid; and a probe instance
// (create with the declared defaults, then destroy) must succeed.
// Why a host of ABI `hostAbi` refuses a plugin built for `abi`, naming both versions and the
// fix, or nullopt when it loads it: another major, or a newer minor (a 1.1 plugin in a 1.0 host).
std::optional<std::string> abiRefusal(uint32_t abi, uint32_t hostAbi);

class PluginLoader {
 public:
  struct Outcome {
    std::shared_ptr<const ConnectorPlugin> plugin;  // set when loaded
    std::optional<RefusedPlugin> refused;           // set when not
  };

  // `log` receives the probe instance's log lines.
  explicit PluginLoader(LogSink log = {}) : log_(std::move(log)) {}

  Outcome load(const std::filesystem::path& file) const;

 private:
  LogSink log_;
};

}  // namespace tributary::plugins
