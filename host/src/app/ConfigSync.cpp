#include "app/ConfigSync.h"

#include "common/Json.h"
#include "common/Log.h"

namespace tributary::app {

ConfigSyncResult syncConfigToDatabase(db::Connection& conn, const config::Config& cfg,
                                      const plugins::PluginRegistry& registry) {
  ConfigSyncResult out;
  db::Transaction tx(conn);
  Json slugs = Json::array();
  for (const auto& w : cfg.workspaces) {
    conn.exec(
        "INSERT INTO workspaces (slug, name) VALUES ($1, $2)"
        " ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, enabled = true, updated_at = now()"
        " WHERE workspaces.name IS DISTINCT FROM EXCLUDED.name OR NOT workspaces.enabled",
        w.slug, w.name);
    slugs.push_back(w.slug);
    ++out.workspaces;
  }
  conn.exec(
      "UPDATE workspaces SET enabled = false, updated_at = now()"
      " WHERE enabled AND NOT (slug = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))))",
      slugs);

  Json keep = Json::array();
  for (const auto& c : cfg.connections) {
    auto plugin = registry.find(c.connector);
    Json settings = Json::object();
    for (const auto& [key, value] : c.settings) {
      const auto* decl = plugin ? plugin->findConfigKey(key) : nullptr;
      if ((decl && decl->secret) || value.source == config::ValueSource::SecretFile) continue;
      settings[key] = value.value;
    }
    if (c.baseUrl) settings["base_url"] = *c.baseUrl;
    auto r = conn.exec(
        "INSERT INTO connections (workspace_id, name, connector, schedule, settings, enabled, status,"
        "                         schedule_timezone, misfire)"
        " SELECT w.id, $2, $3, $4, $5::jsonb, $6, CASE WHEN $6 THEN 'pending' ELSE 'disabled' END,"
        "        $7, $8"
        " FROM workspaces w WHERE w.slug = $1"
        " ON CONFLICT (workspace_id, name) DO UPDATE SET connector = EXCLUDED.connector,"
        "  schedule = EXCLUDED.schedule, settings = EXCLUDED.settings, enabled = EXCLUDED.enabled,"
        "  schedule_timezone = EXCLUDED.schedule_timezone, misfire = EXCLUDED.misfire,"
        "  status = CASE WHEN NOT EXCLUDED.enabled THEN 'disabled'"
        "                WHEN connections.status = 'disabled' THEN 'pending' ELSE connections.status END,"
        "  updated_at = now()"
        " RETURNING id",
        c.workspace, c.name, c.connector, c.schedule, settings, c.enabled, c.timezone,
        c.misfire.empty() ? std::optional<std::string>() : std::optional<std::string>(c.misfire));
    if (!r.empty()) {
      keep.push_back(r.text(0, 0));
      ++out.connections;
    }
  }
  auto gone = conn.exec(
      "UPDATE connections SET enabled = false, status = 'disabled', updated_at = now()"
      " WHERE status <> 'disabled' AND NOT (id = ANY(ARRAY(SELECT (jsonb_array_elements_text($1::jsonb))::uuid)))"
      " RETURNING (SELECT slug FROM workspaces WHERE id = workspace_id) || '/' || name",
      keep);
  for (int i = 0; i < gone.rows(); ++i) {
    log::warn("config", "connection {} is no longer in the configuration: disabled (its data is kept)",
              gone.text(i, 0));
  }
  out.disabled = gone.rows();
  tx.commit();
  return out;
}

}  // namespace tributary::app
