#pragma once

#include <string>

#include "config/Config.h"

namespace tributary::config {

// The database connections one host (`tributary serve`) may open at most, and how they are
// spent. Each worker process runs up to `concurrency` jobs; a sync holds two connections at once
// (double-buffered batches) and briefly a third (progress), and heartbeats, claims and
// completions need their own, so a worker's pool is 3 x concurrency + 4, plus two sessions of its
// own: its LISTEN connection and the HTTP client's rate-limit session (the budgets it shares with
// every host through the database). The serve process has its own pool (database.pool.max) and
// four sessions of its own: the scheduler's and maintenance's leader sessions, the
// configuration's and its registration.
//
// With database.connection_budget set, the pools follow from it instead: what is left after
// serve's pool and sessions is split between the workers, each getting at most 3 x concurrency
// + 4 and at least 2 x concurrency + 4 (a sync at full speed needs two) besides its two
// sessions; below that the budget is refused, with what to change.
struct ConnectionBudget {
  int processes = 0;           // worker processes (workers.processes, or one per core)
  int workerPool = 0;          // each worker's pool
  int workerSessions = 2;      // each worker's LISTEN connection and its rate-limit session
  int perWorker = 0;           // each worker's pool plus its sessions
  int servePool = 0;           // database.pool.max
  int serveSessions = 5;       // the scheduler's and maintenance's leaders, the config's, the registration,
                               // the API's event streams (api::EventHub)
  int total = 0;               // what this host opens at most
  bool fromBudgetKey = false;  // sized from database.connection_budget

  // Throws std::invalid_argument when database.connection_budget cannot fit the workers.
  static ConnectionBudget of(const Config& cfg, int cores);
  // "up to 254 connections: serve's pool 10 + 4 sessions, and 8 worker processes x (28 + 1 LISTEN
  // + 1 rate-limit session)".
  std::string describe() const;
};

}  // namespace tributary::config
