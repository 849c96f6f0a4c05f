#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "config/Config.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"
#include "scheduler/LeaderElection.h"

namespace tributary::app {

// The housekeeping of all hosts on one database, done by one of them: every serve runs this,
// and the one that holds the maintenance lead (a session advisory lock, as the scheduler's
// leader; another host takes over when it goes) rescues jobs whose leases expired (every
// queue.rescue_interval), marks jobs that no running worker can run (say so in their status),
// forgets workers gone silent, and once an hour prunes finished jobs past queue.retention and
// events past sync.event_retention, and raises the alerts (sync.stale, queue.backlog) every
// alerts.check_interval. Worker processes under a serve do none of it themselves.
class Maintenance {
 public:
  Maintenance(std::string conninfo, std::shared_ptr<db::Pool> pool, std::shared_ptr<queue::JobQueue> queue,
              const config::Config& cfg, std::string hostId);
  ~Maintenance();

  void start();
  void stop();
  bool leading() const { return election_.leading(); }
  // One round now, as the leader would do it (tests): rescue, unrunnable jobs, workers, pruning.
  void runOnce(bool prune = true);
  // The alerts' look (app/Alerts.h), done by the leader every alerts.check_interval; errors are
  // logged, and the next look tries again.
  void checkAlerts();

 private:
  void loop();
  // Leads if it can; while leading, checks that its session still holds the lead.
  bool holdLead();
  // While leading: the session speaks (see loop); false when the lead was lost. Not leading (a
  // round run by hand): true.
  bool keepLead();
  std::shared_ptr<db::Pool> pool_;
  std::shared_ptr<queue::JobQueue> queue_;
  config::QueueConfig queueCfg_;
  config::SyncConfig syncCfg_;
  config::ApiConfig apiCfg_;
  config::WebhooksConfig webhooksCfg_;
  config::AlertsConfig alertsCfg_;
  scheduler::LeaderElection election_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tributary::app
