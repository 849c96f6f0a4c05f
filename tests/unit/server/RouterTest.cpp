#include "server/Router.h"

#include <gtest/gtest.h>

using namespace tributary::server;

TEST(Router, MatchesParametersAndMethods) {
  Router r;
  r.add("GET", "/api/workspaces/:ws/jobs/:id", [](const Request& q) {
    return Response::json(200, {{"ws", q.params.at("ws")}, {"id", q.params.at("id")}});
  });
  Request q{"GET", "/api/workspaces/acme/jobs/42", {}, {}, {}, ""};
  auto res = r.dispatch(q);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body["ws"], "acme");
  EXPECT_EQ(res.body["id"], "42");

  Request post{"POST", "/api/workspaces/acme/jobs/42", {}, {}, {}, ""};
  EXPECT_EQ(r.dispatch(post).status, 405);
  Request none{"GET", "/api/nothing", {}, {}, {}, ""};
  auto nf = r.dispatch(none);
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body["error"]["code"], "not_found");
}
