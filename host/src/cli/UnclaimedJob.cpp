#include "cli/UnclaimedJob.h"

#include "app/ConfigSync.h"
#include "common/Strings.h"

namespace tributary::cli {

std::string unclaimedHint(db::Connection& c, const std::string& jobId, const std::string& qualifiedName,
                          const std::string& connector, const std::string& database,
                          const std::filesystem::path& configFile) {
  std::string out = "no worker has claimed job " + jobId + " (" + qualifiedName + ") after " +
                    std::to_string(kClaimHintAfter.count()) + " s: ";
  auto hosts = app::ConfigSync::runningHosts(c);
  if (hosts.empty()) {
    out += "no `tributary serve` is running against this database (" + database +
           "); jobs run only in the workers of a serve. Start one with `tributary serve" +
           (configFile.empty() ? std::string() : " --config " + configFile.string()) + "`";
  } else {
    std::vector<std::string> names;
    for (const auto& h : hosts) names.push_back(h.host + " (" + h.role + ")");
    const int64_t running = c.exec("SELECT count(*) FROM jobs WHERE status = 'running'").int64(0, 0);
    out += std::to_string(hosts.size()) + " host(s) run against this database (" + strings::join(names, ", ") +
           "), but none of their workers has taken it: they may all be busy (" + std::to_string(running) +
           " job(s) running), or none of them may run it (a worker needs the connector " + connector + " loaded and " +
           qualifiedName + " in its configuration; see their logs)";
  }
  return out + ". Still waiting; Ctrl-C stops following and leaves the job queued";
}

bool terminal(queue::JobStatus s) {
  return s == queue::JobStatus::Completed || s == queue::JobStatus::Failed || s == queue::JobStatus::Cancelled ||
         s == queue::JobStatus::Discarded;
}

}  // namespace tributary::cli
