#include <gtest/gtest.h>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include "SimProcess.h"

using tributary::sim::testing::SimProcess;

namespace {

nlohmann::json orders(const SimProcess& sim, const std::string& vendor) {
  return SimProcess::request("GET", sim.adminUrl(vendor) + "/orders").json()["orders"];
}

nlohmann::json requestLog(const SimProcess& sim, const std::string& vendor) {
  return SimProcess::request("GET", sim.adminUrl(vendor) + "/requests").json()["requests"];
}

void setFault(const SimProcess& sim, const std::string& rule) {
  ASSERT_EQ(SimProcess::request("POST", sim.adminUrl("hubspot") + "/faults", rule).status, 200);
}

}  // namespace

TEST(orders_e2e, EachPostCreatesOneNumberedOrderListedWithItsBodyAndConnection) {
  SimProcess sim("vendors:\n  hubspot: {}\n  salesforce: {}\n");
  const Poco::URI uri(sim.baseUrl("hubspot"));
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setKeepAlive(true);
  for (int i = 1; i <= 3; ++i) {
    const auto created = SimProcess::send(session, "POST", "/_sim/orders", R"({"n":)" + std::to_string(i) + "}");
    ASSERT_EQ(created.status, 201);
    EXPECT_EQ(created.json(), nlohmann::json({{"id", i}}));
  }
  const auto listed = orders(sim, "hubspot");
  ASSERT_EQ(listed.size(), 3u);
  const auto log = requestLog(sim, "hubspot");
  ASSERT_EQ(log.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(listed[i]["id"], i + 1);
    EXPECT_EQ(listed[i]["body"], R"({"n":)" + std::to_string(i + 1) + "}");
    EXPECT_EQ(listed[i]["connection"], log[i]["connection"]);
    EXPECT_EQ(log[i]["path"], "/_sim/orders");
    EXPECT_EQ(log[i]["method"], "POST");
    EXPECT_EQ(log[i]["status"], 201);
  }
  EXPECT_EQ(listed[0]["connection"], listed[2]["connection"]) << "one keep-alive session, one connection";

  // Every vendor listener has its own orders.
  const auto salesforce = SimProcess::request("POST", sim.baseUrl("salesforce") + "/_sim/orders", "any text");
  EXPECT_EQ(salesforce.status, 201);
  EXPECT_EQ(salesforce.json()["id"], 1);
  EXPECT_EQ(orders(sim, "salesforce")[0]["body"], "any text");
  EXPECT_EQ(orders(sim, "hubspot").size(), 3u);
}

// What a client may assume after each failure: a reset or a 503 means the order was not taken, a
// body cut short after the headers means it was (the answer was lost, the order was not).
TEST(orders_e2e, FaultsOnTheOrdersPathDecideWhetherTheOrderWasTaken) {
  SimProcess sim("vendors:\n  hubspot: {}\n");
  const std::string url = sim.baseUrl("hubspot") + "/_sim/orders";
  setFault(sim, R"({"kind":"connection_reset","count":1,"path":"/_sim/orders"})");
  EXPECT_THROW(SimProcess::request("POST", url, "reset"), Poco::Exception);
  setFault(sim, R"({"kind":"server_error","status":503,"count":1,"path":"/_sim/orders","method":"POST"})");
  EXPECT_EQ(SimProcess::request("POST", url, "unavailable").status, 503);
  EXPECT_TRUE(orders(sim, "hubspot").empty());
  setFault(sim, R"({"kind":"truncated_body","count":1,"path":"/_sim/orders"})");
  EXPECT_THROW(SimProcess::request("POST", url, "answer lost"), std::exception);
  const auto next = SimProcess::request("POST", url, "fine");
  EXPECT_EQ(next.status, 201);
  EXPECT_EQ(next.json()["id"], 2);

  const auto listed = orders(sim, "hubspot");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["body"], "answer lost");
  EXPECT_EQ(listed[1]["body"], "fine");
  const auto log = requestLog(sim, "hubspot");
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0]["status"], 0);
  EXPECT_EQ(log[0]["faults"], "connection_reset");
  EXPECT_EQ(log[1]["status"], 503);
  EXPECT_EQ(log[2]["status"], 201);
  EXPECT_EQ(log[2]["faults"], "truncated_body");
  EXPECT_EQ(log[3]["faults"], "");
}

TEST(orders_e2e, OnlyPostCreatesAnOrder) {
  SimProcess sim("vendors:\n  hubspot: {}\n");
  const auto get = SimProcess::request("GET", sim.baseUrl("hubspot") + "/_sim/orders");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers.at("Allow"), "POST");
  EXPECT_EQ(get.json()["error"], "GET /_sim/orders: use POST (GET /admin/orders lists the orders)");
  EXPECT_EQ(SimProcess::request("POST", sim.baseUrl("hubspot") + "/_sim/order").status, 404);
  EXPECT_TRUE(orders(sim, "hubspot").empty());
}
