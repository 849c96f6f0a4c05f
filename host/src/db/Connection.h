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

// One libpq connection: the only door to libpq, which no room but db/ calls. Not thread-safe: one thread uses it at a
// time (the pool hands it out).
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
  // returns false when there is no more. Returns the number of rows copied. (CopyIn is the
  // push-style form of the same, for data that arrives a piece at a time.)
  int64_t copyIn(const std::string& copySql, const std::function<bool(std::string&)>& produce);
  // COPY ... TO STDOUT: `consume` gets the data as it arrives. Returns the number of rows.
  int64_t copyOut(const std::string& copySql, const std::function<void(std::string_view)>& consume);

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
  const std::string& target() const { return target_; }

 private:
  friend class CopyIn;
  Result check(PGresult* r, const std::string& sql);
  std::vector<Notification> drainNotifications();
  PGconn* conn_ = nullptr;
  std::string target_;
  std::unordered_map<std::string, std::string> prepared_;
};

// A COPY ... FROM STDIN fed a piece at a time: put() buffers and sends in large chunks, end()
// finishes it and reports the server's verdict, abort() (or destruction while open) cancels it,
// so that the statement fails and nothing it sent is kept. The connection may run nothing else
// while a CopyIn is open on it.
class CopyIn {
 public:
  // Starts the COPY; throws DbError with the server's message.
  CopyIn(Connection& conn, std::string copySql);
  ~CopyIn();
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  void put(std::string_view data);
  // Sends what is buffered and ends the COPY; returns the rows copied. Throws DbError (the
  // COPY is over either way).
  int64_t end();
  // Ends the COPY as failed; never throws. The connection's transaction, if any, is then
  // aborted, as after any failed statement.
  void abort(const std::string& reason) noexcept;
  bool open() const { return open_; }

 private:
  void flush();
  Connection& conn_;
  std::string sql_;
  std::string buf_;
  bool open_ = false;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() or rollback() ran. Movable, so
// it can live in a container or an optional; a moved-from Transaction does nothing.
class Transaction {
 public:
  explicit Transaction(Connection& c, std::string_view begin = "BEGIN");
  ~Transaction();
  Transaction(Transaction&& o) noexcept;
  Transaction& operator=(Transaction&& o) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();
  void rollback();
  // False once committed or rolled back.
  bool active() const { return conn_ != nullptr; }
  Connection& connection() { return *conn_; }

 private:
  void end() noexcept;
  Connection* conn_;
};

// SAVEPOINT on construction. release() keeps what ran since; rollback() undoes it (and releases
// the savepoint); destruction without either rolls back, unless the connection broke. Names
// may repeat: PostgreSQL then uses the innermost.
class Savepoint {
 public:
  Savepoint(Connection& c, std::string name);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  void release();
  void rollback();

 private:
  Connection& conn_;
  std::string name_;
  bool done_ = false;
};

// "host=/x port=5432 dbname=y" or a URL, reduced to where it points, for messages.
std::string describeConninfo(const std::string& conninfo);

}  // namespace tributary::db
