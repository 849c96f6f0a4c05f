#include "config/ConnectionBudget.h"

#include <algorithm>
#include <stdexcept>

namespace tributary::config {

ConnectionBudget ConnectionBudget::of(const Config& cfg, int cores) {
  ConnectionBudget b;
  b.processes = cfg.workers.processes > 0 ? cfg.workers.processes : std::max(1, cores);
  b.servePool = cfg.database.pool.max;
  const int c = cfg.workers.concurrency;
  const int full = std::max(cfg.database.pool.max, 3 * c + 4);
  if (cfg.database.connectionBudget > 0) {
    const int left = cfg.database.connectionBudget - b.servePool - b.serveSessions;
    const int each = left / b.processes - b.workerSessions;
    const int least = 2 * c + 4;
    if (each < least) {
      throw std::invalid_argument(
          "database.connection_budget is " + std::to_string(cfg.database.connectionBudget) + ": after serve's pool (" +
          std::to_string(b.servePool) + ") and its " + std::to_string(b.serveSessions) + " sessions, each of the " +
          std::to_string(b.processes) + " worker processes would get " + std::to_string(std::max(0, each)) +
          " connections, fewer than the " + std::to_string(least) + " that " + std::to_string(c) +
          " jobs at once need (2 x workers.concurrency + 4): raise the budget to at least " +
          std::to_string(b.servePool + b.serveSessions + b.processes * (least + b.workerSessions)) +
          ", or lower workers.processes or workers.concurrency");
    }
    b.workerPool = std::min(full, each);
    b.fromBudgetKey = true;
  } else {
    b.workerPool = full;
  }
  b.perWorker = b.workerPool + b.workerSessions;
  b.total = b.servePool + b.serveSessions + b.processes * b.perWorker;
  return b;
}

std::string ConnectionBudget::describe() const {
  return "up to " + std::to_string(total) + " connections: serve's pool " + std::to_string(servePool) + " + " +
         std::to_string(serveSessions) + " sessions, and " + std::to_string(processes) + " worker process" +
         (processes == 1 ? "" : "es") + " x (" + std::to_string(workerPool) + " + 1 LISTEN + 1 rate-limit session)";
}

}  // namespace tributary::config
