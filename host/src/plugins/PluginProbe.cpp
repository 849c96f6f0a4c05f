#include "plugins/PluginProbe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "common/Process.h"
#include "plugins/PluginRegistry.h"

namespace tributary::plugins {
namespace {

constexpr size_t kMaxReportBytes = 16u << 20;

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Trace: return "trace";
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

LogLevel parseLevel(std::string_view name) {
  for (LogLevel l : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (levelName(l) == name) return l;
  }
  return LogLevel::Info;
}

// 10000 ms -> "10 s", 500 ms -> "0.5 s".
std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000);
}

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    ::fcntl(fds_[0], F_SETFL, ::fcntl(fds_[0], F_GETFL) | O_NONBLOCK);
  }
  ~Pipe() {
    closeWriteEnd();
    if (fds_[0] >= 0) ::close(fds_[0]);
  }
  Pipe(const Pipe&) = delete;
  int readEnd() const { return fds_[0]; }
  int writeEnd() const { return fds_[1]; }
  void closeWriteEnd() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// What one child run came to.
struct ChildRun {
  std::string report;         // what it wrote to fd 3
  std::optional<int> status;  // its wait status; nullopt when it was killed at the timeout
  bool tooLarge = false;
};

ChildRun runChild(const std::filesystem::path& file, const ProbeOptions& options) {
  Pipe pipe;
  process::SpawnOptions spawn;
  // A path that starts with "-" would be taken for an option.
  const std::string path = file.string().rfind('-', 0) == 0 ? "./" + file.string() : file.string();
  spawn.argv = {options.executable.string(), "plugins", "probe", "--output-fd", "3", path};
  spawn.passFd = pipe.writeEnd();
  spawn.newProcessGroup = true;
  spawn.parentDeathSignal = SIGKILL;
  process::Child child = process::Child::spawn(spawn);
  pipe.closeWriteEnd();

  ChildRun run;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto drain = [&] {
    char buf[65536];
    while (true) {
      ssize_t n = ::read(pipe.readEnd(), buf, sizeof buf);
      if (n > 0) {
        run.report.append(buf, static_cast<size_t>(n));
        if (run.report.size() > kMaxReportBytes) run.tooLarge = true;
        if (run.tooLarge) return false;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n == 0;  // EOF; otherwise nothing more for now
    }
  };
  bool eof = false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!eof && !run.tooLarge) {
      struct pollfd p {
        pipe.readEnd(), POLLIN, 0
      };
      ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left.count(), 0, 20)));
      eof = drain();
    } else if (left.count() > 0) {
      ::usleep(5000);
    }
    if (!run.tooLarge) {
      if (auto st = child.poll()) {
        drain();  // what it wrote just before it exited
        run.status = st;
        return run;
      }
    }
    if (run.tooLarge || std::chrono::steady_clock::now() >= deadline) {
      // The whole group: whatever the plugin started goes with it. Not reaped yet, so the
      // group is still the child's.
      ::kill(-child.pid(), SIGKILL);
      int st = child.wait();
      if (run.tooLarge) run.status = st;
      return run;
    }
  }
}

}  // namespace

PluginLoader::Outcome PluginProbe::inChild(const std::filesystem::path& file, const ProbeOptions& options,
                                           const LogSink& pluginLog) {
  PluginLoader::Outcome out;
  auto refuse = [&](std::string reason) {
    out.refused = RefusedPlugin{file, std::move(reason), std::nullopt, std::nullopt, std::nullopt};
    return std::move(out);
  };
  const std::string reproduce = "; run `tributary plugins probe " + file.string() + "` to see it happen";

  ChildRun run;
  try {
    run = runChild(file, options);
  } catch (const std::exception& e) {
    return refuse(std::string("could not be probed: ") + e.what());
  }
  if (!run.status) {
    return refuse("probe timed out after " + seconds(options.timeout) +
                  ": the plugin hangs while loading (a static initializer or its entry point) or in its load check "
                  "(create, destroy); fix the plugin (the limit is plugins.probe_timeout)" +
                  reproduce);
  }
  if (run.tooLarge) {
    return refuse("probe wrote more than " + std::to_string(kMaxReportBytes >> 20) +
                  " MiB of report and was killed; fix the plugin" + reproduce);
  }

  // The report, when there is a whole one.
  std::optional<nlohmann::json> report;
  std::string unreadable;
  try {
    auto j = nlohmann::json::parse(run.report);
    const auto& plugins = j.at("plugins");
    if (!plugins.is_array() || plugins.size() != 1) throw std::invalid_argument("not one plugin in \"plugins\"");
    report = std::move(j);
  } catch (const std::exception& e) {
    unreadable = run.report.empty() ? "it wrote no report" : std::string("its report is unreadable: ") + e.what();
  }

  const int st = *run.status;
  if (WIFSIGNALED(st)) {
    return refuse("probe crashed: " + process::describeStatus(st) +
                  (report ? " after its load check passed, while unloading it (a static destructor or atexit "
                            "handler)"
                          : " while loading it (a static initializer or its entry point) or in its load check "
                            "(create, destroy)") +
                  "; fix the plugin, or remove it from the plugins dir" + reproduce);
  }
  const bool exitedCleanly = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1);
  if (!exitedCleanly || !report) {
    return refuse("probe failed: `tributary plugins probe` " + process::describeStatus(st) +
                  (report ? "" : " and " + unreadable) + " (its messages, if any, are in the log above)");
  }

  try {
    if (const auto* log = report->contains("log") ? &report->at("log") : nullptr; log && pluginLog) {
      for (const auto& line : *log) {
        pluginLog(parseLevel(line.at("level").get<std::string>()), line.at("message").get<std::string>());
      }
    }
    const auto& entry = report->at("plugins")[0];
    if (entry.at("status") == "loaded") {
      out.plugin = ConnectorPlugin::fromJson(entry);
    } else {
      out.refused = RefusedPlugin::fromJson(entry);
    }
  } catch (const std::exception& e) {
    return refuse(std::string("probe failed: its report is unreadable: ") + e.what());
  }
  return out;
}

nlohmann::json PluginProbe::report(const PluginRegistry& registry, const std::vector<LogLine>& log) {
  nlohmann::json j = registry.toJson();
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : log) lines.push_back({{"level", levelName(l.level)}, {"message", l.message}});
  j["log"] = std::move(lines);
  return j;
}

}  // namespace tributary::plugins
