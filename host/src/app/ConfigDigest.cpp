#include "app/ConfigDigest.h"

#include <algorithm>
#include <map>

#include "common/Hash.h"
#include "common/Strings.h"

namespace tributary::app {
namespace {

// Bumped whenever what the digest covers changes, so that two binaries that would write
// different rows from one file never agree by accident.
constexpr int kDigestFormat = 1;

// nlohmann::json keeps object keys sorted, so its dump is canonical whatever the order in which
// the file or this code named them.
using Canonical = nlohmann::json;

Canonical canonical(const DesiredConfig::Workspace& w) { return Canonical{{"slug", w.slug}, {"name", w.name}}; }

Canonical canonical(const DesiredConfig::Connection& c) {
  Canonical settings = Canonical::object();
  for (const auto& [key, value] : c.settings.items()) settings[key] = value;
  return Canonical{{"workspace", c.workspace}, {"name", c.name},
                   {"connector", c.connector}, {"schedule", c.schedule ? Canonical(*c.schedule) : Canonical()},
                   {"settings", settings},     {"enabled", c.enabled},
                   {"timezone", c.timezone},   {"misfire", c.misfire ? Canonical(*c.misfire) : Canonical()}};
}

// Items' digests only tell which items differ: 16 hex digits are plenty.
std::string itemDigest(const Canonical& item) { return hash::sha256Hex(item.dump()).substr(0, 16); }

}  // namespace

DesiredConfig DesiredConfig::from(const config::Config& cfg, const SecretKeys& isSecret) {
  DesiredConfig out;
  // By key, the last definition winning, as the sync's upserts in file order would leave it.
  std::map<std::string, Workspace> workspaces;
  for (const auto& w : cfg.workspaces) workspaces[w.slug] = Workspace{w.slug, w.name};
  std::map<std::string, Connection> connections;
  for (const auto& c : cfg.connections) {
    Connection d;
    d.workspace = c.workspace;
    d.name = c.name;
    d.connector = c.connector;
    d.schedule = c.schedule;
    d.settings = Json::object();
    for (const auto& [key, value] : c.settings) {
      if (value.source == config::ValueSource::SecretFile || (isSecret && isSecret(c.connector, key))) continue;
      d.settings[key] = value.value;
    }
    if (c.baseUrl) d.settings["base_url"] = *c.baseUrl;
    d.enabled = c.enabled;
    d.timezone = c.timezone;
    if (!c.misfire.empty()) d.misfire = c.misfire;
    connections[d.qualifiedName()] = std::move(d);
  }

  Canonical whole = {
      {"format", kDigestFormat}, {"workspaces", Canonical::array()}, {"connections", Canonical::array()}};
  out.items_ = Json{{"workspaces", Json::object()}, {"connections", Json::object()}};
  for (auto& [slug, w] : workspaces) {
    Canonical c = canonical(w);
    out.items_["workspaces"][slug] = itemDigest(c);
    whole["workspaces"].push_back(std::move(c));
    out.workspaces_.push_back(std::move(w));
  }
  for (auto& [name, conn] : connections) {
    Canonical c = canonical(conn);
    out.items_["connections"][name] = itemDigest(c);
    whole["connections"].push_back(std::move(c));
    out.connections_.push_back(std::move(conn));
  }
  out.digest_ = hash::sha256Hex(whole.dump());
  return out;
}

std::string shortDigest(const std::string& digest) { return digest.substr(0, 12); }

ConfigDifference ConfigDifference::between(const Json& appliedItems, const Json& thisHostItems) {
  ConfigDifference d;
  for (const char* kind : {"workspaces", "connections"}) {
    const std::string prefix = std::string(kind) == "workspaces" ? "workspace " : "";
    const Json applied = appliedItems.is_object() ? appliedItems.value(kind, Json::object()) : Json::object();
    const Json mine = thisHostItems.is_object() ? thisHostItems.value(kind, Json::object()) : Json::object();
    std::map<std::string, std::string> a, m;
    for (const auto& [k, v] : applied.items()) a[k] = v.is_string() ? v.get<std::string>() : v.dump();
    for (const auto& [k, v] : mine.items()) m[k] = v.is_string() ? v.get<std::string>() : v.dump();
    for (const auto& [k, v] : a) {
      auto it = m.find(k);
      if (it == m.end()) d.onlyApplied.push_back(prefix + k);
      else if (it->second != v) d.changed.push_back(prefix + k);
    }
    for (const auto& [k, v] : m) {
      if (!a.count(k)) d.onlyThisHost.push_back(prefix + k);
    }
  }
  return d;
}

std::string ConfigDifference::describe(const std::string& mine) const {
  std::vector<std::string> parts;
  if (!onlyApplied.empty()) parts.push_back("only in the applied configuration: " + strings::join(onlyApplied, ", "));
  if (!onlyThisHost.empty()) parts.push_back("only in " + mine + ": " + strings::join(onlyThisHost, ", "));
  if (!changed.empty()) parts.push_back("changed: " + strings::join(changed, ", "));
  return parts.empty() ? "no workspace or connection differs" : strings::join(parts, "; ");
}

Json ConfigDifference::toJson() const {
  return Json{{"only_applied", onlyApplied}, {"only_this_host", onlyThisHost}, {"changed", changed}};
}

}  // namespace tributary::app
