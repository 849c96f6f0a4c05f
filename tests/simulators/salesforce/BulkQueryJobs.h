#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "SoqlQuery.h"

namespace tributary::sim {

// Bulk API 2.0 query jobs. A job's result set is fixed when it is created; its state moves
// UploadComplete -> InProgress -> JobComplete one step per status poll (pollsToComplete in
// all), so clients exercise their polling loop without waiting.
class BulkQueryJobs {
 public:
  struct Job {
    std::string id;
    std::string operation;
    std::string apiVersion;
    SoqlQuery query;
    std::vector<uint64_t> indexes;
    std::string state = "UploadComplete";
    int polls = 0;
    int64_t createdMs = 0;
    std::string columnDelimiter = "COMMA";
    std::string lineEnding = "LF";
  };

  explicit BulkQueryJobs(int pollsToComplete) : pollsToComplete_(pollsToComplete) {}

  std::shared_ptr<Job> create(Job job);
  std::shared_ptr<Job> find(const std::string& id);
  // Advances the state by one poll and returns the job.
  std::shared_ptr<Job> poll(const std::string& id);
  bool remove(const std::string& id);
  std::vector<std::shared_ptr<Job>> all();
  static nlohmann::json info(const Job& job);

 private:
  const int pollsToComplete_;
  std::mutex mutex_;
  uint64_t next_ = 1;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
};

}  // namespace tributary::sim
