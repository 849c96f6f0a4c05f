#include "db/SessionSettings.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "common/Strings.h"
#include "db/DbError.h"

namespace tributary::db {
namespace {

struct Keepalives {
  int64_t idleSeconds = 0;
  int64_t intervalSeconds = 0;
  int64_t count = 0;
  int64_t userTimeoutMs = 0;
};

// A peer silent for about `total` is given up: half of it before the first probe, then three
// probes over the other half. tcp_user_timeout bounds how long sent data may go unacknowledged.
Keepalives keepalivesFor(std::chrono::milliseconds total) {
  Keepalives k;
  const int64_t seconds = std::max<int64_t>(1, (total.count() + 500) / 1000);
  k.count = 3;
  k.idleSeconds = std::max<int64_t>(1, seconds / 2);
  k.intervalSeconds = std::max<int64_t>(1, (seconds - k.idleSeconds) / k.count);
  k.userTimeoutMs = total.count();
  return k;
}

std::vector<std::pair<std::string, std::string>> serverSettings(const config::SessionTimeouts& s) {
  std::vector<std::pair<std::string, std::string>> out;
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()); };
  if (s.idleInTransaction.count() > 0) out.emplace_back("idle_in_transaction_session_timeout", ms(s.idleInTransaction));
  if (s.lock.count() > 0) out.emplace_back("lock_timeout", ms(s.lock));
  if (s.statement.count() > 0) out.emplace_back("statement_timeout", ms(s.statement));
  if (s.tcpKeepalive.count() > 0) {
    const auto k = keepalivesFor(s.tcpKeepalive);
    out.emplace_back("tcp_keepalives_idle", std::to_string(k.idleSeconds));
    out.emplace_back("tcp_keepalives_interval", std::to_string(k.intervalSeconds));
    out.emplace_back("tcp_keepalives_count", std::to_string(k.count));
    out.emplace_back("tcp_user_timeout", std::to_string(k.userTimeoutMs));
  }
  return out;
}

}  // namespace

std::string withSessionSettings(const std::string& conninfo, const config::SessionTimeouts& settings) {
  const auto server = serverSettings(settings);
  if (server.empty()) return conninfo;

  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &err);
  if (!parsed) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw DbError("the database connection string cannot be parsed: " + why);
  }
  // Every keyword the conninfo sets, in libpq's order; a URL comes out decoded.
  std::vector<std::pair<std::string, std::string>> given;
  for (auto* o = parsed; o->keyword; ++o) {
    if (o->val) given.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(parsed);
  auto find = [&](const std::string& key) -> std::string* {
    for (auto& [k, v] : given) {
      if (k == key) return &v;
    }
    return nullptr;
  };

  std::string options;
  for (const auto& [name, value] : server) {
    if (!options.empty()) options += ' ';
    options += "-c " + name + "=" + value;
  }
  if (std::string* own = find("options")) {
    if (!own->empty()) options += " " + *own;
    *own = options;
  } else {
    // libpq reads PGOPTIONS only when the conninfo has no options: keep it.
    const char* env = std::getenv("PGOPTIONS");
    if (env && *env) options += " " + std::string(env);
    given.emplace_back("options", options);
  }
  if (settings.tcpKeepalive.count() > 0) {
    const auto k = keepalivesFor(settings.tcpKeepalive);
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"keepalives", "1"},
             {"keepalives_idle", std::to_string(k.idleSeconds)},
             {"keepalives_interval", std::to_string(k.intervalSeconds)},
             {"keepalives_count", std::to_string(k.count)},
             {"tcp_user_timeout", std::to_string(k.userTimeoutMs)},
         }) {
      if (!find(key)) given.emplace_back(key, value);
    }
  }

  std::string out;
  for (const auto& [key, value] : given) {
    if (!out.empty()) out += ' ';
    out += key + "=" + strings::conninfoQuote(value);
  }
  return out;
}

std::string describeSessionSettings(const config::SessionTimeouts& settings) {
  std::string out;
  for (const auto& [name, value] : serverSettings(settings)) {
    if (!out.empty()) out += ' ';
    out += name + "=" + value;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace tributary::db
