#include "engine/RunStatistics.h"

#include <gtest/gtest.h>

#include "plugins/RunServices.h"

using namespace tributary;
using namespace tributary::engine;
using plugins::ResultCode;
using plugins::RunStopped;

namespace {

std::string fatalMessage(const std::function<void()>& f) {
  try {
    f();
  } catch (const RunStopped& e) {
    EXPECT_EQ(e.code(), ResultCode::Fatal);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RunStatistics, CountersAddUpAndTheLastFactWins) {
  RunStatistics s;
  EXPECT_EQ(s.toJson(), (Json{{"counters", Json::object()}, {"facts", Json::object()}}));
  s.add("pages", 1);
  s.add("pages", 2);
  s.add("skipped", -1);
  s.set("limit", R"({"used":1})");
  s.set("limit", R"({"used":2})");
  EXPECT_EQ(s.toJson(), (Json{{"counters", {{"pages", 3}, {"skipped", -1}}}, {"facts", {{"limit", {{"used", 2}}}}}}));
}

TEST(RunStatistics, ALaterAttemptAddsToWhatTheEarlierOnesStored) {
  RunStatistics s;
  s.resumeFrom(Json{{"counters", {{"pages", 4}, {"odd", "text"}}}, {"facts", {{"limit", 7}}}});
  s.add("pages", 1);
  EXPECT_EQ(s.toJson(), (Json{{"counters", {{"pages", 5}}}, {"facts", {{"limit", 7}}}})) << "a non-integer is ignored";
  RunStatistics none;
  none.resumeFrom(nullptr);
  EXPECT_EQ(none.toJson()["counters"], Json::object());
}

TEST(RunStatistics, TheHundredAndFirstNameIsFatalNamingItAndTheEarlierOnesCount) {
  RunStatistics s;
  s.resumeFrom(Json{{"facts", {{"f.0", 1}}}});
  for (int i = 1; i < 100; ++i) s.add("c." + std::to_string(i), 1);
  s.add("c.1", 1);  // a name it has is no new one
  s.set("f.0", "2");
  EXPECT_EQ(fatalMessage([&] { s.set("f.1", "1"); }),
            "set_run_fact: 'f.1' would be name 101 of the run's counters and facts; a run has at most 100 (reuse "
            "names, or put the detail in one fact's JSON)");
  EXPECT_EQ(fatalMessage([&] { s.add("c.100", 1); }),
            "add_run_counter: 'c.100' would be name 101 of the run's counters and facts; a run has at most 100 "
            "(reuse names, or put the detail in one fact's JSON)");
  EXPECT_EQ(s.toJson()["counters"].size() + s.toJson()["facts"].size(), 100u);
}

TEST(RunStatistics, ACounterThatWouldOverflowIsFatal) {
  RunStatistics s;
  s.add("big", INT64_MAX);
  EXPECT_EQ(fatalMessage([&] { s.add("big", 1); }),
            "add_run_counter: counter 'big' is 9223372036854775807; adding 1 would overflow 64 bits");
  EXPECT_EQ(s.toJson()["counters"]["big"], INT64_MAX);
}
