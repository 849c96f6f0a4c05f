#include "engine/EngineServices.h"

#include <gtest/gtest.h>

#include "db/DbError.h"
#include "engine/FollowUps.h"
#include "engine/RunStatistics.h"

using namespace tributary;
using namespace tributary::engine;
using plugins::ResultCode;
using plugins::RunStopped;

namespace {

// Keeps what reaches it; fails with a database error on request.
struct FakeSink : RecordSink {
  std::vector<std::string> records, errors, checkpoints, links;
  bool failWrites = false;
  void add(const plugins::RecordView& r) override {
    if (failWrites) throw db::DbError("connection lost", "08006");
    records.emplace_back(r.sourceId);
  }
  void addError(std::string_view id, std::string_view stage, std::string_view message, std::string_view) override {
    errors.push_back(std::string(id) + "/" + std::string(stage) + "/" + std::string(message));
  }
  void addLink(const plugins::LinkTypeDescriptor& type, const plugins::LinkView& l) override {
    if (failWrites) throw db::DbError("connection lost", "08006");
    links.push_back(type.name + ":" + std::string(l.fromId) + ">" + std::string(l.toId) +
                    (l.deleted ? " removed" : ""));
  }
  bool checkpoint(std::string_view cursor) override {
    checkpoints.emplace_back(cursor);
    return true;
  }
  std::vector<std::string> states;
  void stageState(std::string_view state) override { states.emplace_back(state); }
};

const std::vector<plugins::LinkTypeDescriptor> kLinkTypes = {
    {"deal_account", "deals", "accounts", "account_id", ""},
    {"deal_contact", "deals", "contacts", "", ""},
};

plugins::LinkView link(std::string_view stream, std::string_view type, std::string_view from, std::string_view to,
                       bool deleted = false) {
  return plugins::LinkView{stream, type, from, to, deleted};
}

// The run's extras with the link types above.
RunExtras links() {
  RunExtras e;
  e.linkTypes = &kLinkTypes;
  return e;
}

// Answers each request with the next status, without a network.
struct ScriptedServices : EngineServices {
  using EngineServices::EngineServices;
  std::vector<int> statuses;
  http::HttpResponse send(const http::HttpRequest&) override {
    http::HttpResponse r;
    r.status = statuses.empty() ? 200 : statuses.front();
    if (!statuses.empty()) statuses.erase(statuses.begin());
    return r;
  }
};

plugins::RecordView rec(std::string_view stream, std::string_view id) {
  return plugins::RecordView{stream, id, 1000, false, 0, "{}", "{}"};
}

ResultCode stopCode(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const RunStopped& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ResultCode::Ok;
}

}  // namespace

TEST(EngineServices, RecordsErrorsAndCheckpointsOfTheCallsStreamReachTheSinkAndPagesAreCounted) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr);
  s.emitRecord(rec("deals", "d1"));
  s.emitRecordError(plugins::RecordErrorView{"deals", "d2", "bad amount", "{}"});
  s.commitCheckpoint("deals", R"({"page":1})");
  s.commitCheckpoint("deals", R"({"page":2})");
  EXPECT_EQ(sink.records, std::vector<std::string>{"d1"});
  EXPECT_EQ(sink.errors, std::vector<std::string>{"d2/transform/bad amount"});
  EXPECT_EQ(sink.checkpoints, (std::vector<std::string>{R"({"page":1})", R"({"page":2})"}));
  EXPECT_EQ(counters.pages, 2);
  EXPECT_FALSE(s.databaseError());
}

TEST(EngineServices, ARecordOrCheckpointForAnotherStreamStopsTheCallAsFatal) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr);
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitRecord(rec("contacts", "c1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "the plugin emitted a record for stream 'contacts' during a call for stream 'deals'");
  EXPECT_EQ(stopCode([&] { s.commitCheckpoint("contacts", "{}"); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "the plugin committed a checkpoint for stream 'contacts' during a call for 'deals'");
  EXPECT_TRUE(sink.records.empty());
  EXPECT_EQ(counters.pages, 0);
}

TEST(EngineServices, EmittingDuringTheCheckCallStopsItAsFatal) {
  CallCounters counters;
  EngineServices s("", nullptr, counters, nullptr, nullptr);
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitRecord(rec("deals", "d1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_record called outside a sync call (in check)");
  EXPECT_EQ(stopCode([&] { s.commitCheckpoint("deals", "{}"); }), ResultCode::Fatal);
  EXPECT_EQ(stopCode([&] { s.emitRecordError(plugins::RecordErrorView{"deals", "d", "m", ""}); }), ResultCode::Fatal);
}

TEST(EngineServices, ADatabaseErrorWhileWritingStopsTheCallAsRetryAndIsRemembered) {
  FakeSink sink;
  sink.failWrites = true;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr);
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitRecord(rec("deals", "d1")); }, &message), ResultCode::Retry);
  EXPECT_EQ(message, "database error while writing stream deals: connection lost");
  ASSERT_TRUE(s.databaseError());
  EXPECT_EQ(*s.databaseError(), "connection lost");
}

TEST(EngineServices, HttpCallsAnd429sAreCountedAcrossTheRun) {
  FakeSink sink;
  CallCounters counters;
  ScriptedServices s("deals", &sink, counters, nullptr, nullptr);
  s.statuses = {200, 429, 500, 429};
  for (int i = 0; i < 4; ++i) s.httpRequest(http::HttpRequest{});
  EXPECT_EQ(counters.http.calls, 4);
  EXPECT_EQ(counters.http.http429s, 2);
  ScriptedServices next("contacts", &sink, counters, nullptr, nullptr);
  next.httpRequest(http::HttpRequest{});
  EXPECT_EQ(counters.http.calls, 5) << "one run's counters, whichever stream calls";
}

TEST(EngineServices, CancellationAndProgressArePassedOn) {
  bool stop = false;
  std::vector<std::string> progress;
  CallCounters counters;
  EngineServices s(
      "deals", nullptr, counters, [&] { return stop; },
      [&](int64_t current, int64_t total, std::string_view message) {
        progress.push_back(std::to_string(current) + "/" + std::to_string(total) + " " + std::string(message));
      });
  EXPECT_FALSE(s.isCancelled());
  stop = true;
  EXPECT_TRUE(s.isCancelled());
  s.reportProgress(50, 200, "page 1");
  EXPECT_EQ(progress, std::vector<std::string>{"50/200 page 1"});
  EngineServices quiet("deals", nullptr, counters, nullptr, nullptr);
  EXPECT_FALSE(quiet.isCancelled());
  quiet.reportProgress(1, 1, "ignored");
}

TEST(EngineServices, LinksOfADeclaredTypeForTheCallsStreamReachTheSinkWithTheirType) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr, links());
  s.emitLink(link("deals", "deal_account", "d1", "a1"));
  s.emitLink(link("deals", "deal_contact", "d1", "c1", true));
  EXPECT_EQ(sink.links, (std::vector<std::string>{"deal_account:d1>a1", "deal_contact:d1>c1 removed"}));
}

TEST(EngineServices, ALinkForAnotherStreamOrOfAnUndeclaredTypeStopsTheCallAsFatalNamingIt) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr, links());
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitLink(link("contacts", "deal_account", "d1", "a1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_link: the plugin emitted a link for stream 'contacts' during a call for stream 'deals'");
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_owner", "d1", "u1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_link: unknown link type 'deal_owner' (declared: deal_account, deal_contact)");
  EngineServices none("deals", &sink, counters, nullptr, nullptr);
  EXPECT_EQ(stopCode([&] { none.emitLink(link("deals", "deal_account", "d1", "a1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_link: unknown link type 'deal_account' (declared: none)");
  EXPECT_TRUE(sink.links.empty());
}

TEST(EngineServices, ALinkWhoseIdIsNotTextOrTooLongStopsTheCallAsFatalNamingTheField) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr, links());
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_account", "d1", std::string_view("a\0b", 3))); }, &message),
            ResultCode::Fatal);
  EXPECT_EQ(message,
            "emit_link: link 'deal_account' from 'd1' to 'a\xEF\xBF\xBD"
            "b' has a to_id that is not valid UTF-8 (or "
            "holds a NUL byte); fix the plugin");
  const std::string longId(1025, 'x');
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_account", longId, "a1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_link: link 'deal_account' from '" + std::string(80, 'x') +
                         "...' to 'a1' has a from_id of 1025 bytes (at most 1024)");
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_account", std::string(1024, 'y'), "a1")); }), ResultCode::Ok);
  EXPECT_EQ(sink.links.size(), 1u);
}

TEST(EngineServices, ALinkDuringTheCheckCallStopsItAsFatal) {
  CallCounters counters;
  EngineServices s("", nullptr, counters, nullptr, nullptr, links());
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_account", "d1", "a1")); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message, "emit_link called outside a sync call (in check)");
}

TEST(EngineServices, ADatabaseErrorWhileWritingALinkStopsTheCallAsRetry) {
  FakeSink sink;
  sink.failWrites = true;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr, links());
  std::string message;
  EXPECT_EQ(stopCode([&] { s.emitLink(link("deals", "deal_account", "d1", "a1")); }, &message), ResultCode::Retry);
  EXPECT_EQ(message, "database error while writing stream deals: connection lost");
  EXPECT_TRUE(s.databaseError());
}

TEST(EngineServices, TheCarriedStateIsStagedForTheCallsStreamAloneAndNeverInABackfill) {
  FakeSink sink;
  CallCounters counters;
  EngineServices s("deals", &sink, counters, nullptr, nullptr);
  s.setStreamState("deals", R"({"token":"t-1"})");
  s.setStreamState("deals", " null ");
  EXPECT_EQ(sink.states, (std::vector<std::string>{R"({"token":"t-1"})", "null"})) << "JSON null clears it";
  EXPECT_EQ(s.stagedState(), "null");
  std::string message;
  EXPECT_EQ(stopCode([&] { s.setStreamState("contacts", "{}"); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message,
            "set_stream_state for stream 'contacts' during a call for stream 'deals': a call sets only its own "
            "stream's state");

  EngineServices backfill("deals", &sink, counters, nullptr, nullptr, RunExtras{nullptr, nullptr, true});
  EXPECT_EQ(stopCode([&] { backfill.setStreamState("deals", "{}"); }, &message), ResultCode::Fatal);
  EXPECT_EQ(message,
            "set_stream_state: a backfill cannot move the carried state of stream 'deals' (it gets it to read in "
            "state_json; initial and incremental runs set it)");
  EXPECT_EQ(sink.states.size(), 2u);

  EngineServices check("", nullptr, counters, nullptr, nullptr);
  EXPECT_THROW(check.setStreamState("deals", "{}"), plugins::NotAvailable) << "check has no stream";
}

TEST(EngineServices, FollowUpsAndStatisticsGoToTheRunsCollectorsAndAreNotAvailableWithoutThem) {
  FakeSink sink;
  CallCounters counters;
  RunStatistics stats;
  FollowUps followUps("tributary.test", {{"deals", "id", "updated_at", "deals", ""}});
  EngineServices s("deals", &sink, counters, nullptr, nullptr, RunExtras{&stats, &followUps, false});
  s.addRunCounter("pages", 2);
  s.addRunCounter("pages", 3);
  s.setRunFact("limit", R"({"used":1})");
  s.requestFollowUp(plugins::FollowUpView{plugins::FollowUpKind::Resync, "deals", "why", std::nullopt, std::nullopt});
  EXPECT_EQ(stats.toJson(), (Json{{"counters", {{"pages", 5}}}, {"facts", {{"limit", {{"used", 1}}}}}}));
  EXPECT_EQ(followUps.preview().size(), 1u);

  EngineServices bare("deals", &sink, counters, nullptr, nullptr);
  EXPECT_THROW(bare.addRunCounter("pages", 1), plugins::NotAvailable);
  EXPECT_THROW(bare.setRunFact("limit", "1"), plugins::NotAvailable);
  EXPECT_THROW(bare.requestFollowUp(plugins::FollowUpView{}), plugins::NotAvailable);
}
