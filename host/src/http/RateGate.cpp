#include "http/RateGate.h"

#include "db/Connection.h"
#include "db/DbError.h"
#include "db/PgArray.h"

#include <algorithm>

namespace tributary::http {

RateGate::RateGate(std::string conninfo) : conninfo_(std::move(conninfo)) {}
RateGate::~RateGate() = default;

db::Connection& RateGate::connection() {
  if (conn_ && conn_->isBroken()) conn_.reset();
  if (!conn_) conn_ = std::make_unique<db::Connection>(conninfo_);
  return *conn_;
}

namespace {
std::string bigintArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}
}  // namespace

namespace {
constexpr std::chrono::microseconds kLeaseSpan{20'000};
constexpr int64_t kMaxLease = 64;
}  // namespace

Grant RateGate::reserve(const std::string& account, const std::vector<SlotCost>& classes,
                        std::chrono::microseconds maxWait) {
  Grant g;
  if (classes.empty()) {
    g.granted = true;
    return g;
  }
  // The spacing of the request's slots: its slowest evenly spaced class (a quota's burst does
  // not space them).
  int64_t spacing = 0;
  std::string key = account;
  for (const auto& c : classes) {
    if (c.tauUs == 0) spacing = std::max(spacing, c.costUs);
    key += "\n" + c.cls + "=" + std::to_string(c.costUs) + "/" + std::to_string(c.tauUs);
  }
  int64_t lease = spacing >= kLeaseSpan.count() / 2
                      ? 1
                      : std::clamp<int64_t>(kLeaseSpan.count() / std::max<int64_t>(spacing, 1), 1, kMaxLease);
  // A slice of a quota is taken when its first slot is free: keep it within 1% of the quota.
  for (const auto& c : classes) {
    if (c.tauUs > 0) lease = std::clamp<int64_t>(c.tauUs / std::max<int64_t>(c.costUs, 1) / 100, 1, lease);
  }
  const std::chrono::microseconds late(std::max<int64_t>(2 * spacing, kLeaseSpan.count()));

  std::lock_guard lock(mutex_);
  if (lease > 1) {
    auto& q = leases_[key];
    const auto now = Steady::now();
    while (!q.empty() && q.front() + late < now) q.pop_front();
    if (!q.empty()) {
      g.granted = true;
      g.wait = std::max(std::chrono::microseconds(0),
                        std::chrono::duration_cast<std::chrono::microseconds>(q.front() - now));
      q.pop_front();
      return g;
    }
  }
  g = reserveOnce(account, classes, lease, maxWait);
  if (g.granted && lease > 1) {
    auto& q = leases_[key];
    const auto first = Steady::now() + g.wait;
    for (int64_t j = 1; j < lease; ++j) q.push_back(first + std::chrono::microseconds(j * spacing));
  }
  return g;
}

Grant RateGate::reserveOnce(const std::string& account, const std::vector<SlotCost>& classes, int64_t slots,
                            std::chrono::microseconds maxWait) {
  Grant g;
  std::vector<std::string> names;
  std::vector<int64_t> costs, taus;
  for (const auto& c : classes) {
    names.push_back(c.cls);
    costs.push_back(c.costUs * slots);
    taus.push_back(c.tauUs);
  }
  auto r = connection().execPrepared(
      "SELECT granted, slot_us, now_us, waiting_class, quota_waits"
      " FROM http_rate_reserve($1, $2::text[], $3::bigint[], $4::bigint[], $5::bigint)",
      account, db::textArray(names), bigintArray(costs), bigintArray(taus), static_cast<int64_t>(maxWait.count()));
  g.granted = r.boolean(0, 0);
  g.wait = std::chrono::microseconds(std::max<int64_t>(0, r.int64(0, 1) - r.int64(0, 2)));
  g.waitingClass = r.isNull(0, 3) ? "" : r.text(0, 3);
  g.quotaWaits = static_cast<int>(r.int64(0, 4));
  return g;
}

Hold RateGate::tighten(const std::string& account, const std::string& cls,
                       std::optional<std::chrono::microseconds> hold, std::optional<std::chrono::microseconds> tatFloor,
                       bool quotaWait, bool success) {
  std::optional<int64_t> h, f;
  if (hold) h = hold->count();
  if (tatFloor) f = tatFloor->count();
  std::lock_guard lock(mutex_);
  // The vendor's word beats this process's leased slots: they are dropped (another host's expire
  // within their lease, about 20 ms).
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->first.compare(0, account.size() + 1, account + "\n") == 0 ? leases_.erase(it) : std::next(it);
  }
  auto r = connection().execPrepared(
      "SELECT hold_until_us, quota_waits, now_us FROM http_rate_tighten($1, $2, $3::bigint, $4::bigint, $5, $6)",
      account, cls, h, f, quotaWait, success);
  Hold out;
  out.remaining = std::chrono::microseconds(std::max<int64_t>(0, r.int64(0, 0) - r.int64(0, 2)));
  out.quotaWaits = static_cast<int>(r.int64(0, 1));
  return out;
}

}  // namespace tributary::http
