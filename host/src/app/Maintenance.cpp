#include "app/Maintenance.h"

#include "api/Tokens.h"
#include "app/Alerts.h"
#include "common/Log.h"
#include "db/AdvisoryLocks.h"
#include "engine/Outbox.h"

namespace tributary::app {

Maintenance::Maintenance(std::string conninfo, std::shared_ptr<db::Pool> pool, std::shared_ptr<queue::JobQueue> queue,
                         const config::Config& cfg, std::string hostId)
    : pool_(std::move(pool)),
      queue_(std::move(queue)),
      queueCfg_(cfg.queue),
      syncCfg_(cfg.sync),
      apiCfg_(cfg.api),
      webhooksCfg_(cfg.webhooks),
      alertsCfg_(cfg.alerts),
      election_(std::move(conninfo), std::move(hostId), cfg.queue.lease, db::advisory::kMaintenanceLeader,
                "maintenance") {}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() { thread_ = std::thread(&Maintenance::loop, this); }

void Maintenance::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  election_.resign();
}

void Maintenance::runOnce(bool prune) {
  try {
    queue_->rescueExpired();
  } catch (const std::exception& e) {
    log::error("maintenance", "rescuing expired jobs failed: {}", e.what());
  }
  if (!keepLead()) return;
  try {
    queue_->markUnrunnable();
    queue_->forgetSilentWorkers();
  } catch (const std::exception& e) {
    log::warn("maintenance", "checking the workers failed: {}", e.what());
  }
  if (!prune || !keepLead()) return;
  try {
    queue_->prune();
  } catch (const std::exception& e) {
    log::error("maintenance", "pruning old jobs failed: {}", e.what());
  }
  if (!keepLead()) return;
  try {
    auto conn = pool_->acquire();
    const int64_t pruned = engine::outbox::prune(*conn, syncCfg_.eventRetention);
    if (pruned) log::info("maintenance", "pruned {} events older than sync.event_retention", pruned);
  } catch (const std::exception& e) {
    log::warn("maintenance", "pruning the events outbox failed: {}; trying again later", e.what());
  }
  if (!keepLead()) return;
  try {
    // The API's audit log for api.audit_retention, and stream tokens an hour past their expiry.
    auto conn = pool_->acquire();
    auto r = conn->exec("DELETE FROM api_audit WHERE at < now() - $1::bigint * interval '1 millisecond'",
                        static_cast<int64_t>(apiCfg_.auditRetention.count()));
    if (r.affected()) log::info("maintenance", "pruned {} audit entries older than api.audit_retention", r.affected());
    api::tokens::pruneExpired(*conn);
  } catch (const std::exception& e) {
    log::warn("maintenance", "pruning the API's audit log failed: {}; trying again later", e.what());
  }
  if (!keepLead()) return;
  try {
    // Webhook deliveries that ended (their attempts go with them) after webhooks.retention, and
    // the secrets whose rotation overlap ended.
    auto conn = pool_->acquire();
    auto r = conn->exec(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending'"
        " AND created_at < now() - $1::bigint * interval '1 millisecond'",
        static_cast<int64_t>(webhooksCfg_.retention.count()));
    if (r.affected()) {
      log::info("maintenance", "pruned {} webhook deliveries older than webhooks.retention", r.affected());
    }
    conn->exec("DELETE FROM webhook_secrets WHERE expires_at < now()");
  } catch (const std::exception& e) {
    log::warn("maintenance", "pruning the webhook deliveries failed: {}; trying again later", e.what());
  }
}

void Maintenance::checkAlerts() {
  try {
    auto conn = pool_->acquire();
    const auto report = alerts::check(*conn, alertsCfg_);
    if (report.raised || report.resolved) {
      log::info("maintenance", "alerts: {} raised, {} resolved, {} on", report.raised, report.resolved, report.active);
    }
  } catch (const std::exception& e) {
    log::warn("maintenance", "checking for alerts failed: {}; trying again in alerts.check_interval", e.what());
  }
}

bool Maintenance::keepLead() {
  if (!election_.leading()) return true;  // a round run by hand (tests), not as the leader
  try {
    // The server ends a leader's session that stays quiet for the lease (a frozen leader is
    // replaced so): a healthy one speaks in time, and finds out here when its session ended.
    election_.session().execScript("SELECT 1");
    return true;
  } catch (const std::exception& e) {
    log::warn("maintenance", "the maintenance session failed ({}); giving up the lead", e.what());
    election_.lost();
    return false;
  }
}

bool Maintenance::holdLead() {
  if (election_.leading()) return keepLead();
  try {
    return election_.tryLead();
  } catch (const std::exception& e) {
    log::warn("maintenance", "cannot reach the database to take the maintenance lead: {}", e.what());
    election_.lost();
    return false;
  }
}

void Maintenance::loop() {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  // A round every queue.rescue_interval, but the lead is checked (its session speaks) at least
  // three times a lease whatever that interval, and before every round: a host whose session
  // ended does no round as if it still led.
  const milliseconds tick =
      std::max(milliseconds(1), std::min({queueCfg_.rescueInterval, queueCfg_.lease / 3, alertsCfg_.checkInterval}));
  auto nextRound = Clock::now();
  auto nextPrune = Clock::now() + std::chrono::minutes(1);
  auto nextAlerts = Clock::now();
  bool wasLeading = false;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const bool leading = holdLead();
    if (leading != wasLeading) {
      if (leading) {
        log::info("maintenance", "this host leads maintenance (rescue of expired leases, pruning)");
      } else {
        log::info("maintenance", "maintenance is led by {}", election_.currentLeader());
      }
      wasLeading = leading;
    }
    if (leading && Clock::now() >= nextRound) {
      nextRound = Clock::now() + queueCfg_.rescueInterval;
      const bool prune = Clock::now() >= nextPrune;
      if (prune) nextPrune = Clock::now() + std::chrono::hours(1);
      runOnce(prune);
      keepLead();
    }
    if (leading && Clock::now() >= nextAlerts && election_.leading()) {
      nextAlerts = Clock::now() + alertsCfg_.checkInterval;
      checkAlerts();
    }
    lock.lock();
    cv_.wait_for(lock, tick, [this] { return stopping_; });
  }
}

}  // namespace tributary::app
