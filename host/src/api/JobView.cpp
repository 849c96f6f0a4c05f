#include "api/JobView.h"

#include "api/Sql.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "db/PgArray.h"
#include "queue/JobQueue.h"

namespace tributary::api {
namespace {

Json optTime(const std::optional<queue::TimePoint>& t) { return t ? Json(time::iso8601(*t)) : Json(nullptr); }

bool terminal(queue::JobStatus s) { return s != queue::JobStatus::Pending && s != queue::JobStatus::Running; }

// A finished job's progress is its whole result; a running one's the latest it reported.
Json progressOf(const queue::Job& j) {
  Json p = {{"current", 0}, {"total", 0}, {"message", ""}};
  if (j.progress.is_object()) {
    p["current"] = j.progress.value("current", int64_t{0});
    p["total"] = j.progress.value("total", int64_t{0});
    p["message"] = j.progress.value("message", std::string());
    if (j.progress.contains("stream")) p["stream"] = j.progress["stream"];
  }
  if (j.status == queue::JobStatus::Completed && j.result.is_object() && j.result.contains("records")) {
    p["current"] = j.result["records"];
    p["total"] = j.result["records"];
    p["message"] = "done";
    p.erase("stream");
  }
  return p;
}

int64_t recordsOf(const queue::Job& j) {
  if (j.result.is_object()) return j.result.value("records", int64_t{0});
  return j.progress.is_object() ? j.progress.value("current", int64_t{0}) : 0;
}

// What one job contributes to its parent's result.results, and its own result.
Json resultEntry(const JobView& v) {
  Json e = {{"jobId", v.job.id},
            {"connector", v.connector ? Json(*v.connector) : Json(nullptr)},
            {"connection", v.connection ? Json(*v.connection) : Json(nullptr)},
            {"status", queue::toString(v.job.status)},
            {"records", recordsOf(v.job)},
            {"error", v.job.lastError ? Json(*v.job.lastError) : Json(nullptr)}};
  if (v.job.result.is_object()) {
    for (const char* k : {"inserted", "updated", "unchanged", "deleted", "failed"}) {
      if (v.job.result.contains(k)) e[k] = v.job.result[k];
    }
  }
  return e;
}

const std::string kColumns = "SELECT " + queue::JobQueue::jobColumns("j") + ", j.passive, c.name, c.connector";
const std::string kFrom = " FROM jobs j LEFT JOIN connections c ON c.id = j.connection_id";
const std::string kSelect = kColumns + kFrom;

JobView viewOf(const db::Result& r, int i) {
  JobView v;
  v.job = queue::JobQueue::parseRow(r, i);
  const int k = queue::JobQueue::kJobColumnCount;
  v.passive = r.boolean(i, k);
  v.connection = r.optText(i, k + 1);
  v.connector = r.optText(i, k + 2);
  return v;
}

void loadChildren(db::Connection& conn, std::vector<JobView>& parents) {
  std::vector<std::string> ids;
  for (const auto& p : parents) {
    if (p.passive) ids.push_back(p.job.id);
  }
  if (ids.empty()) return;
  auto r = conn.exec(kSelect + " WHERE j.parent_job_id = ANY($1::uuid[]) ORDER BY c.name, j.created_at",
                     db::Param(db::textArray(ids)));
  for (int i = 0; i < r.rows(); ++i) {
    JobView c = viewOf(r, i);
    for (auto& p : parents) {
      if (p.job.id == c.job.parentJobId) p.children.push_back(c);
    }
  }
}

}  // namespace

bool JobView::finished() const { return terminal(job.status); }

Json JobView::toJson() const {
  const auto& j = job;
  Json progress = {{"current", 0}, {"total", 0}, {"message", ""}};
  Json results = Json::array();
  Json errors = Json::array();
  int64_t totalRecords = 0;
  if (passive) {
    int64_t cur = 0, tot = 0, done = 0;
    for (const auto& c : children) {
      const Json p = progressOf(c.job);
      cur += p.value("current", int64_t{0});
      tot += p.value("total", int64_t{0});
      if (c.finished()) ++done;
      results.push_back(resultEntry(c));
      totalRecords += recordsOf(c.job);
      if (c.job.lastError && c.job.status != queue::JobStatus::Completed) {
        errors.push_back({{"jobId", c.job.id},
                          {"connection", c.connection ? Json(*c.connection) : Json(nullptr)},
                          {"error", *c.job.lastError}});
      }
    }
    progress = {{"current", cur},
                {"total", tot},
                {"message", std::to_string(done) + " of " + std::to_string(children.size()) + " connections done"}};
  } else {
    progress = progressOf(j);
    results.push_back(resultEntry(*this));
    totalRecords = recordsOf(j);
    if (j.errors.is_array()) {
      for (const auto& e : j.errors) errors.push_back(e);
    }
  }
  Json out = {{"id", j.id},
              {"kind", j.kind},
              {"status", queue::toString(j.status)},
              {"progress", progress},
              {"result", nullptr},
              {"error", j.lastError && j.status != queue::JobStatus::Completed ? Json(*j.lastError) : Json(nullptr)},
              {"attempts", j.attempts},
              {"maxAttempts", j.maxAttempts},
              {"createdAt", time::iso8601(j.createdAt)},
              {"startedAt", optTime(j.startedAt)},
              {"completedAt", optTime(j.completedAt)},
              {"connector", connector ? Json(*connector) : Json(nullptr)},
              {"connection", connection ? Json(*connection) : Json(nullptr)},
              {"parentJobId", j.parentJobId ? Json(*j.parentJobId) : Json(nullptr)},
              {"mode", j.payload.value("mode", Json(nullptr))},
              {"dryRun", j.payload.value("dry_run", false)}};
  if (passive) {
    Json ids = Json::array();
    for (const auto& c : children) ids.push_back(c.job.id);
    out["childJobIds"] = ids;
    if (j.payload.contains("skipped")) out["skipped"] = j.payload["skipped"];
  }
  if (finished() || passive || j.result.is_object()) {
    out["result"] = {{"results", results}, {"totalRecords", totalRecords}, {"errors", errors}};
  }
  if (j.status == queue::JobStatus::Pending && j.waitReason) {
    out["waitReason"] = *j.waitReason;
    out["runAt"] = time::iso8601(j.runAt);
  }
  if (j.cancelRequested && !finished()) out["cancelRequested"] = true;
  return out;
}

std::optional<JobView> loadJob(db::Connection& conn, const std::string& workspaceId, const std::string& jobId) {
  auto r = conn.exec(kSelect + " WHERE j.id::text = lower($1) AND j.workspace_id = $2::uuid", jobId, workspaceId);
  if (r.empty()) return std::nullopt;
  std::vector<JobView> v = {viewOf(r, 0)};
  loadChildren(conn, v);
  return v.front();
}

JobPage listJobs(db::Connection& conn, const std::string& workspaceId, int limit,
                 const std::optional<std::string>& status, const std::optional<std::string>& connection,
                 const std::optional<std::string>& cursor) {
  // The cursor: "<created_at in µs>_<id>" of the last job of the previous page.
  std::optional<int64_t> beforeUs;
  std::optional<std::string> beforeId;
  if (cursor) {
    auto sep = cursor->find('_');
    try {
      if (sep == std::string::npos) throw std::invalid_argument("no _");
      size_t used = 0;
      beforeUs = std::stoll(cursor->substr(0, sep), &used);
      beforeId = cursor->substr(sep + 1);
      if (used != sep || !strings::isUuid(*beforeId)) throw std::invalid_argument("not <µs>_<uuid>");
    } catch (const std::exception&) {
      throw std::invalid_argument("cursor");
    }
  }
  auto r = conn.exec(kColumns + ", (extract(epoch from j.created_at) * 1000000)::bigint" + kFrom +
                         " WHERE j.workspace_id = $1::uuid AND j.parent_job_id IS NULL"
                         " AND ($2::text IS NULL OR j.status = $2) AND " +
                         sql::connectorMatches("c.name", "c.connector", "$1", "$3") +
                         " AND ($4::bigint IS NULL OR ((extract(epoch from j.created_at) * 1000000)::bigint, j.id) <"
                         "      ($4::bigint, $5::uuid))"
                         " ORDER BY j.created_at DESC, j.id DESC LIMIT $6",
                     workspaceId, status, connection, beforeUs, beforeId, limit + 1);
  JobPage page;
  for (int i = 0; i < r.rows() && i < limit; ++i) page.jobs.push_back(viewOf(r, i));
  if (r.rows() > limit) {
    const int last = limit - 1;
    page.nextCursor = std::to_string(r.int64(last, queue::JobQueue::kJobColumnCount + 3)) + "_" + r.text(last, 0);
  }
  loadChildren(conn, page.jobs);
  return page;
}

}  // namespace tributary::api
