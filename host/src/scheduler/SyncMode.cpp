#include "scheduler/SyncMode.h"

#include "common/Json.h"

namespace tributary::scheduler {

std::unordered_map<std::string, sync::Mode> autoSyncModes(db::Connection& conn,
                                                          const std::vector<std::string>& connectionIds) {
  std::unordered_map<std::string, sync::Mode> out;
  if (connectionIds.empty()) return out;
  Json ids = connectionIds;
  auto rows = conn.execPrepared(
      "SELECT c.id::text,"
      " EXISTS (SELECT 1 FROM stream_state s WHERE s.connection_id = c.id"
      "  AND (s.initialized_at IS NULL OR s.read_whole))"
      " OR NOT (c.sync_cursor IS NOT NULL OR c.last_sync_at IS NOT NULL"
      "  OR EXISTS (SELECT 1 FROM stream_state s WHERE s.connection_id = c.id AND s.initialized_at IS NOT NULL))"
      " FROM connections c WHERE c.id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)",
      ids);
  for (int i = 0; i < rows.rows(); ++i) {
    out.emplace(rows.text(i, 0), rows.boolean(i, 1) ? sync::Mode::Initial : sync::Mode::Incremental);
  }
  return out;
}

}  // namespace tributary::scheduler
