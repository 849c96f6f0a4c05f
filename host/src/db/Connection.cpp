#include "db/Connection.h"

#include <poll.h>

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
  check(PQexec(conn_, copySql.c_str()), copySql);
  std::string buf;
  bool more = true;
  std::string failure;
  while (more) {
    buf.clear();
    try {
      more = produce(buf);
    } catch (const std::exception& e) {
      failure = e.what();
      break;
    }
    if (!buf.empty() && PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) != 1) {
      failure = PQerrorMessage(conn_);
      break;
    }
  }
  if (PQputCopyEnd(conn_, failure.empty() ? nullptr : failure.c_str()) != 1) {
    throw DbError(std::string("COPY failed: ") + PQerrorMessage(conn_));
  }
  PGresult* r = PQgetResult(conn_);
  Result res = check(r, copySql);
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  return res.affected();
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

Transaction::Transaction(Connection& c, std::string_view begin) : conn_(c) { conn_.execScript(std::string(begin)); }

Transaction::~Transaction() {
  if (!done_ && !conn_.isBroken()) {
    try {
      conn_.execScript("ROLLBACK");
    } catch (...) {
    }
  }
}

void Transaction::commit() {
  conn_.execScript("COMMIT");
  done_ = true;
}

}  // namespace tributary::db
