#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "config/Config.h"
#include "config/Diagnostic.h"
#include "config/Interpolation.h"

namespace tributary::config {

struct LoadResult {
  Config config;
  Diagnostics diagnostics;
  bool ok() const { return diagnostics.empty(); }
};

// Reads and validates a configuration file. Every problem is collected, none stops the reading,
// so that one run of `config check` shows them all.
class ConfigLoader {
 public:
  explicit ConfigLoader(EnvLookup env = processEnvironment()) : env_(std::move(env)) {}

  LoadResult loadFile(const std::filesystem::path& file) const;
  // `displayName` is what messages call the document; `baseDir` anchors relative paths.
  LoadResult loadString(const std::string& yaml, const std::string& displayName,
                        const std::filesystem::path& baseDir) const;

 private:
  EnvLookup env_;
};

}  // namespace tributary::config
