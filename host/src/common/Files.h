#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tributary::files {

// Throws std::runtime_error naming the path when the file cannot be read.
std::string readFile(const std::filesystem::path& path);
// nullopt when the file cannot be read (absent, gone meanwhile: a /proc or cgroup file).
std::optional<std::string> tryReadFile(const std::filesystem::path& path);
// Writes to a temporary sibling and renames it into place, so readers never see half a file.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);
// Resolves `p` against `base` when it is relative; normalizes the result.
std::filesystem::path resolveAgainst(const std::filesystem::path& base, const std::filesystem::path& p);

}  // namespace tributary::files
