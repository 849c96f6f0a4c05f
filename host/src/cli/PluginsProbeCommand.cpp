#include "cli/PluginsProbeCommand.h"

#include <Poco/Util/Option.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <mutex>

#include "plugins/PluginProbe.h"
#include "plugins/PluginRegistry.h"

namespace tributary::cli {
namespace {

bool writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

PluginsProbeCommand::PluginsProbeCommand()
    : Command("plugins probe", "[--output-fd N] PATH...",
              "Loads each plugin PATH (a .so file, or a dir whose *.so files are taken in name order) in this "
              "process, as the host's load-time probe does (file checks, dlopen, ABI, descriptor, one instance "
              "created with the declared defaults and destroyed), and prints the listing as JSON, the same as "
              "`tributary plugins list --json` plus the plugins' own log lines. serve, `plugins list` and "
              "`config check` run it in a child process per plugin, so that a plugin that crashes or hangs "
              "cannot take them down. Anything a plugin prints on stdout goes to stderr. Reads no configuration. "
              "Exits 0 when every plugin loaded, 1 when any was refused.") {}

void PluginsProbeCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Poco::Util::Option("output-fd", "", "write the JSON to this open file descriptor, not stdout")
                        .required(false)
                        .repeatable(false)
                        .argument("N"));
}

bool PluginsProbeCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name != "output-fd") return false;
  outputFd_ = value;
  return true;
}

int PluginsProbeCommand::execute(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "tributary plugins probe: give one or more plugin files or dirs (see --help)\n";
    return kUsage;
  }
  // A plugin that crashes must end this process with its real signal, which the parent names:
  // nothing here may turn SIGSEGV into an exception or an abort.
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(s, SIG_DFL);
  int out = -1;
  if (outputFd_) {
    int fd = -1;
    auto [end, ec] = std::from_chars(outputFd_->data(), outputFd_->data() + outputFd_->size(), fd);
    if (ec != std::errc() || end != outputFd_->data() + outputFd_->size() || fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
      std::cerr << "tributary plugins probe: --output-fd " << *outputFd_ << " is not an open file descriptor\n";
      return kUsage;
    }
    out = fd;
  } else {
    out = ::dup(STDOUT_FILENO);
    if (out < 0) {
      std::cerr << "tributary plugins probe: cannot duplicate stdout: " << std::strerror(errno) << "\n";
      return kFailure;
    }
  }
  // What the plugins (or anything else here) print on stdout goes to stderr, never into the JSON.
  ::fcntl(out, F_SETFD, FD_CLOEXEC);
  std::cout.flush();
  ::dup2(STDERR_FILENO, STDOUT_FILENO);

  plugins::PluginRegistry::Options options;
  for (const auto& arg : args) {
    std::error_code ec;
    (std::filesystem::is_directory(arg, ec) ? options.dirs : options.files).emplace_back(arg);
  }
  std::mutex mutex;  // a plugin may log from a thread of its own
  std::vector<plugins::PluginProbe::LogLine> lines;
  options.pluginLog = [&](plugins::LogLevel level, std::string_view message) {
    std::lock_guard<std::mutex> lock(mutex);
    lines.push_back({level, std::string(message)});
  };
  // The plugins stay loaded until the report is out: a crash while unloading them comes after it.
  plugins::PluginRegistry registry = plugins::PluginRegistry::scan(options);
  std::string report;
  {
    std::lock_guard<std::mutex> lock(mutex);
    report = plugins::PluginProbe::report(registry, lines).dump(2) + "\n";
  }
  if (!writeAll(out, report)) {
    std::cerr << "tributary plugins probe: cannot write the report: " << std::strerror(errno) << "\n";
    return kFailure;
  }
  ::close(out);
  return registry.refused().empty() ? kOk : kFailure;
}

}  // namespace tributary::cli
