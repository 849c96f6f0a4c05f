#include "Scenario.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "TimeFormat.h"

namespace tributary::sim {

Scenario Scenario::load(const std::string& path, const std::vector<std::string>& knownVendors) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the scenario file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, knownVendors);
}

Scenario Scenario::parse(const std::string& text, const std::string& file,
                         const std::vector<std::string>& knownVendors) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(file + ":" + std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1) +
                      ": not valid YAML: " + error.msg);
  }
  ConfigNode top(root, file, "");
  if (!root.IsMap()) throw ConfigError(file + ": expected a mapping with a 'vendors' key");
  top.allowOnly({"seed", "clock", "server", "request_log", "vendors"});

  Scenario scenario;
  scenario.file = file;
  scenario.seed = top.count("seed", 1);
  const ConfigNode clock = top.child("clock");
  clock.allowOnly({"start"});
  const std::string start = clock.text("start", "2024-06-01T00:00:00Z");
  const auto startMs = TimeFormat::parseIso(start);
  if (!startMs) clock.fail("start", "expected an ISO 8601 time such as 2024-06-01T00:00:00Z");
  scenario.clockStartMs = *startMs;
  const ConfigNode server = top.child("server");
  server.allowOnly({"threads"});
  scenario.serverThreads = static_cast<int>(server.count("threads", 4));
  if (scenario.serverThreads < 1 || scenario.serverThreads > 64) {
    server.fail("threads", "expected 1 to 64");
  }
  const ConfigNode log = top.child("request_log");
  log.allowOnly({"capacity"});
  scenario.requestLogCapacity = log.count("capacity", 100000);

  if (!top.has("vendors")) top.fail("", "missing key 'vendors' (a mapping of vendor name to its section)");
  const ConfigNode vendors = top.child("vendors");
  for (const std::string& name : vendors.keys()) {
    if (std::find(knownVendors.begin(), knownVendors.end(), name) == knownVendors.end()) {
      std::string known;
      for (const auto& k : knownVendors) known += (known.empty() ? "" : ", ") + k;
      vendors.fail(name, "unknown vendor (known: " + known + ")");
    }
    scenario.vendors.emplace_back(name, vendors.child(name));
  }
  if (scenario.vendors.empty()) vendors.fail("", "names no vendor");
  return scenario;
}

}  // namespace tributary::sim
