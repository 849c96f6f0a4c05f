#pragma once

#include <filesystem>

namespace tributary::config {

// Where things are, for a checkout build (the executable runs from BUILD/bin) or an installed
// package (/usr/bin/tributary).
bool runningFromBuildTree();
std::filesystem::path defaultConfigFile();
std::filesystem::path defaultMigrationsDir();
std::filesystem::path defaultStateDir();
std::filesystem::path executablePath();

}  // namespace tributary::config
