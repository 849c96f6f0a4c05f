// A host checks its connection budget against the server before it starts anything.
#include <gtest/gtest.h>

#include "TestSupport.h"

using namespace tributary;

TEST(ConnectionBudget, AHostWhoseBudgetTheServerCanNeverFitRefusesToStartAndSaysWhatToChange) {
  test::TestDatabase db;
  test::TempDir dir;
  // 64 workers of 100 jobs: 64 x 306 + 15 connections, far past the fixture's 300.
  auto cfg =
      dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\nworkers: {processes: 64, concurrency: 100}\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0"});
  EXPECT_FALSE(r.ok()) << r.output;
  EXPECT_NE(
      r.output.find("this host may open up to 19599 connections: serve's pool 10 + 5 sessions, and 64 worker "
                    "processes x (304 + 1 LISTEN + 1 rate-limit session); the server allows 300 (max_connections)"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("lower workers.processes, workers.concurrency or database.pool.max, set "
                          "database.connection_budget, or raise max_connections on the server"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("started worker"), std::string::npos) << "workers were started first";
}

TEST(ConnectionBudget, ABudgetTooSmallForTheWorkersIsRefusedNamingTheKey) {
  test::TestDatabase db;
  test::TempDir dir;
  auto cfg = dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() +
                                     "\"\n  connection_budget: 20\nworkers: {processes: 2, concurrency: 8}\n");
  auto r = test::runProgram({test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0"});
  EXPECT_FALSE(r.ok()) << r.output;
  EXPECT_NE(r.output.find("database.connection_budget is 20"), std::string::npos) << r.output;
}
