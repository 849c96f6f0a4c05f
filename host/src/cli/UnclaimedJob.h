#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "db/Connection.h"
#include "queue/Job.h"

namespace tributary::cli {

// How long a command following a job (sync --follow, actions run --wait) waits for a worker to
// claim it before it says why none may have.
inline constexpr auto kClaimHintAfter = std::chrono::seconds(5);

// Why no worker has claimed job `jobId` of connection `qualifiedName` (workspace/name, whose
// connector is `connector`) yet, read from the hosts' registrations: no serve runs against this
// database (`database`, as db::describeConninfo says it), or the ones that do are busy or lack
// the connector or the connection. Ends with "Still waiting; Ctrl-C stops following ...".
std::string unclaimedHint(db::Connection& c, const std::string& jobId, const std::string& qualifiedName,
                          const std::string& connector, const std::string& database,
                          const std::filesystem::path& configFile);

// Whether a job's status is one it never leaves on its own.
bool terminal(queue::JobStatus s);

}  // namespace tributary::cli
