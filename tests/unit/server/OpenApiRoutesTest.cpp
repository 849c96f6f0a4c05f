// The OpenAPI document compiled into the host names every route the server has, and nothing
// else: the routes are built as `tributary serve` builds them (app::Host::start), into a
// Router, and compared with the document's operations ({param} for :param).
#include <gtest/gtest.h>

#include <set>

#include "api/Api.h"
#include "api/EventStream.h"
#include "api/Metrics.h"
#include "auth/OAuthCallback.h"
#include "server/HealthRoutes.h"

using namespace tributary;

namespace {

std::string toOpenApi(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == ':') {
      auto end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += "{" + pattern.substr(i + 1, end - i - 1) + "}";
      i = end - 1;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace

TEST(OpenApi, TheDocumentNamesEveryRouteOfTheServerAndNothingElse) {
  auto cfg = std::make_shared<config::Config>();
  server::Router router;
  server::HealthRoutes health(nullptr, "", {});
  health.install(router);
  auth::OAuthCallback callback(*cfg, nullptr, nullptr, nullptr);
  callback.install(router);
  router.add("GET", "/", [](const server::Request&) { return server::Response::json(200, {}); });
  api::Api a(api::ApiServices{cfg, nullptr, nullptr, nullptr, nullptr});
  a.install(router);
  api::installEventRoutes(a, router, nullptr);
  api::installMetricsRoutes(a, router, std::make_shared<api::ApiMetrics>(), {});

  std::set<std::string> routed;
  for (const auto& r : router.routes()) routed.insert(r.method + " " + toOpenApi(r.pattern));
  const Json doc = Json::parse(api::openApiDocument());
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, _] : ops.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + path);
    }
  }
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << r << " is routed but not documented";
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << d << " is documented but not routed";
  EXPECT_EQ(doc["openapi"], "3.1.0");
}
