// tributary-plugin-probe: the plugin loader from the command line, with no database.
//
//   tributary-plugin-probe list [--dir D]... [--expect-loaded NAME]... [--expect-refused N]
//       Scans the dirs (default: PluginRegistry::defaultDirs()) and prints the registry's
//       JSON, as `tributary plugins list` will. The --expect flags turn it into a test:
//       exit 1 unless NAME is loaded / exactly N files were refused.
//
//   tributary-plugin-probe run [--dir D]... --connector NAME --stream S
//       [--mode initial|incremental|backfill] [--set KEY=VALUE]... [--secret KEY=VALUE]...
//       [--cursor JSON] [--since MS] [--from MS] [--to MS] [--ids A,B,...]
//       Checks the settings as the host checks a connection's (every key declared and of its
//       type, secret keys given with --secret, every required key given; exit 2 naming each
//       problem), creates an instance, runs check and one sync call with a counting host, and
//       prints one JSON line: result, message, stage, records, record_errors, checkpoints,
//       last_cursor, max_modified_at, seconds and records_per_s. Exit 0 only when check and
//       the sync both returned OK, else 1.
//
//   tributary-plugin-probe --help (anywhere on the line): this usage, before anything is loaded.
//
// It loads plugins in its own process (`tributary plugins probe` is the host's probe, run in a
// child process); a plugin that crashes while loading takes it down.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/ConnectorInstance.h"
#include "plugins/PluginRegistry.h"
#include "plugins/RunServices.h"

namespace {

using namespace tributary::plugins;

// Counts what a sync emits, keeping no record: the emit path's own cost is what remains.
class CountingRunServices : public RunServices {
 public:
  void emitRecord(const RecordView& r) override {
    ++records;
    bytes += r.rawJson.size() + r.fieldsJson.size();
    if (r.modifiedAtMs && (!maxModifiedAt || *r.modifiedAtMs > *maxModifiedAt)) maxModifiedAt = r.modifiedAtMs;
  }
  void emitRecordError(const RecordErrorView& e) override { errorIds.emplace_back(e.sourceId); }
  void commitCheckpoint(std::string_view, std::string_view cursor) override {
    ++checkpoints;
    lastCursor.assign(cursor);
  }
  void reportProgress(int64_t, int64_t, std::string_view) override {}
  bool isCancelled() override { return false; }

  uint64_t records = 0, bytes = 0, checkpoints = 0;
  std::vector<std::string> errorIds;
  std::string lastCursor;
  std::optional<int64_t> maxModifiedAt;
};

void printUsage(std::ostream& out) {
  out << "usage: tributary-plugin-probe list [--dir D]... [--expect-loaded NAME]... "
         "[--expect-refused N]\n"
      << "       tributary-plugin-probe run [--dir D]... --connector NAME --stream S [--mode M]\n"
      << "           [--set K=V]... [--secret K=V]... [--cursor JSON] [--since MS] [--from MS] "
         "[--to MS] [--ids A,B]\n"
      << "       tributary-plugin-probe --help\n";
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tributary-plugin-probe: " << why << "\n";
  printUsage(std::cerr);
  std::exit(2);
}

// The host's checks of a connection's settings (app::validateConnections), for the command
// line: every problem, one line each. Empty when the settings would be accepted.
std::vector<std::string> settingProblems(const ConnectorPlugin& plugin, const InstanceOptions& options) {
  std::vector<std::string> problems;
  for (const auto* given : {&options.settings, &options.secrets}) {
    for (const auto& [key, value] : *given) {
      if (auto problem = plugin.checkSetting(key, value)) {
        problems.push_back(*problem);
        continue;
      }
      const auto* decl = plugin.findConfigKey(key);
      if (decl && decl->secret && given == &options.settings) {
        problems.push_back("setting '" + key + "' of " + plugin.name() + " is a secret: give it with --secret " + key +
                           "=VALUE, not --set");
      }
    }
  }
  auto has = [&](std::string_view key) { return options.settings.count(key) > 0 || options.secrets.count(key) > 0; };
  for (const auto& key : plugin.missingRequired(has)) {
    const auto* decl = plugin.findConfigKey(key);
    problems.push_back("missing required setting '" + key + "' of " + plugin.name() + " (give it with " +
                       (decl && decl->secret ? "--secret " : "--set ") + key + "=VALUE)");
  }
  return problems;
}

std::pair<std::string, std::string> keyValue(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos) usage("expected KEY=VALUE, got '" + arg + "'");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

int64_t number(const std::string& arg) {
  try {
    return std::stoll(arg);
  } catch (...) {
    usage("expected a number, got '" + arg + "'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || (i == 1 && arg == "help")) {
      printUsage(std::cout);
      return 0;
    }
  }
  if (argc < 2) usage("give a command: list or run");
  const std::string command = argv[1];
  if (command != "list" && command != "run") usage("unknown command '" + command + "'");
  PluginRegistry::Options options;
  options.log = [](LogLevel level, std::string_view line) {
    if (level >= LogLevel::Info) std::cerr << line << "\n";
  };
  std::vector<std::string> expectLoaded;
  std::optional<size_t> expectRefused;
  std::string connector, stream, mode = "initial";
  InstanceOptions instanceOptions;
  SyncRequest request;

  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--dir") options.dirs.emplace_back(value());
    else if (arg == "--expect-loaded") expectLoaded.push_back(value());
    else if (arg == "--expect-refused") expectRefused = static_cast<size_t>(number(value()));
    else if (arg == "--connector") connector = value();
    else if (arg == "--stream") stream = value();
    else if (arg == "--mode") mode = value();
    else if (arg == "--set" || arg == "--secret") {
      auto [key, v] = keyValue(value());
      (arg == "--set" ? instanceOptions.settings : instanceOptions.secrets).insert_or_assign(key, v);
    } else if (arg == "--cursor") request.cursorJson = value();
    else if (arg == "--since") request.sinceMs = number(value());
    else if (arg == "--from") request.windowFromMs = number(value());
    else if (arg == "--to") request.windowToMs = number(value());
    else if (arg == "--ids") {
      std::string ids = value();
      for (size_t start = 0; start <= ids.size();) {
        size_t comma = ids.find(',', start);
        if (comma == std::string::npos) comma = ids.size();
        if (comma > start) request.ids.push_back(ids.substr(start, comma - start));
        start = comma + 1;
      }
    } else usage("unknown argument '" + arg + "'");
  }
  if (options.dirs.empty()) options.dirs = PluginRegistry::defaultDirs();

  PluginRegistry registry = PluginRegistry::scan(options);

  if (command == "list") {
    std::cout << registry.toJson().dump(2) << "\n";
    int rc = 0;
    for (const auto& name : expectLoaded) {
      if (!registry.find(name)) {
        std::cerr << "expected " << name << " to be loaded, and it is not\n";
        rc = 1;
      }
    }
    if (expectRefused && registry.refused().size() != *expectRefused) {
      std::cerr << "expected " << *expectRefused << " refused files, got " << registry.refused().size() << "\n";
      rc = 1;
    }
    return rc;
  }
  if (connector.empty() || stream.empty()) usage("run needs --connector and --stream");

  auto plugin = registry.find(connector);
  if (!plugin) {
    std::cerr << "connector " << connector << " is not loaded; see `tributary-plugin-probe list`\n";
    return 1;
  }
  SyncMode syncMode = mode == "initial"       ? SyncMode::Initial
                      : mode == "incremental" ? SyncMode::Incremental
                      : mode == "backfill"    ? SyncMode::Backfill
                                              : (usage("unknown mode '" + mode + "'"), SyncMode::Initial);
  if (auto problems = settingProblems(*plugin, instanceOptions); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "tributary-plugin-probe: " << p << "\n";
    return 2;
  }
  instanceOptions.log = options.log;
  instanceOptions.label = "probe";
  auto created = ConnectorInstance::create(plugin, std::move(instanceOptions));
  nlohmann::json out;
  if (!created.instance) {
    out = {{"result", toString(created.result.code)}, {"message", created.result.message}, {"stage", "create"}};
    std::cout << out.dump() << "\n";
    return 1;
  }
  CountingRunServices services;
  CallResult result = created.instance->check(services);
  std::string stage = "check";
  auto start = std::chrono::steady_clock::now();
  if (result.ok()) {
    stage = "sync";
    request.stream = stream;
    result = created.instance->sync(syncMode, request, services);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out = {{"result", toString(result.code)},
         {"message", result.message},
         {"stage", stage},
         {"records", services.records},
         {"record_errors", services.errorIds},
         {"checkpoints", services.checkpoints},
         {"last_cursor", services.lastCursor},
         {"max_modified_at", services.maxModifiedAt ? nlohmann::json(*services.maxModifiedAt) : nlohmann::json()},
         {"bytes", services.bytes},
         {"seconds", seconds},
         {"records_per_s", seconds > 0 ? static_cast<double>(services.records) / seconds : 0.0}};
  if (result.retryAfterMs) out["retry_after_ms"] = *result.retryAfterMs;
  std::cout << out.dump() << "\n";
  return result.ok() ? 0 : 1;
}
