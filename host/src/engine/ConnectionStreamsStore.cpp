#include "engine/ConnectionStreamsStore.h"

#include <stdexcept>

#include "common/Redact.h"

namespace tributary::engine {
namespace {

Json optionalJson(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

std::string stringField(const Json& s, const char* key) {
  const Json& v = s.at(key);
  return v.is_null() ? std::string() : v.get<std::string>();
}

Json flagsJson(uint32_t flags) {
  Json names = Json::array();
  for (const auto& n : plugins::streamFlagsJson(flags)) names.push_back(n.get<std::string>());
  return names;
}

}  // namespace

Json streamsJson(const std::vector<plugins::StreamDescriptor>& streams) {
  Json out = Json::array();
  for (const auto& s : streams) {
    out.push_back({{"name", s.name},
                   {"primary_key", s.primaryKey},
                   {"cursor_field", s.cursorField},
                   {"entity", s.entity.empty() ? Json(nullptr) : Json(s.entity)},
                   {"description", s.description},
                   {"flags", flagsJson(s.flags)}});
  }
  return out;
}

Json StoredStreams::toJson() const {
  return Json{{"streams", streams ? streamsJson(*streams) : Json(nullptr)},
              {"discovered", discovered},
              {"plugin", plugin},
              {"plugin_version", pluginVersion},
              {"discovered_at", discoveredAt.empty() ? Json(nullptr) : Json(discoveredAt)},
              {"job_id", jobId.empty() ? Json(nullptr) : Json(jobId)},
              {"last_error", optionalJson(lastError)},
              {"last_error_at", optionalJson(lastErrorAt)},
              {"last_error_job_id", optionalJson(lastErrorJobId)}};
}

std::optional<StoredStreams> ConnectionStreamsStore::load(db::Connection& conn) const {
  auto r = conn.exec(
      "SELECT streams::text, discovered, coalesce(plugin, ''), coalesce(plugin_version, ''),"
      " coalesce(to_char(discovered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
      " coalesce(job_id::text, ''), last_error,"
      " to_char(last_error_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), last_error_job_id::text"
      " FROM connection_streams WHERE connection_id = $1::uuid",
      connectionId_);
  if (r.empty()) return std::nullopt;
  StoredStreams s;
  if (auto text = r.optText(0, 0)) {
    // Written by store() alone, from descriptors the host validated.
    std::vector<plugins::StreamDescriptor> streams;
    for (const Json& j : Json::parse(*text)) {
      plugins::StreamDescriptor d;
      d.name = stringField(j, "name");
      d.primaryKey = stringField(j, "primary_key");
      d.cursorField = stringField(j, "cursor_field");
      d.entity = stringField(j, "entity");
      d.description = stringField(j, "description");
      nlohmann::json flags = nlohmann::json::array();
      for (const Json& f : j.at("flags")) flags.push_back(f.get<std::string>());
      d.flags = plugins::parseStreamFlags(flags);
      streams.push_back(std::move(d));
    }
    s.streams = std::move(streams);
  }
  s.discovered = r.boolean(0, 1);
  s.plugin = r.text(0, 2);
  s.pluginVersion = r.text(0, 3);
  s.discoveredAt = r.text(0, 4);
  s.jobId = r.text(0, 5);
  s.lastError = r.optText(0, 6);
  s.lastErrorAt = r.optText(0, 7);
  s.lastErrorJobId = r.optText(0, 8);
  return s;
}

void ConnectionStreamsStore::store(db::Connection& conn, const std::vector<plugins::StreamDescriptor>& streams,
                                   bool discovered, const std::string& plugin, const std::string& pluginVersion,
                                   const std::string& jobId) const {
  conn.exec(
      "INSERT INTO connection_streams (connection_id, streams, discovered, plugin, plugin_version, discovered_at,"
      " job_id) VALUES ($1::uuid, $2::jsonb, $3, $4, $5, now(), $6::uuid)"
      " ON CONFLICT (connection_id) DO UPDATE SET streams = EXCLUDED.streams, discovered = EXCLUDED.discovered,"
      " plugin = EXCLUDED.plugin, plugin_version = EXCLUDED.plugin_version, discovered_at = now(),"
      " job_id = EXCLUDED.job_id, last_error = NULL, last_error_at = NULL, last_error_job_id = NULL",
      connectionId_, streamsJson(streams), discovered, plugin, pluginVersion, jobId);
}

void ConnectionStreamsStore::storeFailure(db::Connection& conn, const std::string& error,
                                          const std::string& jobId) const {
  // A failed discovery's error is its plugin's words: redacted as a run's errors are.
  conn.exec(
      "INSERT INTO connection_streams (connection_id, last_error, last_error_at, last_error_job_id)"
      " VALUES ($1::uuid, $2, now(), $3::uuid)"
      " ON CONFLICT (connection_id) DO UPDATE SET last_error = EXCLUDED.last_error, last_error_at = now(),"
      " last_error_job_id = EXCLUDED.last_error_job_id",
      connectionId_, redact::text(error), jobId);
}

}  // namespace tributary::engine
