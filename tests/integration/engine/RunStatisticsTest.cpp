// ABI 1.1's run statistics (add_run_counter, set_run_fact) through the real engine, with the C
// fixture and the C++ one: stored in sync_runs and the job's result, shown by `tributary jobs
// show`, and refused with exact messages where they are wrong.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "StateFixtureRun.h"
#include "common/Strings.h"

using namespace tributary;
using queue::JobStatus;
using test::plain;
using test::StateFixtureRun;
using J = test::PlainJson;

namespace {

class RunStatistics : public ::testing::TestWithParam<const char*> {
 protected:
  test::QueueDatabase q;
};

process::RunResult tributaryCli(StateFixtureRun& f, std::vector<std::string> args) {
  const auto cfg = f.dir.write("cli.yaml", "database:\n  url: \"" + f.q.db.conninfo() + "\"\n");
  std::vector<std::string> argv = {test::tributaryBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(cfg.string());
  return test::runProgram(argv);
}

}  // namespace

TEST_P(RunStatistics, CountersAndFactsAreStoredInTheRunAndTheResultAndShownByJobsShow) {
  StateFixtureRun f(q, GetParam(), "{stats: ok, pages: 2, per_page: 3, follow_up_resync: items}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  auto done = f.run(id);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  const J expected = {{"counters", {{"check.calls", 1}, {"pages", 2}, {"items.emitted", 6}}},
                      {"facts", {{"vendor.limit", {{"used", 3}, {"max", 100}}}, {"last.page", 1}}}};
  EXPECT_EQ(plain(done.result["plugin"]), expected);
  EXPECT_EQ(f.runMetadata(id)["plugin"], expected);
  EXPECT_EQ(f.runMetadata(id)["result"]["plugin"], expected);

  auto shown = tributaryCli(f, {"jobs", "show", id});
  ASSERT_TRUE(WIFEXITED(shown.status) && WEXITSTATUS(shown.status) == 0) << shown.output;
  const std::string runId = done.result["run_id"];
  const std::string resyncId = done.result["follow_ups"][0]["job_id"];
  const std::string block = "\nrun " + runId +
                            " completed\n"
                            "plugin counters:\n"
                            "  check.calls    1\n"
                            "  items.emitted  6\n"
                            "  pages          2\n"
                            "plugin facts:\n"
                            "  last.page      1\n"
                            "  vendor.limit   {\"max\":100,\"used\":3}\n"
                            "follow-ups:\n"
                            "  resync of items: queued job " +
                            resyncId +
                            " (the deletions feed lapsed)\n"
                            "streams of its connection:\n"
                            "  items  completed  carried state {\"page\": 1, \"token\": 1} (since ";
  EXPECT_NE(shown.output.find(block), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.rfind("{\n", 0), 0u) << "the job's JSON comes first: " << shown.output;

  auto json = tributaryCli(f, {"jobs", "show", id, "--json"});
  ASSERT_TRUE(WIFEXITED(json.status) && WEXITSTATUS(json.status) == 0) << json.output;
  const J parsed = J::parse(json.output);
  EXPECT_EQ(parsed["run"]["plugin"], expected);
  EXPECT_EQ(parsed["run"]["status"], "completed");
  EXPECT_EQ(parsed["run"]["streams"][0]["stream"], "items");
  EXPECT_EQ(parsed["run"]["streams"][0]["carried_state"], (J{{"page", 1}, {"token", 1}}));
  EXPECT_EQ(parsed["run"]["follow_ups"][0]["job_id"], resyncId);
}

// A run covers its job: a retried attempt adds to the counters its earlier attempts stored (so
// they count what the attempts did), and a fact keeps the last value set.
TEST_P(RunStatistics, ARetriedAttemptAddsToTheCountersOfTheEarlierOnes) {
  StateFixtureRun f(q, GetParam(), "{stats: ok, pages: 3, per_page: 1, fail_at_page: 1, fail_with: retry}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.runAttempt(id).status, JobStatus::Pending);
  const J afterFirst = f.runMetadata(id)["plugin"];
  EXPECT_EQ(afterFirst["counters"], (J{{"check.calls", 1}, {"pages", 2}, {"items.emitted", 2}}))
      << "stored when the attempt failed";
  auto done = f.runAttempt(id);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  EXPECT_EQ(plain(done.result["plugin"]["counters"]), (J{{"check.calls", 2}, {"pages", 4}, {"items.emitted", 4}}))
      << "pages 0 and 1, then 1 again and 2";
  EXPECT_EQ(done.result["plugin"]["facts"]["last.page"], 2);
  EXPECT_EQ(f.runMetadata(id)["plugin"], plain(done.result["plugin"]));
}

TEST_P(RunStatistics, TheHundredAndFirstNameIsFatalNamingIt) {
  StateFixtureRun f(q, GetParam(), "{stats: names101}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  auto failed = f.run(id);
  ASSERT_EQ(failed.status, JobStatus::Failed) << failed.toJson().dump(2);
  EXPECT_EQ(failed.lastError,
            "stream items: add_run_counter: 'c.100' would be name 101 of the run's counters and facts; a run has at "
            "most 100 (reuse names, or put the detail in one fact's JSON)");
  EXPECT_EQ(f.runMetadata(id)["plugin"]["counters"].size(), 100u) << "the hundred before it are kept";
}

// What the host API's trampolines refuse, before the engine sees it.
TEST_P(RunStatistics, ABadNameATooLongFactAndANonJsonFactAreFatalWithTheirMessages) {
  StateFixtureRun f(q, GetParam());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad_name", "stream items: add_run_counter: the name 'Bad Name' is not 1 to 64 of [a-z0-9_.]"},
      {"long_fact", "stream items: set_run_fact: fact 'big' is 5000 bytes (at most 4096)"},
      {"not_json", "stream items: set_run_fact: fact 'oops' is not JSON text: '{oops'"},
  };
  for (const auto& [stats, message] : cases) {
    f.configure("{stats: " + stats + "}");
    auto failed = f.sync({{"streams", {"items"}}});
    ASSERT_EQ(failed.status, JobStatus::Failed) << stats << ": " << failed.toJson().dump(2);
    EXPECT_EQ(failed.lastError, message) << stats;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RunStatistics, ::testing::Values(test::kStateFixtureC, test::kStateFixtureCpp),
                         test::fixtureLabel);
