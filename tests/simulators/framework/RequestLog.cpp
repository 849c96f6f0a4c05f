#include "RequestLog.h"

#include "TimeFormat.h"

namespace tributary::sim {

void RequestLog::append(RequestLogEntry entry) {
  std::lock_guard lock(mutex_);
  entry.seq = nextSeq_++;
  entries_.push_back(std::move(entry));
  while (entries_.size() > capacity_) entries_.pop_front();
}

nlohmann::json RequestLog::query(uint64_t sinceSeq, const std::string& pathPrefix, size_t limit) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& entry : entries_) {
    if (entry.seq <= sinceSeq || entry.path.rfind(pathPrefix, 0) != 0) continue;
    if (out.size() >= limit) break;
    out.push_back({{"seq", entry.seq},
                   {"method", entry.method},
                   {"path", entry.path},
                   {"query", entry.query},
                   {"status", entry.status},
                   {"time_ms", entry.wallMs},
                   {"time", TimeFormat::isoMillisZ(entry.wallMs)},
                   {"sim_time", TimeFormat::isoMillisZ(entry.simMs)},
                   {"token", entry.token},
                   {"faults", entry.faults},
                   {"connection", entry.connection}});
  }
  return out;
}

void RequestLog::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

uint64_t RequestLog::lastSeq() const {
  std::lock_guard lock(mutex_);
  return nextSeq_ - 1;
}

}  // namespace tributary::sim
