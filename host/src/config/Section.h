#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/Diagnostic.h"
#include "config/Interpolation.h"

namespace tributary::config {

// What every Section of one file shares: where it came from and where problems go.
struct FileContext {
  std::string file;               // as shown in messages
  std::filesystem::path baseDir;  // relative paths resolve against it
  Diagnostics* diagnostics = nullptr;
  EnvLookup env;
};

// A YAML mapping read key by key. Every getter returns the default when the key is absent or
// null, records a diagnostic (and returns the default) when the value is bad, and remembers the
// key as known; finish() then reports every key nobody asked for, with a suggestion.
class Section {
 public:
  Section(std::shared_ptr<FileContext> ctx, YAML::Node node, std::string path);

  const std::string& path() const { return path_; }
  bool has(const std::string& key) const;
  bool isMap() const;

  std::string string(const std::string& key, const std::string& def);
  std::filesystem::path filePath(const std::string& key, const std::filesystem::path& def);
  int64_t integer(const std::string& key, int64_t def, int64_t min, int64_t max);
  double number(const std::string& key, double def, double min, double max);
  bool boolean(const std::string& key, bool def);
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds def,
                                     std::chrono::milliseconds min = std::chrono::milliseconds(0));
  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed);
  std::vector<std::string> stringList(const std::string& key, const std::vector<std::string>& def);
  std::vector<std::filesystem::path> pathList(const std::string& key, const std::vector<std::filesystem::path>& def);
  Section section(const std::string& key);
  // Items of a sequence of mappings.
  std::vector<Section> sectionList(const std::string& key);
  // Entries of a mapping whose keys are free-form names (for example connector settings).
  std::vector<std::string> keys() const;
  // Marks a key as known without reading it (it is read elsewhere).
  void accept(const std::string& key);

  // Resolves the scalar at `key`: ${ENV} interpolation, or {secret_file: PATH}. nullopt when
  // absent or null, or when resolution failed (a diagnostic was recorded).
  std::optional<std::string> scalar(const std::string& key);
  // The same, saying where the value came from.
  std::optional<std::string> scalar(const std::string& key, ValueSource& source);
  // Where the value at `key` sits (or the mapping itself when the key is absent).
  Location location(const std::string& key) const;
  Location location() const;
  // Where `key` itself sits (the mapping's position when absent): for an entry whose value is a
  // mapping, whose own position is that of its first key, often on the next line.
  Location keyLocation(const std::string& key) const;
  YAML::Node raw(const std::string& key) const;

  // Reports unknown keys. Call once, after every getter.
  void finish();

  void error(const std::string& key, const std::string& message) const;
  void errorAt(const YAML::Node& node, const std::string& path, const std::string& message) const;
  std::shared_ptr<FileContext> context() const { return ctx_; }

 private:
  std::string childPath(const std::string& key) const;
  YAML::Node node_;
  std::shared_ptr<FileContext> ctx_;
  std::string path_;
  std::set<std::string> known_;
};

}  // namespace tributary::config
