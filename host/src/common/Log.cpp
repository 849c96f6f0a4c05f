#include "common/Log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "common/Json.h"
#include "common/Redact.h"

namespace tributary::log {
namespace {

std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::atomic<bool> gJson{false};
std::mutex gTagMutex;
std::string gTag;

std::string timestampUtc() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

bool parseLevel(std::string_view name, Level& out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"trace", Level::Trace}, {"debug", Level::Debug},
                                                                  {"info", Level::Info},   {"warn", Level::Warn},
                                                                  {"error", Level::Error}, {"off", Level::Off}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      out = l;
      return true;
    }
  }
  return false;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Trace: return "trace";
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Off: return "off";
  }
  return "info";
}

void configure(Level level, Format format) {
  gLevel.store(static_cast<int>(level));
  gJson.store(format == Format::Json);
}

Level level() { return static_cast<Level>(gLevel.load()); }

bool enabled(Level lvl) { return lvl != Level::Off && static_cast<int>(lvl) >= gLevel.load(std::memory_order_relaxed); }

void setProcessTag(std::string tag) {
  std::lock_guard lock(gTagMutex);
  gTag = std::move(tag);
}

void write(Level lvl, std::string_view component, std::string_view raw) {
  // Every line of every component and plugin passes here on its way out of the process: the one
  // place where a secret in a message (a token in a URL, a header, a setting's value) is taken
  // out of the log, in both formats.
  const std::string message = redact::text(raw);
  std::string tag;
  {
    std::lock_guard lock(gTagMutex);
    tag = gTag;
  }
  std::string line;
  if (gJson.load()) {
    Json j = {{"ts", timestampUtc()},
              {"level", levelName(lvl)},
              {"component", component},
              {"msg", message},
              {"pid", ::getpid()}};
    if (!tag.empty()) j["process"] = tag;
    line = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {:<5} [{}]{}{} {}", timestampUtc(), levelName(lvl), component, tag.empty() ? "" : " ", tag,
                       message);
  }
  line.push_back('\n');
  // One write() per line keeps lines whole when several processes share stderr.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace tributary::log
