#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/Config.h"
#include "db/Pool.h"

namespace tributary::app {

// Housekeeping a serving host does in the background, one host at a time for each task (an
// advisory lock): today, pruning the events outbox past sync.event_retention. First a minute
// after start, then every `interval`.
class Maintenance {
 public:
  Maintenance(std::shared_ptr<db::Pool> pool, config::SyncConfig cfg,
              std::chrono::milliseconds interval = std::chrono::hours(1));
  ~Maintenance();

  void start();
  void stop();
  // One round, now (for tests and the first round).
  void runOnce();

 private:
  void loop();
  std::shared_ptr<db::Pool> pool_;
  config::SyncConfig cfg_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tributary::app
