// database.session: how it is read and derived from the lease, and how the settings get into a
// connection string of either form libpq takes.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <map>

#include "config/ConfigLoader.h"
#include "db/DbError.h"
#include "db/SessionSettings.h"

using namespace tributary;
using namespace tributary::config;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace database_session_test {

LoadResult load(const std::string& yaml) {
  return ConfigLoader([](const std::string&) { return std::optional<std::string>(); })
      .loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

// What libpq reads from a connection string: keyword -> value, for those it sets.
std::map<std::string, std::string> parse(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  std::map<std::string, std::string> out;
  if (!opts) {
    ADD_FAILURE() << "libpq cannot parse " << conninfo << ": " << (err ? err : "");
    if (err) PQfreemem(err);
    return out;
  }
  for (auto* o = opts; o->keyword; ++o) {
    if (o->val) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

SessionTimeouts defaults() { return load("").config.sessionTimeouts(); }

const std::string kDefaultOptions =
    "-c idle_in_transaction_session_timeout=60000 -c lock_timeout=30000 -c statement_timeout=1800000"
    " -c tcp_keepalives_idle=15 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 -c tcp_user_timeout=30000";

TEST(DatabaseSessionConfig, EveryValueIsDerivedFromTheLeaseWhenNotSet) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_FALSE(r.config.database.session.idleInTransactionTimeout.has_value());
  const auto t = r.config.sessionTimeouts();
  EXPECT_EQ(t.idleInTransaction, minutes(1)) << "twice the 30s lease";
  EXPECT_EQ(t.lock, seconds(30)) << "the lease";
  EXPECT_EQ(t.statement, minutes(30)) << "sixty leases";
  EXPECT_EQ(t.tcpKeepalive, seconds(30)) << "the lease";

  auto shortLease = load("queue: {lease: 500ms, heartbeat_interval: 100ms}\n");
  ASSERT_TRUE(shortLease.ok()) << shortLease.diagnostics.format();
  const auto s = shortLease.config.sessionTimeouts();
  EXPECT_EQ(s.idleInTransaction, seconds(1));
  EXPECT_EQ(s.lock, milliseconds(500));
  EXPECT_EQ(s.statement, minutes(1)) << "at least a minute";
  EXPECT_EQ(s.tcpKeepalive, seconds(10)) << "at least ten seconds";
}

TEST(DatabaseSessionConfig, NullMeansDerivedAndZeroMeansNotSet) {
  auto r = load(
      "database:\n  session:\n    idle_in_transaction_timeout: 90s\n    lock_timeout: 0\n"
      "    statement_timeout: ~\n    tcp_keepalive: 0s\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.database.session.idleInTransactionTimeout, seconds(90));
  EXPECT_EQ(r.config.database.session.lockTimeout, milliseconds(0));
  EXPECT_FALSE(r.config.database.session.statementTimeout.has_value());
  const auto t = r.config.sessionTimeouts();
  EXPECT_EQ(t.idleInTransaction, seconds(90));
  EXPECT_EQ(t.lock, milliseconds(0));
  EXPECT_EQ(t.statement, minutes(30));
  EXPECT_EQ(t.tcpKeepalive, milliseconds(0));
}

TEST(DatabaseSessionConfig, BadValuesAreNamedAtTheirPosition) {
  auto r = load(
      "database:\n"
      "  session:\n"
      "    idle_in_transaction_timeout: 50ms\n"
      "    lock_timeout: soon\n"
      "    statement_timeout: 30d\n"
      "    tcp_keepalive: 500ms\n"
      "    lock_timeuot: 1s\n");
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "t.yaml:3:34: database.session.idle_in_transaction_timeout: must be 0 (not set) or between 100ms and "
                "24d, got 50ms; leave it out to derive it from queue.lease",
                "t.yaml:4:19: database.session.lock_timeout: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got "
                "\"soon\"",
                "t.yaml:5:24: database.session.statement_timeout: must be 0 (not set) or between 100ms and 24d, got "
                "30d; leave it out to derive it from queue.lease",
                "t.yaml:6:20: database.session.tcp_keepalive: must be 0 (not set) or between 1s and 24d, got 500ms; "
                "leave it out to derive it from queue.lease",
                "t.yaml:7:5: database.session.lock_timeuot: unknown key (did you mean \"lock_timeout\"?)",
            }));
  EXPECT_FALSE(r.config.database.session.lockTimeout.has_value()) << "a bad value falls back to the derived one";
}

TEST(DatabaseSessionConfig, TheStatementTimeoutMustOutlastABatch) {
  auto r = load("database:\n  session:\n    statement_timeout: 5s\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:3:24: database.session.statement_timeout: must be longer "
                                                  "than sync.batch.max_age (5s), or batches that stay open that long "
                                                  "would be cancelled"});
  auto derived = load("queue: {lease: 1s, heartbeat_interval: 200ms}\nsync:\n  batch:\n    max_age: 2m\n");
  EXPECT_EQ(messages(derived), std::vector<std::string>{"t.yaml:4:14: sync.batch.max_age: must be shorter than "
                                                        "database.session.statement_timeout (1m, derived from "
                                                        "queue.lease), or batches that stay open that long would be "
                                                        "cancelled"});
  EXPECT_TRUE(load("database:\n  session:\n    statement_timeout: 0\n").ok()) << "0: not set, nothing to outlast";
}

TEST(DatabaseSessionConninfo, AKeyValueStringKeepsItsKeysAndGainsTheSettings) {
  const auto out =
      db::withSessionSettings("host=/run/pg port=5433 dbname=trib user=u password='p w\\'x\\\\'", defaults());
  auto p = parse(out);
  EXPECT_EQ(p["host"], "/run/pg");
  EXPECT_EQ(p["port"], "5433");
  EXPECT_EQ(p["dbname"], "trib");
  EXPECT_EQ(p["user"], "u");
  EXPECT_EQ(p["password"], "p w'x\\");
  EXPECT_EQ(p["options"], kDefaultOptions);
  EXPECT_EQ(p["keepalives"], "1");
  EXPECT_EQ(p["keepalives_idle"], "15");
  EXPECT_EQ(p["keepalives_interval"], "5");
  EXPECT_EQ(p["keepalives_count"], "3");
  EXPECT_EQ(p["tcp_user_timeout"], "30000");
  EXPECT_EQ(p.size(), 11u) << out;
}

TEST(DatabaseSessionConninfo, AUrlIsDecodedAndRewrittenAsKeyValues) {
  const auto out = db::withSessionSettings(
      "postgresql://us%40r:p%3Ass%20w@db.internal:6432,db2:6433/tri%20b?sslmode=require&application_name=a%26b",
      defaults());
  auto p = parse(out);
  EXPECT_EQ(p["host"], "db.internal,db2");
  EXPECT_EQ(p["port"], "6432,6433");
  EXPECT_EQ(p["user"], "us@r");
  EXPECT_EQ(p["password"], "p:ss w");
  EXPECT_EQ(p["dbname"], "tri b");
  EXPECT_EQ(p["sslmode"], "require");
  EXPECT_EQ(p["application_name"], "a&b");
  EXPECT_EQ(p["options"], kDefaultOptions);
  EXPECT_EQ(p["keepalives_idle"], "15");
}

TEST(DatabaseSessionConninfo, AUrlToAUnixSocketKeepsItsDirectory) {
  auto p = parse(db::withSessionSettings("postgres://%2Fvar%2Frun%2Fpostgresql/trib", defaults()));
  EXPECT_EQ(p["host"], "/var/run/postgresql");
  EXPECT_EQ(p["dbname"], "trib");
  p = parse(db::withSessionSettings("postgresql:///trib?host=/tmp/s%20d&port=5999", defaults()));
  EXPECT_EQ(p["host"], "/tmp/s d");
  EXPECT_EQ(p["port"], "5999");
  EXPECT_EQ(p["options"], kDefaultOptions);
}

TEST(DatabaseSessionConninfo, ItsOwnOptionsComeLastSoTheyWin) {
  auto p = parse(db::withSessionSettings("dbname=x options='-c lock_timeout=5s -c search_path=app'", defaults()));
  EXPECT_EQ(p["options"], kDefaultOptions + " -c lock_timeout=5s -c search_path=app");
  p = parse(db::withSessionSettings("postgresql://h/x?options=-c%20statement_timeout%3D0", defaults()));
  EXPECT_EQ(p["options"], kDefaultOptions + " -c statement_timeout=0");
}

TEST(DatabaseSessionConninfo, ItsOwnKeepaliveParametersAreKept) {
  auto p = parse(db::withSessionSettings("host=h keepalives_idle=60 tcp_user_timeout=0", defaults()));
  EXPECT_EQ(p["keepalives_idle"], "60");
  EXPECT_EQ(p["tcp_user_timeout"], "0");
  EXPECT_EQ(p["keepalives_interval"], "5");
  EXPECT_EQ(p["keepalives"], "1");
}

TEST(DatabaseSessionConninfo, PgoptionsIsKeptWhenTheConninfoHasNone) {
  ::setenv("PGOPTIONS", "-c work_mem=64MB", 1);
  auto p = parse(db::withSessionSettings("dbname=x", defaults()));
  auto q = parse(db::withSessionSettings("dbname=x options=-cgeqo=off", defaults()));
  ::unsetenv("PGOPTIONS");
  EXPECT_EQ(p["options"], kDefaultOptions + " -c work_mem=64MB");
  EXPECT_EQ(q["options"], kDefaultOptions + " -cgeqo=off") << "libpq ignores PGOPTIONS when options is given";
}

TEST(DatabaseSessionConninfo, SettingsAtZeroAreLeftOut) {
  SessionTimeouts t;
  t.idleInTransaction = seconds(4);
  t.statement = minutes(1);
  auto p = parse(db::withSessionSettings("dbname=x", t));
  EXPECT_EQ(p["options"], "-c idle_in_transaction_session_timeout=4000 -c statement_timeout=60000");
  EXPECT_EQ(p.count("keepalives"), 0u);
  EXPECT_EQ(p.count("tcp_user_timeout"), 0u);
  EXPECT_EQ(db::withSessionSettings("postgresql://h/x?sslmode=disable", SessionTimeouts{}),
            "postgresql://h/x?sslmode=disable")
      << "nothing to add: the string as it was";
}

TEST(DatabaseSessionConninfo, KeepalivesAddUpToTheGivenTime) {
  SessionTimeouts t;
  t.tcpKeepalive = seconds(10);
  auto p = parse(db::withSessionSettings("", t));
  EXPECT_EQ(
      p["options"],
      "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=10000");
  EXPECT_EQ(p["keepalives_idle"], "5");
  t.tcpKeepalive = seconds(1);
  p = parse(db::withSessionSettings("", t));
  EXPECT_EQ(p["keepalives_idle"], "1") << "whole seconds, at least one";
  EXPECT_EQ(p["keepalives_interval"], "1");
  EXPECT_EQ(p["tcp_user_timeout"], "1000");
}

TEST(DatabaseSessionConninfo, AStringLibpqCannotParseIsRefusedWithItsReason) {
  for (const auto& [conninfo, reason] : std::vector<std::pair<std::string, std::string>>{
           {"host='unterminated", "unterminated quoted string in connection info string"},
           {"postgresql://h/x?nosuch=1", "invalid URI query parameter: \"nosuch\""},
           {"dbname=x bogus=1", "invalid connection option \"bogus\""},
       }) {
    try {
      db::withSessionSettings(conninfo, defaults());
      ADD_FAILURE() << conninfo << " was accepted";
    } catch (const db::DbError& e) {
      EXPECT_EQ(std::string(e.what()), "the database connection string cannot be parsed: " + reason) << conninfo;
    }
  }
}

TEST(DatabaseSessionConninfo, TheLogNamesTheSettingsAsPostgresqlDoes) {
  EXPECT_EQ(db::describeSessionSettings(defaults()),
            "idle_in_transaction_session_timeout=60000 lock_timeout=30000 "
            "statement_timeout=1800000 tcp_keepalives_idle=15 "
            "tcp_keepalives_interval=5 tcp_keepalives_count=3 "
            "tcp_user_timeout=30000");
  EXPECT_EQ(db::describeSessionSettings(SessionTimeouts{}), "(none)");
}

}  // namespace database_session_test
