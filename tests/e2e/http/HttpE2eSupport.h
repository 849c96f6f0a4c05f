#pragma once

// The HTTP client's end-to-end tests (issue 15): the vendor simulator as a real process, real
// `tributary serve` hosts running the fixture plugin tributary.fixture_http on one test
// database, and what the tests read back: the simulator's request log, its orders and ground
// truth, the jobs, the runs and the records.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "QueueTestSupport.h"

namespace tributary::test::http_e2e {

// One entry of the simulator's request log (GET {vendor}/admin/requests).
struct LoggedRequest {
  uint64_t seq = 0;
  std::string method;
  std::string path;
  std::string query;
  int status = 0;
  int64_t timeMs = 0;  // the simulator's wall clock
  uint64_t connection = 0;
  std::string faults;  // the faults that fired, comma-separated
  // A query parameter, "" when absent.
  std::string param(const std::string& name) const;
};

// tributary-sim for one test: its scenario in a temp dir, --port 0, the ready file awaited.
class Simulator {
 public:
  explicit Simulator(const std::string& scenarioYaml);
  ~Simulator();
  std::string baseUrl(const std::string& vendor = "hubspot") const;
  std::string adminUrl(const std::string& vendor = "hubspot") const;
  // Adds fault rules (a JSON array of rules) through the admin API.
  void addFaults(const Json& rules, const std::string& vendor = "hubspot");
  // The request log, oldest first, of the paths starting with `pathPrefix`.
  std::vector<LoggedRequest> requests(const std::string& pathPrefix = "", const std::string& vendor = "hubspot") const;
  // GET /admin/orders: [{id, body, connection, time_ms, time}].
  Json orders(const std::string& vendor = "hubspot") const;
  // source_id -> modified_at of the object's live records, from the ground truth.
  std::map<std::string, std::string> groundTruth(const std::string& object,
                                                 const std::string& vendor = "hubspot") const;
  std::string log() const;

 private:
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
  Json ready_;
};

// A HubSpot scenario: `objects` and `rateLimits` are YAML flow mappings (no poison, so every
// record the list serves is in the ground truth's rows).
std::string hubspotScenario(const std::string& objects, const std::string& rateLimits);

// A `tributary serve` of its own on `q`'s database with the fixture plugins of the HTTP client.
struct Host {
  TempDir dir;
  std::unique_ptr<ServerProcess> serve;
  Json ready;
  std::string log() const { return serve ? serve->log() : ""; }
  std::vector<std::string> workerIds() const;
};

// `http` is the flow mapping of the host's http: section ("" for the defaults); `connections`
// the YAML list items (connectionYaml()) under connections:.
std::unique_ptr<Host> startHost(QueueDatabase& q, const std::string& name, const std::string& http,
                                const std::string& connections, int concurrency = 2);

// One connection of the fixture on workspace acme. `settings` is added to the fixture's settings
// mapping ("object: deals, page_size: 10"); `rateLimit` is the flow mapping of its rate_limit
// key ("" for none). The token comes from `tokenFile`.
std::string connectionYaml(const std::string& name, const std::string& baseUrl, const std::filesystem::path& tokenFile,
                           const std::string& settings, const std::string& rateLimit = "");

// A file holding the simulator's static HubSpot token, for {secret_file: ...}.
std::filesystem::path hubspotTokenFile(const TempDir& dir);

std::string connectionId(QueueDatabase& q, const std::string& name);
// A sync job for the connection, as the CLI queues one (priority manual).
std::string enqueueSync(QueueDatabase& q, const std::string& connectionName);
// Waits for the job to end (completed, failed, discarded or cancelled) and returns it.
queue::Job waitJob(QueueDatabase& q, const std::string& jobId, std::chrono::seconds timeout,
                   const std::string& logs = "");
// source_id -> source_modified_at (ISO 8601 UTC with milliseconds and Z) of the connection's
// live records of the fixture's stream.
std::map<std::string, std::string> records(QueueDatabase& q, const std::string& connectionName);
// The run of the job: its metadata, and the worker of each attempt.
Json runMetadata(QueueDatabase& q, const std::string& jobId);
std::vector<std::string> runWorkers(QueueDatabase& q, const std::string& jobId);

// One line per request ("#12 +350ms GET /crm/v3/objects/deals?limit=10 -> 429 [rate_limit] conn 3"),
// times from the first, for failure messages.
std::string describe(const std::vector<LoggedRequest>& log);

// The most requests in any window [t, t + windowMs) of the given times (ms).
int maxInWindow(const std::vector<int64_t>& times, int64_t windowMs);

}  // namespace tributary::test::http_e2e
