#include "BulkQueryJobs.h"

#include "../framework/TimeFormat.h"
#include "SalesforceIds.h"

namespace tributary::sim {

std::shared_ptr<BulkQueryJobs::Job> BulkQueryJobs::create(Job job) {
  std::lock_guard lock(mutex_);
  auto stored = std::make_shared<Job>(std::move(job));
  stored->id = SalesforceIds::make("750", next_++);
  if (pollsToComplete_ <= 0) stored->state = "JobComplete";
  jobs_[stored->id] = stored;
  return stored;
}

std::shared_ptr<BulkQueryJobs::Job> BulkQueryJobs::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = jobs_.find(id);
  return found == jobs_.end() ? nullptr : found->second;
}

std::shared_ptr<BulkQueryJobs::Job> BulkQueryJobs::poll(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = jobs_.find(id);
  if (found == jobs_.end()) return nullptr;
  Job& job = *found->second;
  if (job.state == "UploadComplete" || job.state == "InProgress") {
    ++job.polls;
    job.state = job.polls >= pollsToComplete_ ? "JobComplete" : "InProgress";
  }
  return found->second;
}

bool BulkQueryJobs::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  return jobs_.erase(id) > 0;
}

std::vector<std::shared_ptr<BulkQueryJobs::Job>> BulkQueryJobs::all() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Job>> out;
  for (auto& [id, job] : jobs_) out.push_back(job);
  return out;
}

nlohmann::json BulkQueryJobs::info(const Job& job) {
  const std::string created = TimeFormat::salesforceDateTime(job.createdMs);
  nlohmann::json out = {{"id", job.id},
                        {"operation", job.operation},
                        {"object", job.query.object},
                        {"createdById", SalesforceIds::make("005", 1)},
                        {"createdDate", created},
                        {"systemModstamp", created},
                        {"state", job.state},
                        {"concurrencyMode", "Parallel"},
                        {"contentType", "CSV"},
                        {"apiVersion", std::stod(job.apiVersion)},
                        {"jobType", "V2Query"},
                        {"lineEnding", job.lineEnding},
                        {"columnDelimiter", job.columnDelimiter},
                        {"retries", 0},
                        {"totalProcessingTime", job.state == "JobComplete" ? 120 : 0}};
  out["numberRecordsProcessed"] = job.state == "JobComplete" ? job.indexes.size() : 0;
  return out;
}

}  // namespace tributary::sim
