#pragma once

#include <functional>
#include <map>
#include <string>

#include "plugins/LogSink.h"

namespace tributary::plugins {

// What one plugin instance is made with: its connection's settings (text values, already
// validated against the plugin's schema by the config loader), its secrets (kept apart so
// they are never logged), and where its log lines go.
struct InstanceOptions {
  std::map<std::string, std::string, std::less<>> settings;
  std::map<std::string, std::string, std::less<>> secrets;
  LogSink log;
  // Added to every log line: "[<connector> <label>] ..." (e.g. "acme/hubspot").
  std::string label;
};

}  // namespace tributary::plugins
