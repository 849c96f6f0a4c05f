// tributary.hubspot against the HubSpot simulator (issue 19): a real `tributary serve` with the
// plugin from BUILD/plugins, over real HTTP, on a real PostgreSQL, every table compared with the
// simulator's ground truth on (source_id, source_modified_at, deleted, canonical digest) and the
// record errors with its poison ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "../http/HttpE2eSupport.h"
#include "common/Files.h"

using namespace tributary;
using namespace tributary::test::http_e2e;
using std::chrono::seconds;

namespace hubspot_test {

bool large() {
  const char* v = std::getenv("TRIBUTARY_LARGE_TESTS");
  return v && std::string(v) == "1";
}

// Dirty data and poison as the simulator serves them; limits lifted on the simulator (the
// host's own budgets are raised on the connection, so the test measures correctness, not waits).
constexpr const char* kNoLimits =
    "{app: {max: 0, window_ms: 1000}, daily: {max: 0, window_ms: 86400000}, search: {max: 0, window_ms: 1000}}";
constexpr const char* kHostBudgets = "{rest: {requests: 100000, per: 10s}, search: {requests: 10000, per: 1s}}";

std::string scenario(int perObject, const std::string& rateLimits = kNoLimits, int indexingLagMs = 0) {
  const std::string n = std::to_string(perObject);
  return "seed: 42\nclock: {start: \"2024-06-01T00:00:00Z\"}\nvendors:\n  hubspot:\n"
         "    objects: {deals: " +
         n + ", contacts: " + n + ", companies: " + n +
         "}\n"
         "    dirty_rate: 0.1\n    poison_rate: 0.01\n"
         "    auth: {static_tokens: [hubspot-test-token]}\n"
         "    rate_limits: " +
         rateLimits +
         "\n"
         "    search: {indexing_lag_ms: " +
         std::to_string(indexingLagMs) + "}\n";
}

struct Room {
  Simulator sim;
  test::QueueDatabase q;
  test::TempDir dir;
  std::unique_ptr<test::ServerProcess> serve;

  explicit Room(int perObject, const std::string& settings = "", const std::string& simLimits = kNoLimits,
                const std::string& budgets = kHostBudgets)
      : sim(scenario(perObject, simLimits)) {
    const auto token = dir.write("hubspot-token", "hubspot-test-token");
    const auto cfg =
        dir.write("tributary.yaml",
                  "state_dir: " + (dir / "state").string() + "\ndatabase:\n  url: \"" + q.db.conninfo() +
                      "\"\nplugins: {dirs: [\"" + (test::buildDir() / "plugins").string() +
                      "\"]}\n"
                      "workers: {processes: 1, concurrency: 3}\n"
                      "queue: {poll_interval: 200ms, lease: 5s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                      " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                      "workspaces: [{slug: acme}]\n"
                      "connections:\n"
                      "  - workspace: acme\n    name: hubspot\n    connector: tributary.hubspot\n"
                      "    auth: {type: bearer, token: {secret_file: \"" +
                      token.string() + "\"}}\n    settings: {base_url: \"" + sim.baseUrl() + "\"" + settings +
                      "}\n"
                      "    rate_limit: " +
                      budgets + "\n");
    const auto readyFile = dir / "ready.json";
    serve = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                                 "--ready-file", readyFile.string()},
        dir / "serve.log");
    if (!serve->waitForReadyFile(readyFile)) throw std::runtime_error("serve did not start:\n" + serve->log());
  }

  std::string sync(const std::string& mode) { return syncJob(mode).id; }
  queue::Job syncJob(const std::string& mode, const Json& more = Json::object()) {
    queue::EnqueueRequest r;
    r.kind = "sync";
    auto c = q.pool->acquire();
    r.workspaceId = c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
    r.connectionId = connectionId(q, "hubspot");
    r.priority = queue::kPriorityManual;
    r.payload = Json{{"mode", mode}};
    r.payload.update(more);
    const std::string id = q.queue->enqueue(r).jobId;
    auto job = waitJob(q, id, seconds(large() ? 900 : 240), serve->log());
    EXPECT_EQ(job.status, queue::JobStatus::Completed) << job.toJson().dump(2) << serve->log();
    return job;
  }

  Json admin(const std::string& method, const std::string& path, const Json& body = Json::object()) {
    auto r = test::httpRequest(method, sim.adminUrl() + path, body.dump(), {{"Content-Type", "application/json"}});
    if (r.status / 100 != 2) throw std::runtime_error(method + " " + path + " -> " + std::to_string(r.status) + r.body);
    return Json::parse(r.body);
  }

  struct Row {
    std::string modifiedAt;
    bool deleted = false;
    std::string hash;
    bool operator==(const Row& o) const { return modifiedAt == o.modifiedAt && deleted == o.deleted && hash == o.hash; }
  };
  using Rows = std::map<std::string, Row>;

  // The ground truth's rows and error ids of a HubSpot object.
  std::pair<Rows, std::set<std::string>> truth(const std::string& object) {
    auto r = test::httpGet(sim.adminUrl() + "/ground-truth?object=" + object);
    if (r.status != 200) throw std::runtime_error("the ground truth of " + object + ": " + r.body);
    const Json j = Json::parse(r.body);
    Rows rows;
    for (const auto& row : j["rows"]) rows[row["id"]] = Row{row["modified_at"], row["deleted"], row["hash"]};
    std::set<std::string> errors;
    for (const auto& e : j["errors"]) errors.insert(e.get<std::string>());
    return {rows, errors};
  }

  // The table's rows with the canonical digest of docs/canonical-model.md, and the open record
  // errors of the stream.
  std::pair<Rows, std::set<std::string>> stored(const std::string& table, const std::string& stream) {
    static const std::map<std::string, std::string> fields = {
        {"deals",
         "coalesce(name, '\\N'), coalesce(trim_scale(amount)::text, '\\N'), coalesce(stage, '\\N'),"
         " coalesce(to_char(close_date, 'YYYY-MM-DD'), '\\N'), coalesce(pipeline, '\\N'),"
         " coalesce(owner_id, '\\N'), coalesce(account_id, '\\N')"},
        {"contacts",
         "coalesce(email, '\\N'), coalesce(first_name, '\\N'), coalesce(last_name, '\\N'),"
         " coalesce(account_id, '\\N')"},
        {"accounts", "coalesce(name, '\\N'), coalesce(domain, '\\N'), coalesce(industry, '\\N')"}};
    auto c = q.pool->acquire();
    auto r = c->exec(
        "SELECT source_id, to_char(source_modified_at AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), deleted_at IS NOT NULL,"
        " encode(sha256(convert_to(concat_ws(chr(31), " +
        fields.at(table) + "), 'UTF8')), 'hex') FROM " + table + " WHERE source = 'hubspot'");
    Rows rows;
    for (int i = 0; i < r.rows(); ++i) rows[r.text(i, 0)] = Row{r.text(i, 1), r.boolean(i, 2), r.text(i, 3)};
    auto e = c->exec(
        "SELECT source_id FROM sync_record_errors WHERE stream = $1 AND resolved_at IS NULL AND connection_id ="
        " (SELECT id FROM connections WHERE name = 'hubspot')",
        stream);
    std::set<std::string> errors;
    for (int i = 0; i < e.rows(); ++i) errors.insert(e.text(i, 0));
    return {rows, errors};
  }

  // Every table equals the ground truth; on a difference, the first few ids that differ.
  void expectGroundTruth(const std::string& when) {
    const std::vector<std::tuple<std::string, std::string, std::string>> pairs = {
        {"deals", "deals", "deals"}, {"contacts", "contacts", "contacts"}, {"companies", "accounts", "companies"}};
    for (const auto& [object, table, stream] : pairs) {
      auto [want, wantErrors] = truth(object);
      auto [got, gotErrors] = stored(table, stream);
      EXPECT_EQ(got.size(), want.size()) << when << ": " << table;
      EXPECT_GT(want.size(), 0u) << when << ": " << table;
      std::cerr << when << ": " << table << " " << got.size() << " rows (truth " << want.size() << "), "
                << gotErrors.size() << " record errors (truth " << wantErrors.size() << ")\n";
      int shown = 0;
      for (const auto& [id, row] : want) {
        auto it = got.find(id);
        if (it == got.end() || !(it->second == row)) {
          if (shown++ < 5) {
            ADD_FAILURE() << when << ": " << table << " " << id << " wants " << row.modifiedAt
                          << (row.deleted ? " deleted " : " live ") << row.hash << ", has "
                          << (it == got.end() ? std::string("nothing")
                                              : it->second.modifiedAt + (it->second.deleted ? " deleted " : " live ") +
                                                    it->second.hash);
          }
        }
      }
      for (const auto& [id, row] : got) {
        if (!want.count(id) && shown++ < 5)
          ADD_FAILURE() << when << ": " << table << " " << id << " is not in the truth";
      }
      EXPECT_EQ(gotErrors, wantErrors) << when << ": the record errors of " << stream;
    }
  }

  int64_t requestsOf(const std::string& pathPrefix) { return static_cast<int64_t>(sim.requests(pathPrefix).size()); }
};

// An initial sync, then 1,000 modified, 100 created and 100 deleted per object in simulated time,
// then an incremental: both times every table is the ground truth exactly, and the incremental
// reads far fewer records than the initial (QW-6), with no duplicate (LW-2) and the poison
// captured by id (LW-1).
TEST(HubSpot, AnInitialThenAnIncrementalSyncEqualTheGroundTruthExactly) {
  const int n = large() ? 50000 : 10000;
  Room room(n);
  const std::string initial = room.sync("initial");
  room.expectGroundTruth("after the initial sync");
  const int64_t listed = room.requestsOf("/crm/v3/objects");

  room.admin("POST", "/clock/advance", {{"seconds", 3600}});
  for (const std::string object : {"deals", "contacts", "companies"}) {
    room.admin("POST", "/records/" + object + "/modify", {{"count", 1000}});
    room.admin("POST", "/records/" + object, {{"count", 100}});
    room.admin("POST", "/records/" + object + "/delete", {{"count", 100}});
  }
  room.admin("POST", "/clock/advance", {{"seconds", 60}});
  const std::string incremental = room.sync("incremental");
  room.expectGroundTruth("after the incremental sync");

  const Json first = runMetadata(room.q, initial), second = runMetadata(room.q, incremental);
  auto c = room.q.pool->acquire();
  auto counts = c->exec(
      "SELECT job_id::text, records_synced FROM sync_runs WHERE job_id IN ($1::uuid, $2::uuid) ORDER BY started_at",
      initial, incremental);
  ASSERT_EQ(counts.rows(), 2) << first.dump() << second.dump();
  EXPECT_LT(counts.int64(1, 1), counts.int64(0, 1) / 4)
      << "the incremental wrote " << counts.int64(1, 1) << " records, the initial " << counts.int64(0, 1);
  const int64_t searches = room.requestsOf("/crm/v3/objects/deals/search") +
                           room.requestsOf("/crm/v3/objects/contacts/search") +
                           room.requestsOf("/crm/v3/objects/companies/search");
  EXPECT_GT(searches, 0) << "the incremental searched";
  EXPECT_LT(room.requestsOf("/crm/v3/objects") - listed, listed) << "the incremental read far less than the initial";
}

// 12,000 records modified at one instant: more than a search can page (10,000) at one timestamp.
// The incremental reads that timestamp by id in searches of its own and misses nothing.
TEST(HubSpot, TwelveThousandRecordsSharingOneTimestampAreAllRead) {
  Room room(large() ? 30000 : 13000);
  room.sync("initial");
  room.admin("POST", "/clock/advance", {{"seconds", 3600}});
  // One admin call stamps every record it modifies with the same simulated time.
  room.admin("POST", "/records/contacts/modify", {{"count", 12000}});
  room.admin("POST", "/clock/advance", {{"seconds", 60}});
  const std::string id = room.sync("incremental");
  room.expectGroundTruth("after 12,000 changes at one timestamp");
  const Json meta = runMetadata(room.q, id);
  EXPECT_NE(meta.dump().find("hubspot_timestamp_splits"), std::string::npos) << meta.dump(2);
}

// 25,000 changes in one incremental, in 25 instants of 1,000 (well past the 10,000 a search may
// page), and blocks of equal timestamps straddling the 200-record pages: nothing is missed and
// nothing is written twice.
TEST(HubSpot, TwentyFiveThousandChangesAndEqualTimestampsAcrossPagesAreAllRead) {
  Room room(26000);
  room.sync("initial");
  for (int i = 0; i < 25; ++i) {
    room.admin("POST", "/clock/advance", {{"seconds", 60}});
    room.admin("POST", "/records/deals/modify", {{"count", 1000}, {"seed", i + 1}});
  }
  for (int block : {150, 250, 199, 201, 400}) {  // page boundaries inside equal timestamps
    room.admin("POST", "/clock/advance", {{"seconds", 60}});
    room.admin("POST", "/records/companies/modify", {{"count", block}, {"seed", block}});
  }
  room.admin("POST", "/clock/advance", {{"seconds", 60}});
  const std::string id = room.sync("incremental");
  room.expectGroundTruth("after 25,000 changes");
  // Each change was written once: the run's updates are the changed live rows (modify picks
  // distinct live records per call; across calls the same record may change again).
  auto c = room.q.pool->acquire();
  auto r = c->exec("SELECT metadata FROM sync_runs WHERE job_id = $1::uuid", id);
  const Json meta = Json::parse(r.view(0, 0));
  EXPECT_LE(meta["totals"].value("updated", int64_t{0}), 25000 + 1200) << meta.dump(2);
  // 200 per page over the deals changed (a deal modified twice is read once, at its last
  // version), and a few more where one instant's 1,000 fill pages (such a page is read again by
  // its timestamp's own searches).
  const int64_t changed =
      c->exec("SELECT count(*) FROM deals WHERE source_modified_at >= '2024-06-01T00:00:00Z'").int64(0, 0);
  const int64_t searches = room.requestsOf("/crm/v3/objects/deals/search");
  EXPECT_GE(searches * 200, changed);
  EXPECT_LE(searches * 200, changed * 3 / 2 + 25 * 200);
  std::cerr << "deals: " << changed << " changed, read by " << searches << " searches\n";
}

// The worker process killed (SIGKILL) in the middle of an initial sync: its job's lease runs out,
// the next attempt resumes from the last committed checkpoint, and the tables end equal to the
// ground truth. What it read again is the batch that had not committed, no more.
TEST(HubSpot, AWorkerKilledMidSyncResumesToTheExactGroundTruth) {
  Room room(8000);
  // Slow pages, so that the kill lands mid-stream.
  room.sim.addFaults(Json::array({{{"kind", "latency"}, {"path", "/crm/v3/objects/contacts"}, {"latency_ms", 40}}}));
  queue::EnqueueRequest r;
  r.kind = "sync";
  {
    auto c = room.q.pool->acquire();
    r.workspaceId = c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
  }
  r.connectionId = connectionId(room.q, "hubspot");
  r.payload = Json{{"mode", "initial"}};
  const std::string id = room.q.queue->enqueue(r).jobId;
  auto stored = [&] {
    auto c = room.q.pool->acquire();
    return c->exec("SELECT count(*) FROM contacts WHERE source = 'hubspot'").int64(0, 0);
  };
  ASSERT_TRUE(test::eventually([&] { return stored() >= 2000; }, seconds(60))) << room.serve->log();
  // The serve's worker process: its only child.
  std::string children = files::readFile("/proc/" + std::to_string(room.serve->pid()) + "/task/" +
                                         std::to_string(room.serve->pid()) + "/children");
  const pid_t worker = static_cast<pid_t>(std::stol(children));
  const int64_t before = stored();
  ASSERT_EQ(::kill(worker, SIGKILL), 0);
  auto job = waitJob(room.q, id, seconds(120), room.serve->log());
  ASSERT_EQ(job.status, queue::JobStatus::Completed) << job.toJson().dump(2) << room.serve->log();
  EXPECT_GE(job.attempts, 2) << "the killed attempt, then the resumed one";
  room.expectGroundTruth("after a kill -9 mid-sync");

  // Pages of the contacts list read twice: only those after the last committed checkpoint.
  std::map<std::string, int> reads;
  for (const auto& q : room.sim.requests("/crm/v3/objects/contacts")) {
    if (q.param("archived") == "false" && q.status == 200) ++reads[q.param("after")];
  }
  int again = 0;
  for (const auto& [after, n] : reads) again += n - 1;
  EXPECT_GT(reads.size(), 70u);
  // One batch at most: the engine commits a batch (and its checkpoint) at least every
  // sync.max_batch_age (5 s), which is 125 pages at 40 ms a page, and the page in flight.
  EXPECT_LE(again, 126) << "stored before the kill: " << before;
  EXPECT_LE(again * 100, 8000 - before) << "more read again than was left after the kill";
  std::cerr << "kill -9 at " << before << " contacts stored: " << again << " pages read again\n";
}

// As fast as the limits allow, and no faster: the simulator enforces a rolling window of 100
// requests per 5 s (HubSpot's 100 per 10 s, twice as fast) and the host's budget for it is the
// same with its headroom (18 a second). A stream's pages keep to the budget with no 429, instead
// of reading X-HubSpot-RateLimit-Remaining as a fixed window's and slowing to half of it.
TEST(HubSpot, AnInitialSyncUsesTheRateLimitBudgetWithNo429) {
  Room room(4000, "",
            "{app: {max: 100, window_ms: 5000}, daily: {max: 0, window_ms: 86400000},"
            " search: {max: 5, window_ms: 1000}}",
            "{rest: {requests: 100, per: 5s}, search: {requests: 5, per: 1s}}");
  room.sync("initial");
  room.expectGroundTruth("after an initial under the limits");
  const auto log = room.sim.requests("/crm/v3/objects");
  std::vector<int64_t> all, contacts;
  int n429 = 0;
  for (const auto& r : log) {
    all.push_back(r.timeMs);
    n429 += r.status == 429;
    if (r.path == "/crm/v3/objects/contacts" && r.param("limit") == "100") contacts.push_back(r.timeMs);
  }
  std::sort(all.begin(), all.end());
  std::sort(contacts.begin(), contacts.end());
  ASSERT_GE(contacts.size(), 40u) << describe(log);
  const double rate =
      static_cast<double>(contacts.size() - 1) * 1000.0 / static_cast<double>(contacts.back() - contacts.front());
  EXPECT_EQ(n429, 0) << describe(log);
  EXPECT_GE(rate, 0.9 * 18) << "requests a second while listing contacts, of a budget of 18";
  EXPECT_LE(maxInWindow(all, 5000), 100) << "the simulator's window";
  std::cerr << "request rate " << rate << "/s of a budget of 18/s\n";
}

// A backfill of a time window reads the deals changed in it (through the search, bounded
// above); a backfill of ids reads those deals one by one, and an id HubSpot no longer has is
// skipped.
TEST(HubSpot, ABackfillOfAWindowOrOfIdsReadsWhatItNames) {
  Room room(1500);
  room.sync("initial");
  room.admin("POST", "/clock/advance", {{"seconds", 3600}});
  const int64_t from = room.admin("GET", "/clock")["now_ms"].get<int64_t>();
  room.admin("POST", "/records/deals/modify", {{"count", 300}});
  room.admin("POST", "/clock/advance", {{"seconds", 60}});
  const int64_t to = room.admin("GET", "/clock")["now_ms"].get<int64_t>();
  const size_t listed = room.sim.requests("/crm/v3/objects/deals").size();
  room.syncJob("backfill", {{"streams", {"deals"}}, {"window", {{"from", from}, {"to", to}}}});
  room.expectGroundTruth("after a backfill of the window");
  const auto during = room.sim.requests("/crm/v3/objects/deals");
  ASSERT_GT(during.size(), listed);
  for (size_t i = listed; i < during.size(); ++i) {
    EXPECT_EQ(during[i].path, "/crm/v3/objects/deals/search")
        << "the window is searched, not listed: " << describe(during);
  }

  const Json changed = room.admin("POST", "/records/deals/modify", {{"count", 3}});
  Json ids = Json::array();
  for (const auto& id : changed.value("modified", changed.value("ids", Json::array()))) ids.push_back(id);
  ASSERT_EQ(ids.size(), 3u) << changed.dump();
  ids.push_back("39999999999");  // no such deal
  const auto job = room.syncJob("backfill", {{"streams", {"deals"}}, {"ids", ids}});
  room.expectGroundTruth("after a backfill of ids");
  const auto reads = room.sim.requests("/crm/v3/objects/deals/3");
  EXPECT_EQ(reads.size(), 4u) << "one read per id, the missing one too";
  EXPECT_EQ(std::count_if(reads.begin(), reads.end(), [](const LoggedRequest& r) { return r.status == 404; }), 1)
      << describe(reads);
}

// EDGE-5: an incremental with nothing changed at the vendor writes nothing and reads one search
// page per stream.
TEST(HubSpot, AnIncrementalWithNoChangesWritesNothing) {
  Room room(2000);
  room.sync("initial");
  const int64_t before = room.requestsOf("/crm/v3/objects");
  const auto job = room.syncJob("incremental");
  room.expectGroundTruth("after an incremental of no changes");
  auto c = room.q.pool->acquire();
  auto r = c->exec("SELECT metadata FROM sync_runs WHERE job_id = $1::uuid", job.id);
  ASSERT_EQ(r.rows(), 1);
  const Json meta = Json::parse(r.view(0, 0));
  EXPECT_EQ(meta["totals"].value("inserted", -1), 0) << meta.dump(2);
  EXPECT_EQ(meta["totals"].value("updated", -1), 0) << meta.dump(2);
  // The check's one call, and per stream the archived listing (one page) and one search page.
  EXPECT_EQ(room.requestsOf("/crm/v3/objects") - before, 7) << describe(room.sim.requests("/crm"));
}

// MW-2 and 5xx: 429s (with Retry-After) and server errors on the list and the search are waited
// out and retried by the host; the run ends equal to the ground truth and counts the 429s.
TEST(HubSpot, RateLimitsAndServerErrorsAreWaitedOutAndNothingIsLost) {
  Room room(2000);
  room.sim.addFaults(
      Json::array({{{"kind", "rate_limit"}, {"path", "/crm/v3/objects/deals"}, {"count", 3}},
                   {{"kind", "server_error"}, {"status", 503}, {"path", "/crm/v3/objects/contacts"}, {"count", 2}}}));
  const auto first = room.syncJob("initial");
  room.expectGroundTruth("after an initial through 429s and 503s");
  EXPECT_EQ(first.attempts, 1) << "waited out inside the attempt";
  room.admin("POST", "/clock/advance", {{"seconds", 3600}});
  room.admin("POST", "/records/companies/modify", {{"count", 300}});
  room.sim.addFaults(Json::array(
      {{{"kind", "rate_limit"}, {"path", "/crm/v3/objects/companies/search"}, {"count", 2}},
       {{"kind", "server_error"}, {"status", 502}, {"path", "/crm/v3/objects/companies/search"}, {"count", 1}}}));
  const auto second = room.syncJob("incremental");
  room.expectGroundTruth("after an incremental through 429s and a 502");
  const Json meta = runMetadata(room.q, second.id);
  EXPECT_EQ(meta.value("http_429s", int64_t{-1}), 2) << meta.dump(2);
}

// INT-4: the credentials refused (401) for the first attempts, then accepted again: the job
// retries with an error naming the problem, then succeeds with everything.
TEST(HubSpot, CredentialsRefusedThenRestoredRetryThenSucceed) {
  Room room(500);
  room.sim.addFaults(Json::array(
      {{{"kind", "respond"},
        {"status", 401},
        {"count", 2},
        {"path", "/crm/v3/objects"},
        {"body",
         R"({"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION","correlationId":"c1"})"}}}));
  const auto job = room.syncJob("initial");
  room.expectGroundTruth("after the credentials came back");
  EXPECT_EQ(job.attempts, 3) << job.toJson().dump(2);
  ASSERT_GE(job.errors.size(), 2u) << job.toJson().dump(2);
  const std::string first = job.errors[0].dump();
  EXPECT_NE(first.find("401 INVALID_AUTHENTICATION: Authentication credentials not found."), std::string::npos)
      << first;
  EXPECT_NE(first.find("check the private app token"), std::string::npos) << first;
}

}  // namespace hubspot_test
