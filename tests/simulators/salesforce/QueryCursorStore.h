#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "SoqlQuery.h"

namespace tributary::sim {

// Open REST query cursors (the locator in nextRecordsUrl). A cursor holds the matching record
// indexes in order; records are rendered when their page is read. Cursors expire after
// `ttlMs` of simulated inactivity, like Salesforce's 15 minutes, and the oldest are dropped
// beyond `maxOpen`.
class QueryCursorStore {
 public:
  struct Cursor {
    std::string locator;
    SoqlQuery query;
    std::vector<uint64_t> indexes;
    size_t pageSize = 2000;
    int64_t lastUsedMs = 0;
  };

  QueryCursorStore(int64_t ttlMs, size_t maxOpen) : ttlMs_(ttlMs), maxOpen_(maxOpen) {}

  std::shared_ptr<Cursor> open(SoqlQuery query, std::vector<uint64_t> indexes, size_t pageSize, int64_t nowMs);
  // Nullopt when unknown or expired (an expired cursor is forgotten).
  std::shared_ptr<Cursor> find(const std::string& locator, int64_t nowMs);
  void expireAll();

 private:
  const int64_t ttlMs_;
  const size_t maxOpen_;
  std::mutex mutex_;
  uint64_t next_ = 1;
  std::map<std::string, std::shared_ptr<Cursor>> cursors_;
};

}  // namespace tributary::sim
