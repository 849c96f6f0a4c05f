#include "app/Maintenance.h"

#include "common/Log.h"
#include "engine/Outbox.h"

namespace tributary::app {

Maintenance::Maintenance(std::shared_ptr<db::Pool> pool, config::SyncConfig cfg, std::chrono::milliseconds interval)
    : pool_(std::move(pool)), cfg_(std::move(cfg)), interval_(interval) {}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() { thread_ = std::thread(&Maintenance::loop, this); }

void Maintenance::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Maintenance::runOnce() {
  try {
    auto conn = pool_->acquire();
    const int64_t pruned = engine::outbox::prune(*conn, cfg_.eventRetention);
    if (pruned) log::info("maintenance", "pruned {} events older than sync.event_retention", pruned);
  } catch (const std::exception& e) {
    log::warn("maintenance", "pruning the events outbox failed: {}; trying again later", e.what());
  }
}

void Maintenance::loop() {
  std::unique_lock lock(mu_);
  auto next =
      std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(interval_, std::chrono::minutes(1));
  while (!stopping_) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    lock.unlock();
    runOnce();
    lock.lock();
    next = std::chrono::steady_clock::now() + interval_;
  }
}

}  // namespace tributary::app
