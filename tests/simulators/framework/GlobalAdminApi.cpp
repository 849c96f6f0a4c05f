#include "GlobalAdminApi.h"

#include "AdminReply.h"
#include "ClockAdmin.h"

namespace tributary::sim {

SimResponse GlobalAdminApi::dispatch(const SimRequest& request) {
  SimResponse response;
  if (ClockAdmin::handle(clock_, request, response)) return response;
  if ((request.path == "/admin" || request.path == "/admin/status") && request.method == "GET") {
    nlohmann::json vendors = nlohmann::json::array();
    for (VendorRuntime* runtime : vendors_) vendors.push_back(runtime->vendor().name());
    AdminReply::ok(response, {{"vendors", vendors}, {"clock", ClockAdmin::describe(clock_)}});
    return response;
  }
  if (request.path == "/admin/quotas/reset" && request.method == "POST") {
    for (VendorRuntime* runtime : vendors_) runtime->vendor().resetQuotas();
    AdminReply::ok(response, {{"reset", true}});
    return response;
  }
  AdminReply::error(response, 404,
                    request.method + " " + request.path +
                        ": no such route here (GET /admin/status, GET /admin/clock, POST "
                        "/admin/clock/advance, POST /admin/quotas/reset; per-vendor routes are "
                        "on each vendor's admin_url)");
  return response;
}

}  // namespace tributary::sim
