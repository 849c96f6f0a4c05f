#pragma once

#include "config/Config.h"
#include "db/Connection.h"

namespace tributary::app::alerts {

// What one look found.
struct Report {
  int raised = 0;    // alerts that began now (an event each)
  int resolved = 0;  // alerts whose cause went away (an alert.resolved each)
  int active = 0;    // alerts on after the look
};

// One look, by the maintenance lead every alerts.check_interval (docs/webhooks.md, "Alerts"):
// - sync.stale: an enabled, unpaused, scheduled connection has had no successful (non-dry) run
//   for alerts.stale_after, or, unset, for three times the gap between its schedule's last two
//   slots. The time counts from its last success, or when there was none from its creation; and
//   not from before its schedule was last armed (a schedule given or changed, a pause ended).
// - queue.backlog: the oldest runnable pending job has waited (since its run_at) longer than
//   alerts.backlog_after; once per workspace with such a job, and once for the host as a whole
//   (host-scoped: the events stream sees it, no workspace's webhook does).
// An alert is an event once per episode: its row in `alerts` and its event commit together, and
// when its cause has gone away the row is deleted with an alert.resolved event.
Report check(db::Connection& conn, const config::AlertsConfig& cfg);

}  // namespace tributary::app::alerts
