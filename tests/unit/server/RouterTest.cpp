#include "server/Router.h"

#include <gtest/gtest.h>

using namespace tributary::server;
using tributary::Json;

namespace {
Request request(const std::string& method, const std::string& path) {
  Request q;
  q.method = method;
  q.path = path;
  return q;
}
}  // namespace

TEST(Router, MatchesParametersAndMethods) {
  Router r;
  r.add("GET", "/api/workspaces/:ws/jobs/:id", [](const Request& q) {
    return Response::json(200, {{"ws", q.params.at("ws")}, {"id", q.params.at("id")}});
  });
  auto q = request("GET", "/api/workspaces/acme/jobs/42");
  auto res = r.dispatch(q);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body["ws"], "acme");
  EXPECT_EQ(res.body["id"], "42");
  EXPECT_EQ(q.route, "/api/workspaces/:ws/jobs/:id");

  auto post = request("POST", "/api/workspaces/acme/jobs/42");
  EXPECT_EQ(r.dispatch(post).status, 405);
  auto none = request("GET", "/api/nothing");
  auto nf = r.dispatch(none);
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body["error"]["code"], "not_found");
  EXPECT_TRUE(nf.body["error"]["details"].is_object());
}

// A literal segment wins over a parameter at the same place, whatever the order the routes
// were added in: /sync/jobs is never read as /sync/:something.
TEST(Router, ALiteralSegmentBeatsAParameter) {
  Router r;
  r.add("GET", "/w/:ws/:thing", [](const Request&) { return Response::json(200, {{"route", "param"}}); });
  r.add("GET", "/w/:ws/status", [](const Request&) { return Response::json(200, {{"route", "literal"}}); });
  auto q = request("GET", "/w/a/status");
  EXPECT_EQ(r.dispatch(q).body["route"], "literal");
  auto p = request("GET", "/w/a/other");
  EXPECT_EQ(r.dispatch(p).body["route"], "param");
}

// 405 names the methods the path has, in the Allow header and the error's details.
TEST(Router, AWrongMethodIs405WithAllow) {
  Router r;
  r.add("GET", "/jobs/:id", [](const Request&) { return Response::json(200, {}); });
  r.add("DELETE", "/jobs/:id", [](const Request&) { return Response::json(202, {}); });
  auto q = request("PUT", "/jobs/1");
  auto res = r.dispatch(q);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers["Allow"], "DELETE, GET");
  EXPECT_EQ(res.body["error"]["details"]["allowed"], Json::array({"DELETE", "GET"}));
  EXPECT_EQ(r.routes().size(), 2u);
}
