// GET .../sync/jobs/{id}, GET .../sync/jobs, DELETE .../sync/jobs/{id} (cancel) and
// POST .../sync/jobs/{id}/retry (a dead letter back to pending).
#include "api/Api.h"
#include "api/JobView.h"
#include "queue/JobQueue.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;

JobView jobOr404(Call& call) {
  auto v = loadJob(call.db(), call.ws().id, call.param("job"));
  if (!v) notFound("no job " + call.param("job") + " in workspace \"" + call.ws().slug + "\"");
  return *v;
}

}  // namespace

void installJobRoutes(Api& api, server::Router& router) {
  api.route(router, "GET", "/api/workspaces/:workspace/sync/jobs/:job", Access::Token,
            [](Call& call) { return Response::json(200, jobOr404(call).toJson()); });

  api.route(router, "GET", "/api/workspaces/:workspace/sync/jobs", Access::Token, [](Call& call) {
    const int limit = static_cast<int>(call.intQuery("limit", 20, 1, 100));
    auto status = call.query("status");
    if (status && !queue::parseJobStatus(*status)) {
      throw ApiError(400, "invalid_query",
                     "query parameter \"status\" must be pending, running, completed, failed, cancelled or discarded",
                     Json{{"field", "status"}});
    }
    JobPage page;
    try {
      page = listJobs(call.db(), call.ws().id, limit, status, call.query("connector"), call.query("cursor"));
    } catch (const std::invalid_argument&) {
      throw ApiError(400, "invalid_query", "query parameter \"cursor\" is not one this API gave",
                     Json{{"field", "cursor"}});
    }
    Json jobs = Json::array();
    for (const auto& j : page.jobs) jobs.push_back(j.toJson());
    return Response::json(200,
                          {{"jobs", jobs}, {"nextCursor", page.nextCursor ? Json(*page.nextCursor) : Json(nullptr)}});
  });

  api.route(router, "DELETE", "/api/workspaces/:workspace/sync/jobs/:job", Access::Token, [&api](Call& call) {
    JobView v = jobOr404(call);
    std::vector<std::string> ids;
    if (v.passive) {
      for (const auto& c : v.children) ids.push_back(c.job.id);
    } else {
      ids.push_back(v.job.id);
    }
    int cancelled = 0, requested = 0;
    for (const auto& id : ids) {
      switch (api.queue().cancel(id)) {
        case queue::CancelOutcome::Cancelled: ++cancelled; break;
        case queue::CancelOutcome::Requested: ++requested; break;
        default: break;
      }
    }
    if (cancelled + requested == 0) {
      throw ApiError(409, "job_finished",
                     "job " + v.job.id + " already ended (" + std::string(queue::toString(v.job.status)) + ")",
                     Json{{"status", queue::toString(v.job.status)}});
    }
    api.audit(call, "job.cancel", v.job.id, {{"cancelled", cancelled}, {"stopping", requested}});
    auto now = loadJob(call.db(), call.ws().id, v.job.id);
    Json out = now ? now->toJson() : v.toJson();
    out["message"] =
        requested > 0 ? "cancellation requested: the running sync stops at its next check" : "cancelled before it ran";
    return Response::json(202, out);
  });

  api.route(router, "POST", "/api/workspaces/:workspace/sync/jobs/:job/retry", Access::Token, [&api](Call& call) {
    (void)call.body({});
    JobView v = jobOr404(call);
    std::vector<std::string> ids;
    if (v.passive) {
      for (const auto& c : v.children) {
        if (c.finished() && c.job.status != queue::JobStatus::Completed) ids.push_back(c.job.id);
      }
    } else if (v.finished() && v.job.status != queue::JobStatus::Completed) {
      ids.push_back(v.job.id);
    }
    // The parent runs again before its children do, so that the last of them to end settles it.
    if (v.passive && !ids.empty()) {
      call.db().exec("UPDATE jobs SET status = 'running', completed_at = NULL WHERE id = $1::uuid AND passive",
                     v.job.id);
    }
    int revived = 0;
    for (const auto& id : ids) {
      if (api.queue().retry(id)) ++revived;
    }
    if (v.passive && !ids.empty() && revived == 0) {
      call.db().exec("UPDATE jobs SET status = $2, completed_at = now() WHERE id = $1::uuid AND passive", v.job.id,
                     std::string(queue::toString(v.job.status)));
    }
    if (revived == 0) {
      throw ApiError(409, "not_retryable",
                     "job " + v.job.id + " is " + std::string(queue::toString(v.job.status)) +
                         ": only a failed, discarded or cancelled job can be retried",
                     Json{{"status", queue::toString(v.job.status)}});
    }
    api.audit(call, "job.retry", v.job.id, {{"revived", revived}});
    auto now = loadJob(call.db(), call.ws().id, v.job.id);
    return Response::json(202, now ? now->toJson() : v.toJson());
  });
}

}  // namespace tributary::api
