#include "engine/FollowUps.h"

#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::engine;
using plugins::FollowUpKind;
using plugins::FollowUpView;
using plugins::ResultCode;
using plugins::RunStopped;

namespace {

FollowUps followUps() {
  return FollowUps("tributary.test", {{"deals", "id", "updated_at", "deals", ""},
                                      {"snapshot", "id", "updated_at", "", "", TRIBUTARY_STREAM_FULL_REFRESH}});
}

std::string fatalMessage(FollowUps& f, const FollowUpView& v) {
  try {
    f.request(v);
  } catch (const RunStopped& e) {
    EXPECT_EQ(e.code(), ResultCode::Fatal);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(FollowUps, AStreamTheConnectionDoesNotHaveIsFatalNamingTheKnownOnes) {
  auto f = followUps();
  EXPECT_EQ(fatalMessage(f, FollowUpView{FollowUpKind::Resync, "nope", "", std::nullopt, std::nullopt}),
            "request_follow_up: 'nope' is not a stream of tributary.test (known: deals, snapshot)");
  EXPECT_TRUE(f.empty());
}

TEST(FollowUps, ABackfillOfAStreamReadOnlyWholeIsFatalAndItsResyncIsNot) {
  auto f = followUps();
  EXPECT_EQ(fatalMessage(f, FollowUpView{FollowUpKind::Backfill, "snapshot", "", 1, 2}),
            "request_follow_up: stream 'snapshot' of tributary.test is only ever read whole "
            "(TRIBUTARY_STREAM_FULL_REFRESH), so it has no backfill; ask for a resync (TRIBUTARY_FOLLOW_UP_RESYNC)");
  f.request(FollowUpView{FollowUpKind::Resync, "snapshot", "gone", std::nullopt, std::nullopt});
  EXPECT_EQ(f.preview().size(), 1u);
}

TEST(FollowUps, ASecondRequestOfOneStreamAndKindWidensTheFirst) {
  auto f = followUps();
  f.request(FollowUpView{FollowUpKind::Backfill, "deals", "first", 100, 200});
  f.request(FollowUpView{FollowUpKind::Backfill, "deals", "second", 50, 150});
  f.request(FollowUpView{FollowUpKind::Resync, "deals", "resync", std::nullopt, std::nullopt});
  const Json p = f.preview();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (Json{{"kind", "backfill"},
                        {"stream", "deals"},
                        {"reason", "first"},
                        {"window", {{"from", 50}, {"to", 200}}},
                        {"job_id", nullptr},
                        {"deduplicated", false}}));
  EXPECT_EQ(p[1]["kind"], "resync");
  EXPECT_FALSE(p[1].contains("window"));

  f.request(FollowUpView{FollowUpKind::Backfill, "deals", "third", std::nullopt, 300});
  EXPECT_EQ(f.preview()[0]["window"], (Json{{"from", nullptr}, {"to", 300}})) << "an unbounded side stays unbounded";
}
