#include "config/ConnectionSchedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace tributary::config;

namespace {

struct Read {
  ConnectionSchedule schedule;
  std::vector<std::string> messages;
};

// Reads the first connection of a `connections:` list, as the workspaces loader does.
Read readFirst(const std::string& yaml) {
  Diagnostics diagnostics;
  auto ctx = std::make_shared<FileContext>();
  ctx->file = "t.yaml";
  ctx->diagnostics = &diagnostics;
  ctx->env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  Section top(ctx, YAML::Load(yaml), "workspaces[0]");
  auto connections = top.sectionList("connections");
  Read out;
  out.schedule = readConnectionSchedule(connections.at(0));
  connections.at(0).accept("name");
  connections.at(0).finish();
  for (const auto& d : diagnostics.items()) out.messages.push_back(d.format());
  return out;
}

}  // namespace

TEST(ConnectionSchedule, ReadsScheduleZoneAndMisfire) {
  auto r = readFirst(R"(
connections:
  - name: hubspot
    schedule: "0 2 * * *"
    timezone: Europe/Berlin
    misfire: skip
)");
  EXPECT_TRUE(r.messages.empty()) << r.messages.at(0);
  EXPECT_EQ(r.schedule.schedule, "0 2 * * *");
  EXPECT_EQ(r.schedule.timeZone, "Europe/Berlin");
  EXPECT_EQ(r.schedule.misfire, MisfirePolicy::Skip);
}

TEST(ConnectionSchedule, NoScheduleMeansOnDemand) {
  auto r = readFirst("connections:\n  - name: hubspot\n");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(r.schedule.schedule);
  EXPECT_FALSE(r.schedule.timeZone);
  EXPECT_FALSE(r.schedule.misfire);
}

TEST(ConnectionSchedule, BadExpressionGivesFileLineColumnKeyPositionAndReason) {
  auto r = readFirst(R"(
connections:
  - name: hubspot
    schedule: "*/15 10,25 * * *"
)");
  EXPECT_EQ(r.messages, std::vector<std::string>{"t.yaml:4:15: workspaces[0].connections[0].schedule: position 9: hour "
                                                 "25 is out of range 0-23"});
  EXPECT_FALSE(r.schedule.schedule);
}

TEST(ConnectionSchedule, EveryBadKeyIsReported) {
  auto r = readFirst(R"(
connections:
  - name: hubspot
    schedule: 0 2 * *
    timezone: Europe/Berlni
    misfire: later
)");
  EXPECT_EQ(r.messages, (std::vector<std::string>{
                            "t.yaml:4:15: workspaces[0].connections[0].schedule: position 8: expected 5 fields "
                            "(minute hour day-of-month month day-of-week) or 6 with a leading seconds field, "
                            "got 4",
                            "t.yaml:5:15: workspaces[0].connections[0].timezone: unknown time zone "
                            "\"Europe/Berlni\"; use an IANA name such as Europe/Berlin or America/New_York (the "
                            "names under /usr/share/zoneinfo) (did you mean \"Europe/Berlin\"?)",
                            "t.yaml:6:14: workspaces[0].connections[0].misfire: must be one of run_once, skip, "
                            "got \"later\""}));
}

TEST(ConnectionSchedule, EmptyScheduleIsAnError) {
  auto r = readFirst("connections:\n  - name: hubspot\n    schedule: \"\"\n");
  EXPECT_EQ(r.messages, std::vector<std::string>{"t.yaml:3:15: workspaces[0].connections[0].schedule: is empty; remove "
                                                 "the key for a connection synced only on demand"});
}
