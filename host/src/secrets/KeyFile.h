#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/Key.h"

namespace tributary::secrets {

// The key file (secrets.key_file, docs/operators.md "Secrets at rest"): text, one key a line,
//
//   # comments and blank lines are kept as they are
//   k1f0c2a9e4b7d3c58 3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
//
// `<key-id> <base64 of 32 bytes>`. The first key seals new values, every key opens. The file
// must be readable by its owner only (0600 or stricter). Edits (a key made current, added,
// removed) keep every other line, and are written atomically: a temporary file of mode 0600 in
// the same directory, synced, then renamed over the file.
class KeyFile {
 public:
  // Reads and checks the file. Throws SecretError naming the file: unreadable or missing, not
  // a regular file, readable by group or others (with its mode and `chmod 600 FILE`), a bad
  // line (FILE:LINE and what is wrong, never the line itself), a key id that does not match
  // its key, a key given twice, or no key at all.
  static KeyFile read(const std::filesystem::path& path);
  // The same, nullopt when the file does not exist.
  static std::optional<KeyFile> readIfExists(const std::filesystem::path& path);
  // A file not written yet, holding `key` under a comment that says what the file is.
  static KeyFile fresh(const std::filesystem::path& path, const Key& key);
  KeyFile(const KeyFile&) = default;
  KeyFile(KeyFile&&) = default;
  KeyFile& operator=(const KeyFile&) = default;
  KeyFile& operator=(KeyFile&&) = default;
  ~KeyFile();  // wipes the lines, which hold the keys

  const std::filesystem::path& path() const { return path_; }
  // The keys in file order: the first is the current one.
  std::vector<Key> keys() const;
  const Key* find(std::string_view id) const;
  std::string currentId() const;
  // The mode the file had when read (0 for a fresh one).
  mode_t mode() const { return mode_; }

  // Puts `key` before the first key line (it becomes current), or after the last line.
  void addCurrent(const Key& key);
  void addLast(const Key& key);
  // Moves the line of key `id` before the first key line. Throws SecretError when absent.
  void makeCurrent(std::string_view id);
  // Removes the line of key `id`. Throws SecretError when absent.
  void remove(std::string_view id);

  std::string text() const;
  // Replaces the file atomically with text() (mode 0600). Throws SecretError naming the file.
  void write() const;
  // Creates the file with text() only if it does not exist (mode 0600 from the start, no window
  // in which another process sees it half written or with a wider mode). Returns false when it
  // already existed. Throws SecretError when its directory is missing or it cannot be written.
  bool create() const;

 private:
  struct Line {
    std::string text;
    std::optional<Key> key;
  };
  explicit KeyFile(std::filesystem::path path) : path_(std::move(path)) {}
  static Line keyLine(const Key& key);
  size_t firstKeyLine() const;
  size_t lineOf(std::string_view id) const;

  std::filesystem::path path_;
  std::vector<Line> lines_;
  mode_t mode_ = 0;
};

// The key file's mode as four octal digits ("0644").
std::string formatMode(mode_t mode);

}  // namespace tributary::secrets
