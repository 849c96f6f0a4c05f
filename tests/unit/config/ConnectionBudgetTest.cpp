#include "config/ConnectionBudget.h"

#include <gtest/gtest.h>

using namespace tributary::config;

TEST(ConnectionBudget, AHostNeedsItsServePoolItsSessionsAndEachWorkersPoolListenAndRateLimitSession) {
  Config cfg;
  cfg.workers.processes = 0;  // one per core
  cfg.workers.concurrency = 8;
  auto b = ConnectionBudget::of(cfg, 8);
  EXPECT_EQ(b.processes, 8);
  EXPECT_EQ(b.workerPool, 28) << "3 x 8 + 4";
  EXPECT_EQ(b.perWorker, 30) << "the pool, the LISTEN connection and the HTTP client's rate-limit session";
  EXPECT_EQ(b.total, 10 + 5 + 8 * 30);
  EXPECT_EQ(b.describe(),
            "up to 255 connections: serve's pool 10 + 5 sessions, and 8 worker processes x (28 + 1 LISTEN + 1 "
            "rate-limit session)");
  cfg.workers.processes = 2;
  cfg.workers.concurrency = 1;
  EXPECT_EQ(ConnectionBudget::of(cfg, 8).workerPool, 10) << "never below database.pool.max";
}

TEST(ConnectionBudget, ASetBudgetCutsTheWorkersPoolsToFitOrIsRefusedWithWhatToChange) {
  Config cfg;
  cfg.workers.processes = 4;
  cfg.workers.concurrency = 8;
  cfg.database.connectionBudget = 110;
  auto b = ConnectionBudget::of(cfg, 2);
  EXPECT_TRUE(b.fromBudgetKey);
  EXPECT_EQ(b.workerPool, (110 - 15) / 4 - 2) << "each worker's LISTEN and rate-limit sessions come off its share";
  EXPECT_LE(b.total, 110);
  cfg.database.connectionBudget = 500;
  EXPECT_EQ(ConnectionBudget::of(cfg, 2).workerPool, 28) << "no more than the workers use";
  cfg.database.connectionBudget = 60;
  try {
    ConnectionBudget::of(cfg, 2);
    FAIL() << "a budget too small for the workers was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "database.connection_budget is 60: after serve's pool (10) and its 5 sessions, each of the 4 worker "
                 "processes would get 9 connections, fewer than the 20 that 8 jobs at once need (2 x "
                 "workers.concurrency + 4): raise the budget to at least 103, or lower workers.processes or "
                 "workers.concurrency");
  }
  cfg.database.connectionBudget = 103;
  EXPECT_EQ(ConnectionBudget::of(cfg, 2).workerPool, 20) << "the budget the refusal names is enough";
}
