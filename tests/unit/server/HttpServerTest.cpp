#include "server/HttpServer.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "TestSupport.h"
#include "common/Redact.h"

using namespace tributary;

// Every answer of the host's HTTP server is redacted on its way out, an error's message as much
// as a route's JSON (issue 16).
TEST(HttpServer, AnswersAndErrorMessagesLeaveRedacted) {
  redact::remember("server-remembered-0001");
  auto router = std::make_shared<server::Router>();
  router->add("GET", "/boom", [](const server::Request&) -> server::Response {
    throw std::runtime_error("GET https://api.test/x?access_token=ya29.server&limit=1 failed");
  });
  router->add("GET", "/job", [](const server::Request&) {
    return server::Response::json(
        200, Json{{"last_error", "vendor said server-remembered-0001"}, {"auth", {{"refresh_token", "r-1"}}}});
  });
  server::HttpServerOptions options;
  options.threads = 2;
  server::HttpServer http("127.0.0.1", 0, router, options);
  http.start();
  auto boom = test::httpGet(http.baseUrl() + "/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.json()["error"]["message"], "GET https://api.test/x?access_token=[redacted]&limit=1 failed");
  auto job = test::httpGet(http.baseUrl() + "/job");
  EXPECT_EQ(job.status, 200);
  EXPECT_EQ(job.json()["last_error"], "vendor said [redacted]");
  EXPECT_EQ(job.json()["auth"]["refresh_token"], "[redacted]");
  http.stop();
}
