#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace tributary::sim {

struct RequestLogEntry {
  uint64_t seq = 0;
  std::string method;
  std::string path;
  std::string query;
  int status = 0;
  int64_t wallMs = 0;
  int64_t simMs = 0;
  // The bearer token (or OAuth client id) the client sent; empty when none.
  std::string token;
  std::string faults;
  // SimRequest::connection: the TCP connection that carried the request.
  uint64_t connection = 0;
};

// Every request a listener answered, newest last, bounded to `capacity` entries, so tests can
// assert call counts, spacing and which pages were read.
class RequestLog {
 public:
  explicit RequestLog(size_t capacity) : capacity_(capacity) {}

  void append(RequestLogEntry entry);
  // Entries with seq > sinceSeq whose path starts with pathPrefix, oldest first, at most limit.
  nlohmann::json query(uint64_t sinceSeq, const std::string& pathPrefix, size_t limit) const;
  void clear();
  uint64_t lastSeq() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<RequestLogEntry> entries_;
  uint64_t nextSeq_ = 1;
};

}  // namespace tributary::sim
