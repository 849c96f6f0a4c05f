// The body of a delivery, from an outbox event.
#include "webhooks/Envelope.h"

#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::webhooks;

namespace envelope_test {

TEST(Envelope, ACompletedSyncCarriesItsScopeCamelCaseKeysAndTotalRecords) {
  engine::OutboxEvent e;
  e.position = 42;
  e.type = "sync.completed";
  e.scope = engine::EventScope::connection("ws-id", "conn-id").run("run-id", "job-id");
  e.payload = {
      {"run_id", "run-id"}, {"follow_ups", nullptr}, {"totals", {{"records", 200}}}, {"streams", {{"deals", 50}}}};
  e.createdAtMs = 1'764'547'200'123;  // 2025-12-01T00:00:00.123Z
  const Json j = envelopeOf(e);
  EXPECT_EQ(j["type"], "sync.completed");
  EXPECT_EQ(j["event"], "sync.completed");
  EXPECT_EQ(j["workspaceId"], "ws-id");
  EXPECT_EQ(j["timestamp"], "2025-12-01T00:00:00.123Z");
  EXPECT_EQ(j["data"]["runId"], "run-id");
  EXPECT_EQ(j["data"]["jobId"], "job-id");
  EXPECT_EQ(j["data"]["connectionId"], "conn-id");
  EXPECT_EQ(j["data"]["jobType"], "sync");
  EXPECT_EQ(j["data"]["totalRecords"], 200);
  EXPECT_TRUE(j["data"].contains("followUps"));
  EXPECT_FALSE(j["data"].contains("follow_ups"));
  EXPECT_EQ(messageIdOf(e.position), "msg_42");
}

TEST(Envelope, TheTestEventIsTheSeedsProgressOfFiftyInAHundred) {
  const Json j = testEnvelope("ws-id", 0);
  EXPECT_EQ(j["event"], "sync.progress");
  EXPECT_EQ(j["data"],
            (Json{{"jobType", "test"},
                  {"progress", {{"current", 50}, {"total", 100}, {"message", "Test webhook notification"}}}}));
  EXPECT_EQ(j["timestamp"], "1970-01-01T00:00:00.000Z");
}

TEST(Envelope, AWorkspaceEventNamesNoJob) {
  engine::OutboxEvent e;
  e.type = "webhook.endpoint_disabled";
  e.scope = engine::EventScope::workspace("ws-id");
  e.payload = {{"endpoint_id", "e1"}, {"reason", "410"}};
  const Json j = envelopeOf(e);
  EXPECT_EQ(j["data"], (Json{{"endpointId", "e1"}, {"reason", "410"}}));
}

}  // namespace envelope_test
