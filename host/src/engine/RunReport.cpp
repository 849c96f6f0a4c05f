#include "engine/RunReport.h"

namespace tributary::engine {

namespace {

Json opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

constexpr const char* kIso = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

}  // namespace

RunReport RunReport::forJob(db::Connection& conn, const std::string& jobId, const std::string& connectionId) {
  RunReport report;
  auto run = conn.exec(
      "SELECT id, status, metadata -> 'plugin', metadata -> 'follow_ups' FROM sync_runs WHERE job_id = $1::uuid"
      " ORDER BY started_at DESC LIMIT 1",
      jobId);
  if (!run.empty()) {
    report.runId = run.text(0, 0);
    report.runStatus = run.text(0, 1);
    if (!run.isNull(0, 2)) report.plugin = Json::parse(run.view(0, 2));
    if (!run.isNull(0, 3)) report.followUps = Json::parse(run.view(0, 3));
  }
  auto st = conn.exec(std::string("SELECT stream, status, last_mode, cursor IS NOT NULL, carried_state::text,"
                                  " to_char(carried_state_at AT TIME ZONE 'UTC', ") +
                          kIso +
                          "), carried_state_job_id::text,"
                          " to_char(last_success_at AT TIME ZONE 'UTC', " +
                          kIso +
                          "), last_error"
                          " FROM stream_state WHERE connection_id = $1::uuid ORDER BY stream",
                      connectionId);
  for (int i = 0; i < st.rows(); ++i) {
    StreamStateView v;
    v.stream = st.text(i, 0);
    v.status = st.text(i, 1);
    v.lastMode = st.optText(i, 2);
    v.resumable = st.boolean(i, 3);
    v.carriedState = st.optText(i, 4);
    v.carriedStateAt = st.optText(i, 5);
    v.carriedStateJobId = st.optText(i, 6);
    v.lastSuccessAt = st.optText(i, 7);
    v.lastError = st.optText(i, 8);
    report.streams.push_back(std::move(v));
  }
  return report;
}

Json RunReport::toJson() const {
  Json streamsJson = Json::array();
  for (const auto& s : streams) {
    streamsJson.push_back(Json{{"stream", s.stream},
                               {"status", s.status},
                               {"last_mode", opt(s.lastMode)},
                               {"resumable", s.resumable},
                               {"carried_state", s.carriedState ? Json::parse(*s.carriedState) : Json(nullptr)},
                               {"carried_state_at", opt(s.carriedStateAt)},
                               {"carried_state_job_id", opt(s.carriedStateJobId)},
                               {"last_success_at", opt(s.lastSuccessAt)},
                               {"last_error", opt(s.lastError)}});
  }
  return Json{{"run_id", opt(runId)},
              {"status", opt(runStatus)},
              {"plugin", plugin},
              {"follow_ups", followUps},
              {"streams", streamsJson}};
}

}  // namespace tributary::engine
