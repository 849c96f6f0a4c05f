#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/Json.h"
#include "db/DbError.h"
#include "db/Result.h"

namespace tributary::db {

// A statement parameter in PostgreSQL's text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;

inline Param toParam(std::nullptr_t) { return std::nullopt; }
inline Param toParam(const std::string& s) { return s; }
inline Param toParam(std::string_view s) { return std::string(s); }
inline Param toParam(const char* s) { return s ? Param(s) : std::nullopt; }
inline Param toParam(bool b) { return std::string(b ? "true" : "false"); }
inline Param toParam(const Json& j) { return j.dump(); }
inline Param toParam(const Param& p) { return p; }
template <typename T>
requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) Param toParam(T v) { return std::to_string(v); }
template <typename T>
Param toParam(const std::optional<T>& v) {
  return v ? toParam(*v) : std::nullopt;
}

struct Notification {
  std::string channel;
  std::string payload;
  int backendPid = 0;
};

// One libpq connection. Not thread-safe: one thread uses it at a time (the pool hands it out).
class Connection {
 public:
  // Opens a connection; throws DbError naming the target (without its password) on failure.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements with no parameters; returns the last result.
  Result execScript(const std::string& sql);
  // Runs one statement with text parameters $1..$n.
  Result execParams(const std::string& sql, const std::vector<Param>& params);

  template <typename... Args>
  Result exec(const std::string& sql, const Args&... args) {
    return execParams(sql, std::vector<Param>{toParam(args)...});
  }

  // The same through a prepared statement, prepared on first use on this connection: for hot
  // statements, whose planning would otherwise cost as much as running them.
  Result execPreparedParams(const std::string& sql, const std::vector<Param>& params);
  template <typename... Args>
  Result execPrepared(const std::string& sql, const Args&... args) {
    return execPreparedParams(sql, std::vector<Param>{toParam(args)...});
  }

  // COPY ... FROM STDIN: `produce` is called repeatedly and appends data to its buffer; it
  // returns false when there is no more. Returns the number of rows copied.
  int64_t copyIn(const std::string& copySql, const std::function<bool(std::string&)>& produce);

  void listen(const std::string& channel);
  void unlisten(const std::string& channel);
  // Waits up to `timeout` for notifications; returns what arrived (possibly nothing).
  std::vector<Notification> waitForNotifications(std::chrono::milliseconds timeout);
  // The same, also waking when `wakeFd` becomes readable (which the caller then drains).
  std::vector<Notification> waitForNotifications(std::chrono::milliseconds timeout, int wakeFd);

  // True when the server answers a trivial round trip now.
  bool ping();
  bool isBroken() const;
  bool inTransaction() const;
  int backendPid() const;
  PGconn* raw() const { return conn_; }
  const std::string& target() const { return target_; }

 private:
  Result check(PGresult* r, const std::string& sql);
  std::vector<Notification> drainNotifications();
  PGconn* conn_ = nullptr;
  std::string target_;
  std::unordered_map<std::string, std::string> prepared_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Connection& c, std::string_view begin = "BEGIN");
  ~Transaction();
  void commit();
  Connection& connection() { return conn_; }

 private:
  Connection& conn_;
  bool done_ = false;
};

// "host=/x port=5432 dbname=y" or a URL, reduced to where it points, for messages.
std::string describeConninfo(const std::string& conninfo);

}  // namespace tributary::db
