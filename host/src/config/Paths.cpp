#include "config/Paths.h"

namespace tributary::config {

std::filesystem::path executablePath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

bool runningFromBuildTree() {
  std::error_code ec;
  auto exe = executablePath();
  auto build = std::filesystem::weakly_canonical(TRIBUTARY_BUILD_DIR, ec);
  if (exe.empty() || ec) return false;
  auto rel = exe.lexically_relative(build);
  return !rel.empty() && *rel.begin() != "..";
}

std::filesystem::path defaultConfigFile() {
  std::filesystem::path local = "config/tributary.yaml";
  std::error_code ec;
  if (std::filesystem::exists(local, ec)) return std::filesystem::absolute(local);
  return "/etc/tributary/tributary.yaml";
}

std::filesystem::path defaultMigrationsDir() {
  if (runningFromBuildTree()) return std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "migrations";
  return std::filesystem::path(TRIBUTARY_INSTALL_PREFIX) / "share/tributary/migrations";
}

std::filesystem::path defaultStateDir() { return "/var/lib/tributary"; }

}  // namespace tributary::config
