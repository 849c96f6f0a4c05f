#include "db/Connection.h"

#include <poll.h>

#include <utility>

#include "common/Log.h"
#include "common/Strings.h"

namespace tributary::db {

std::string describeConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    if (err) PQfreemem(err);
    return "(unparseable connection string)";
  }
  std::string host, port, db, user;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string k = o->keyword;
    if (k == "host") host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") db = o->val;
    else if (k == "user") user = o->val;
  }
  PQconninfoFree(opts);
  std::string out = "database \"" + (db.empty() ? std::string("(default)") : db) + "\" on ";
  out += host.empty() ? "the default socket" : host;
  if (!port.empty()) out += " port " + port;
  if (!user.empty()) out += " as " + user;
  return out;
}

Connection::Connection(const std::string& conninfo) : target_(describeConninfo(conninfo)) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw DbError("cannot connect to " + target_ + ": " + msg);
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { log::debug("db", "{}", message); }, nullptr);
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Result Connection::check(PGresult* r, const std::string& sql) {
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY || st == PGRES_COPY_IN) {
    return Result(r);
  }
  std::string state;
  std::string msg;
  if (r) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (s) state = s;
    msg = PQresultErrorMessage(r);
    PQclear(r);
  } else {
    msg = PQerrorMessage(conn_);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string head = sql.substr(0, 120);
  throw DbError(msg + (state.empty() ? "" : " [" + state + "]") + " (in: " + head + (sql.size() > 120 ? "…" : "") + ")",
                state);
}

Result Connection::execScript(const std::string& sql) { return check(PQexec(conn_, sql.c_str()), sql); }

Result Connection::execParams(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(
      PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0),
      sql);
}

Result Connection::execPreparedParams(const std::string& sql, const std::vector<Param>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "trib_" + std::to_string(prepared_.size() + 1);
    check(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr), sql);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(
      PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
      sql);
}

int64_t Connection::copyIn(const std::string& copySql, const std::function<bool(std::string&)>& produce) {
  CopyIn copy(*this, copySql);
  std::string buf;
  bool more = true;
  while (more) {
    buf.clear();
    try {
      more = produce(buf);
    } catch (const std::exception& e) {
      copy.abort(e.what());
      throw;
    }
    copy.put(buf);
  }
  return copy.end();
}

int64_t Connection::copyOut(const std::string& copySql, const std::function<void(std::string_view)>& consume) {
  PGresult* start = PQexec(conn_, copySql.c_str());
  if (!start || PQresultStatus(start) != PGRES_COPY_OUT) {
    check(start, copySql);  // throws the server's message, or owns (and frees) a result that is no error
    throw DbError("not a COPY ... TO STDOUT: " + copySql.substr(0, 120));
  }
  PQclear(start);
  std::string failure;
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(conn_, &buf, 0)) > 0) {
    if (failure.empty()) {
      try {
        consume(std::string_view(buf, static_cast<size_t>(n)));
      } catch (const std::exception& e) {
        failure = e.what();  // read the rest, so the connection stays usable
      }
    }
    PQfreemem(buf);
  }
  if (n == -2) throw DbError(std::string("COPY failed: ") + PQerrorMessage(conn_));
  Result res = check(PQgetResult(conn_), copySql);
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  if (!failure.empty()) throw std::runtime_error(failure);
  return res.affected();
}

CopyIn::CopyIn(Connection& conn, std::string copySql) : conn_(conn), sql_(std::move(copySql)) {
  PGresult* r = PQexec(conn_.conn_, sql_.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
    conn_.check(r, sql_);  // throws the server's message, or owns (and frees) a result that is no error
    throw DbError("not a COPY ... FROM STDIN: " + sql_.substr(0, 120));
  }
  PQclear(r);
  open_ = true;
}

CopyIn::~CopyIn() {
  if (open_) abort("the COPY was abandoned");
}

void CopyIn::put(std::string_view data) {
  constexpr size_t kFlushBytes = 256 * 1024;
  buf_.append(data);
  if (buf_.size() >= kFlushBytes) flush();
}

void CopyIn::flush() {
  if (buf_.empty()) return;
  if (PQputCopyData(conn_.conn_, buf_.data(), static_cast<int>(buf_.size())) != 1) {
    std::string err = PQerrorMessage(conn_.conn_);
    abort(err);
    throw DbError("COPY failed: " + err);
  }
  buf_.clear();
}

int64_t CopyIn::end() {
  if (!open_) throw DbError("COPY already ended: " + sql_.substr(0, 120));
  flush();
  open_ = false;
  if (PQputCopyEnd(conn_.conn_, nullptr) != 1) {
    throw DbError(std::string("COPY failed: ") + PQerrorMessage(conn_.conn_));
  }
  PGresult* r = PQgetResult(conn_.conn_);
  while (PGresult* extra = PQgetResult(conn_.conn_)) PQclear(extra);
  return conn_.check(r, sql_).affected();
}

void CopyIn::abort(const std::string& reason) noexcept {
  if (!open_) return;
  open_ = false;
  buf_.clear();
  PQputCopyEnd(conn_.conn_, reason.c_str());
  while (PGresult* r = PQgetResult(conn_.conn_)) PQclear(r);
}

void Connection::listen(const std::string& channel) { execScript("LISTEN " + strings::quoteIdent(channel)); }

void Connection::unlisten(const std::string& channel) { execScript("UNLISTEN " + strings::quoteIdent(channel)); }

std::vector<Notification> Connection::drainNotifications() {
  std::vector<Notification> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
  return out;
}

std::vector<Notification> Connection::waitForNotifications(std::chrono::milliseconds timeout) {
  return waitForNotifications(timeout, -1);
}

std::vector<Notification> Connection::waitForNotifications(std::chrono::milliseconds timeout, int wakeFd) {
  auto out = drainNotifications();
  if (!out.empty()) return out;
  struct pollfd p[2] = {{PQsocket(conn_), POLLIN, 0}, {wakeFd, POLLIN, 0}};
  if (p[0].fd < 0) throw DbError("connection lost while waiting for notifications");
  int r = ::poll(p, wakeFd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(0, timeout.count())));
  if (r > 0 && (p[0].revents & (POLLIN | POLLERR | POLLHUP))) {
    if (!PQconsumeInput(conn_)) {
      throw DbError(std::string("connection lost while waiting for notifications: ") + PQerrorMessage(conn_));
    }
    out = drainNotifications();
  }
  return out;
}

bool Connection::ping() {
  if (isBroken()) return false;
  PGresult* r = PQexec(conn_, "");
  bool ok = r && PQresultStatus(r) == PGRES_EMPTY_QUERY;
  if (r) PQclear(r);
  return ok && !isBroken();
}

bool Connection::isBroken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::inTransaction() const { return conn_ && PQtransactionStatus(conn_) != PQTRANS_IDLE; }

int Connection::backendPid() const { return conn_ ? PQbackendPID(conn_) : 0; }

Transaction::Transaction(Connection& c, std::string_view begin) : conn_(&c) { c.execScript(std::string(begin)); }

Transaction::~Transaction() { end(); }

Transaction::Transaction(Transaction&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}

Transaction& Transaction::operator=(Transaction&& o) noexcept {
  if (this != &o) {
    end();
    conn_ = std::exchange(o.conn_, nullptr);
  }
  return *this;
}

void Transaction::end() noexcept {
  if (conn_ && !conn_->isBroken()) {
    try {
      conn_->execScript("ROLLBACK");
    } catch (...) {
    }
  }
  conn_ = nullptr;
}

void Transaction::commit() {
  if (!conn_) throw DbError("commit: the transaction already ended");
  Connection* c = std::exchange(conn_, nullptr);
  c->execScript("COMMIT");
}

void Transaction::rollback() {
  if (!conn_) return;
  Connection* c = std::exchange(conn_, nullptr);
  if (!c->isBroken()) c->execScript("ROLLBACK");
}

Savepoint::Savepoint(Connection& c, std::string name) : conn_(c), name_(std::move(name)) {
  conn_.execScript("SAVEPOINT " + name_);
}

Savepoint::~Savepoint() {
  if (done_ || conn_.isBroken()) return;
  try {
    rollback();
  } catch (...) {
  }
}

void Savepoint::release() {
  done_ = true;
  conn_.execScript("RELEASE SAVEPOINT " + name_);
}

void Savepoint::rollback() {
  done_ = true;
  conn_.execScript("ROLLBACK TO SAVEPOINT " + name_ + "; RELEASE SAVEPOINT " + name_);
}

}  // namespace tributary::db
