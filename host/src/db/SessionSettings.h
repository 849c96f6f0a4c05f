#pragma once

#include <string>

#include "config/Config.h"

namespace tributary::db {

// `conninfo` (a key=value string or a postgresql:// URL) with the session settings added, as a
// key=value string: the timeouts (idle_in_transaction_session_timeout, lock_timeout,
// statement_timeout) and the server's TCP keepalives as `options` (-c name=value, so that every
// session has them from its first statement, the queue's LISTEN connection too), and libpq's
// own keepalives and tcp_user_timeout, so that this side gives up on a server that went silent.
// What the conninfo sets itself wins: its `options` come after ours (PostgreSQL takes the last
// -c of a name), and a libpq keyword it sets is kept. Without `options` in the conninfo,
// PGOPTIONS (which ours would otherwise replace) is kept the same way. A setting of 0 is left
// out; with all of them 0 the conninfo is returned as it was. Throws DbError when libpq cannot
// parse the conninfo.
std::string withSessionSettings(const std::string& conninfo, const config::SessionTimeouts& settings);

// The server settings as PostgreSQL names and takes them, for the log:
// "idle_in_transaction_session_timeout=60000 lock_timeout=30000 ..." (keepalives in seconds).
std::string describeSessionSettings(const config::SessionTimeouts& settings);

}  // namespace tributary::db
