#pragma once

#include <string>

#include "config/Config.h"

namespace tributary::config {

// The database connections one host (`tributary serve`) may open at most, and how they are
// spent. Each worker process runs up to `concurrency` jobs; a sync holds two connections at once
// (double-buffered batches) and briefly a third (progress), and heartbeats, claims and
// completions need their own, so a worker's pool is 3 x concurrency + 4, plus its LISTEN
// connection. The serve process has its own pool (database.pool.max) and three sessions of its
// own: the scheduler's and maintenance's leader sessions and the configuration's.
//
// With database.connection_budget set, the pools follow from it instead: what is left after
// serve's pool and sessions is split between the workers, each getting at most 3 x concurrency
// + 4 and at least 2 x concurrency + 4 (a sync at full speed needs two); below that the budget
// is refused, with what to change.
struct ConnectionBudget {
  int processes = 0;           // worker processes (workers.processes, or one per core)
  int workerPool = 0;          // each worker's pool
  int perWorker = 0;           // each worker's pool plus its LISTEN connection
  int servePool = 0;           // database.pool.max
  int serveSessions = 4;       // the scheduler's and maintenance's leaders, the config's, the registration
  int total = 0;               // what this host opens at most
  bool fromBudgetKey = false;  // sized from database.connection_budget

  // Throws std::invalid_argument when database.connection_budget cannot fit the workers.
  static ConnectionBudget of(const Config& cfg, int cores);
  // "up to 82 connections: serve's pool 10 + 3 sessions, and 2 workers x (32 + 1 LISTEN)".
  std::string describe() const;
};

}  // namespace tributary::config
