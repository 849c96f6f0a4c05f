#include "common/Files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tributary::files {

std::optional<std::string> tryReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string readFile(const std::filesystem::path& path) {
  auto content = tryReadFile(path);
  if (!content) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  return std::move(*content);
}

void writeFileAtomic(const std::filesystem::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename into " + path.string() + ": " + ec.message());
  }
}

std::filesystem::path resolveAgainst(const std::filesystem::path& base, const std::filesystem::path& p) {
  if (p.empty()) return p;
  if (p.is_absolute()) return p.lexically_normal();
  return (base / p).lexically_normal();
}

}  // namespace tributary::files
