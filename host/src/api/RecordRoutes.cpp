// GET .../records/{entity} (synced rows in the order this host changed them, deletions
// included, for clients without database access), GET .../record-errors (poison records) and
// POST .../record-errors/replay (re-reads them, as `tributary records replay` does).
#include <fmt/format.h>

#include "api/Api.h"
#include "api/Sql.h"
#include "common/Base64.h"
#include "common/Time.h"
#include "engine/EntitySchema.h"
#include "queue/JobQueue.h"

namespace tributary::api {
namespace {

using server::ApiError;
using server::Response;
using sql::opt;

// Microseconds: a client's modifiedAfter must name a row's updatedAt exactly.
using sql::isoMicros;

struct Cursor {
  int64_t updatedUs = 0;
  std::string source, stream, sourceId;
};

std::string encodeCursor(const Cursor& c) {
  return base64::encodeUrl(Json::array({c.updatedUs, c.source, c.stream, c.sourceId}).dump());
}

Cursor decodeCursor(const std::string& text) {
  try {
    std::string decoded;
    if (!base64::decodeUrl(text, decoded)) throw std::invalid_argument("base64");
    auto j = Json::parse(decoded);
    if (!j.is_array() || j.size() != 4) throw std::invalid_argument("shape");
    Cursor c;
    c.updatedUs = j.at(0).template get<int64_t>();
    c.source = j.at(1).template get<std::string>();
    c.stream = j.at(2).template get<std::string>();
    c.sourceId = j.at(3).template get<std::string>();
    return c;
  } catch (const std::exception&) {
    throw ApiError(400, "invalid_query", "query parameter \"cursor\" is not one this API gave",
                   Json{{"field", "cursor"}});
  }
}

}  // namespace

void installRecordRoutes(Api& api, server::Router& router) {
  api.route(router, "GET", "/api/workspaces/:workspace/records/:entity", Access::Token, [](Call& call) {
    const std::string& entity = call.param("entity");
    const auto* e = engine::findEntity(entity);
    const bool generic = entity == "records";
    if (!e && !generic) {
      std::vector<std::string> names;
      for (const auto& x : engine::allEntities()) names.push_back(x.table);
      names.push_back("records");
      notFound("no entity \"" + entity + "\" (entities: " + fmt::format("{}", fmt::join(names, ", ")) + ")");
    }
    const std::string table = generic ? "records" : e->table;  // from the list above, never the path
    const int64_t limit = call.intQuery("limit", 100, 1, 1000);
    std::optional<int64_t> afterUs;
    if (auto m = call.query("modifiedAfter")) {
      auto t = time::parseIso8601(*m);
      if (!t) {
        throw ApiError(400, "invalid_query", "query parameter \"modifiedAfter\" must be an ISO 8601 time",
                       Json{{"field", "modifiedAfter"}});
      }
      afterUs = std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
    }
    std::optional<Cursor> cur;
    if (auto c = call.query("cursor")) cur = decodeCursor(*c);
    const bool raw = call.query("raw").value_or("false") == "true";
    // In the order rows changed here (updated_at: a deletion too), tie-broken by key, so that a
    // client that pages to the end and comes back with modifiedAfter misses nothing.
    const std::string usExpr = "(extract(epoch from t.updated_at) * 1000000)::bigint";
    const std::string streamExpr = generic ? "t.stream" : "''::text";
    auto r = call.db().exec(
        "SELECT " + usExpr + ", t.source, " + streamExpr + ", t.source_id, " + isoMicros("t.updated_at") + ", " +
            isoMicros("t.source_modified_at") + ", " + isoMicros("t.deleted_at") + ", c.name, t.stream," +
            " (to_jsonb(t) - 'workspace_id' - 'connection_id' - 'raw_hash' - 'source_read_at'" +
            (raw ? std::string() : " - 'raw'") + ")::text" + " FROM " + table +
            " t LEFT JOIN connections c ON c.id = t.connection_id WHERE t.workspace_id = $1::uuid"
            " AND ($2::bigint IS NULL OR t.updated_at > 'epoch'::timestamptz + $2::bigint * interval '1 microsecond')"
            " AND ($3::bigint IS NULL OR (t.updated_at, t.source, " +
            streamExpr +
            ", t.source_id) > ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4, $5, $6))"
            " AND ($7::text IS NULL OR c.name = $7)"
            " ORDER BY t.updated_at, t.source, " +
            streamExpr + ", t.source_id LIMIT $8",
        call.ws().id, afterUs, cur ? std::optional<int64_t>(cur->updatedUs) : std::nullopt,
        cur ? std::optional<std::string>(cur->source) : std::nullopt,
        cur ? std::optional<std::string>(cur->stream) : std::nullopt,
        cur ? std::optional<std::string>(cur->sourceId) : std::nullopt, call.query("connection"), limit);
    Json records = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      Json row = Json::parse(r.view(i, 9));
      Json rec = {{"sourceId", r.text(i, 3)},
                  {"source", r.text(i, 1)},
                  {"stream", r.text(i, 8)},
                  {"connection", opt(r.optText(i, 7))},
                  {"updatedAt", r.text(i, 4)},
                  {"sourceModifiedAt", opt(r.optText(i, 5))},
                  {"deleted", !r.isNull(i, 6)},
                  {"deletedAt", opt(r.optText(i, 6))},
                  {"data", row}};
      records.push_back(std::move(rec));
    }
    Json out = {{"entity", entity}, {"records", records}, {"nextCursor", nullptr}};
    if (r.rows() == limit) {
      const int last = r.rows() - 1;
      out["nextCursor"] = encodeCursor({r.int64(last, 0), r.text(last, 1), r.text(last, 2), r.text(last, 3)});
    }
    return Response::json(200, out);
  });

  api.route(router, "GET", "/api/workspaces/:workspace/record-errors", Access::Token, [](Call& call) {
    const int64_t limit = call.intQuery("limit", 100, 1, 1000);
    const bool resolved = call.query("resolved").value_or("false") == "true";
    auto r = call.db().exec("SELECT e.id, c.name, e.stream, e.source_id, e.error, e.stage, e.occurrences, " +
                                isoMicros("e.created_at") + ", " + isoMicros("e.resolved_at") +
                                ", e.replay_job_id, e.job_id"
                                " FROM sync_record_errors e LEFT JOIN connections c ON c.id = e.connection_id"
                                " WHERE e.workspace_id = $1::uuid AND ($2 OR e.resolved_at IS NULL)"
                                " AND ($3::text IS NULL OR c.name = $3) AND ($4::text IS NULL OR e.stream = $4)"
                                " ORDER BY e.id DESC LIMIT $5",
                            call.ws().id, resolved, call.query("connection"), call.query("stream"), limit);
    Json out = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({{"id", r.int64(i, 0)},
                     {"connection", opt(r.optText(i, 1))},
                     {"stream", r.text(i, 2)},
                     {"sourceId", opt(r.optText(i, 3))},
                     {"error", r.text(i, 4)},
                     {"stage", r.text(i, 5)},
                     {"occurrences", r.int64(i, 6)},
                     {"createdAt", r.text(i, 7)},
                     {"resolvedAt", opt(r.optText(i, 8))},
                     {"replayJobId", opt(r.optText(i, 9))},
                     {"jobId", opt(r.optText(i, 10))}});
    }
    return Response::json(200, {{"errors", out}});
  });

  api.route(router, "POST", "/api/workspaces/:workspace/record-errors/replay", Access::Token, [&api](Call& call) {
    const Json body = call.body({{"connection", Field::Type::String}, {"stream", Field::Type::String}});
    std::optional<std::string> connection, stream;
    if (body.contains("connection")) connection = body["connection"].get<std::string>();
    if (body.contains("stream")) stream = body["stream"].get<std::string>();
    auto& conn = call.db();
    auto errs = conn.exec(
        "SELECT e.connection_id, c.name, e.stream, to_jsonb(array_agg(e.source_id ORDER BY e.source_id))::text, count(*)"
        " FROM sync_record_errors e JOIN connections c ON c.id = e.connection_id"
        " WHERE e.workspace_id = $1::uuid AND e.resolved_at IS NULL AND e.source_id IS NOT NULL AND c.enabled"
        " AND ($2::text IS NULL OR c.name = $2) AND ($3::text IS NULL OR e.stream = $3)"
        " GROUP BY 1, 2, 3 ORDER BY 2, 3",
        call.ws().id, connection, stream);
    if (errs.empty()) {
      return Response::json(
          200, {{"jobIds", Json::array()}, {"replays", Json::array()}, {"message", "no open record errors to replay"}});
    }
    db::Transaction tx(conn);
    Json replays = Json::array();
    Json jobIds = Json::array();
    for (int i = 0; i < errs.rows(); ++i) {
      queue::EnqueueRequest r;
      r.kind = "backfill";
      r.workspaceId = call.ws().id;
      r.connectionId = errs.text(i, 0);
      r.priority = queue::kPriorityManual;
      r.payload = Json{{"sync_type", "backfill"},
                       {"streams", {errs.text(i, 2)}},
                       {"ids", Json::parse(errs.view(i, 3))},
                       {"replay", true}};
      auto job = api.queue().enqueue(conn, r);
      conn.exec(
          "UPDATE sync_record_errors SET replay_job_id = $1::uuid WHERE connection_id = $2::uuid AND stream = $3"
          " AND resolved_at IS NULL",
          job.jobId, errs.text(i, 0), errs.text(i, 2));
      jobIds.push_back(job.jobId);
      replays.push_back({{"connection", errs.text(i, 1)},
                         {"stream", errs.text(i, 2)},
                         {"records", errs.int64(i, 4)},
                         {"jobId", job.jobId}});
    }
    api.audit(call, "records.replay", call.ws().slug, {{"replays", replays}});
    tx.commit();
    return Response::json(
        202,
        {{"jobIds", jobIds}, {"replays", replays}, {"message", fmt::format("queued {} replay job(s)", jobIds.size())}});
  });
}

}  // namespace tributary::api
