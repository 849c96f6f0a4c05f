#include "QueryCursorStore.h"

#include "SalesforceIds.h"

namespace tributary::sim {

std::shared_ptr<QueryCursorStore::Cursor> QueryCursorStore::open(SoqlQuery query, std::vector<uint64_t> indexes,
                                                                 size_t pageSize, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto cursor = std::make_shared<Cursor>();
  cursor->locator = SalesforceIds::make("01g", next_++);
  cursor->query = std::move(query);
  cursor->indexes = std::move(indexes);
  cursor->pageSize = pageSize;
  cursor->lastUsedMs = nowMs;
  cursors_[cursor->locator] = cursor;
  while (cursors_.size() > maxOpen_) {
    auto oldest = cursors_.begin();
    for (auto it = cursors_.begin(); it != cursors_.end(); ++it) {
      if (it->second->lastUsedMs < oldest->second->lastUsedMs) oldest = it;
    }
    cursors_.erase(oldest);
  }
  return cursor;
}

std::shared_ptr<QueryCursorStore::Cursor> QueryCursorStore::find(const std::string& locator, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto found = cursors_.find(locator);
  if (found == cursors_.end()) return nullptr;
  if (nowMs - found->second->lastUsedMs > ttlMs_) {
    cursors_.erase(found);
    return nullptr;
  }
  found->second->lastUsedMs = nowMs;
  return found->second;
}

void QueryCursorStore::expireAll() {
  std::lock_guard lock(mutex_);
  cursors_.clear();
}

}  // namespace tributary::sim
