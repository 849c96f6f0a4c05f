#include "scheduler/Scheduler.h"

#include <date/date.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "common/Json.h"
#include "common/Log.h"
#include "config/Duration.h"
#include "scheduler/SlotPlan.h"
#include "scheduler/SyncMode.h"

namespace tributary::scheduler {
namespace {

constexpr const char* kLog = "scheduler";

std::string iso(CronExpression::TimePoint t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

CronExpression::TimePoint fromMillis(int64_t ms) { return CronExpression::TimePoint(std::chrono::milliseconds(ms)); }

std::string defaultHostId() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0) std::snprintf(name, sizeof(name), "host");
  return std::string(name) + ":" + std::to_string(::getpid());
}

// A connection counts as scheduled when it, and its workspace, are enabled and it has a
// non-blank schedule.
constexpr const char* kScheduled =
    "c.enabled AND w.enabled AND c.paused_at IS NULL AND coalesce(btrim(c.schedule), '') <> ''";
constexpr const char* kZone = "coalesce(nullif(btrim(c.schedule_timezone), ''), 'UTC')";

// State of connections no longer scheduled is dropped, so that a schedule given back later
// starts afresh instead of counting the time in between as missed.
const std::string kForgetUnscheduled =
    std::string(
        "DELETE FROM schedule_state s WHERE NOT EXISTS (SELECT 1 FROM connections c "
        "JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = s.connection_id AND ") +
    kScheduled + ")";

// Scheduled connections whose state is missing or stale (another expression or zone), or whose
// next slot has come by $1.
const std::string kCandidates =
    std::string("SELECT c.id::text, c.workspace_id::text, w.slug, c.name, btrim(c.schedule), ") + kZone +
    ", c.misfire, s.next_slot::text, (extract(epoch FROM s.next_slot) * 1000)::bigint, "
    "(s.connection_id IS NULL OR s.schedule <> btrim(c.schedule) OR s.schedule_timezone <> " +
    kZone +
    ") AS stale "
    "FROM connections c JOIN workspaces w ON w.id = c.workspace_id "
    "LEFT JOIN schedule_state s ON s.connection_id = c.id "
    "WHERE " +
    kScheduled + " AND (s.connection_id IS NULL OR s.schedule <> btrim(c.schedule) OR s.schedule_timezone <> " + kZone +
    " OR s.next_slot <= $1::timestamptz) ORDER BY w.slug, c.name";

}  // namespace

struct Scheduler::Candidate {
  std::string id;
  std::string workspaceId;
  std::string workspace;  // slug
  std::string name;
  std::string schedule;
  std::string zone;
  std::optional<config::MisfirePolicy> misfire;
  std::optional<std::string> storedNextText;  // as PostgreSQL wrote it, to compare-and-set
  std::optional<TimePoint> storedNext;
  bool stale = false;  // no state yet, or kept for another expression or zone

  std::string label() const { return workspace + "/" + name; }
};

Scheduler::Scheduler(std::string conninfo, std::shared_ptr<queue::JobQueue> queue, config::SchedulerConfig cfg,
                     Options options)
    : queue_(std::move(queue)),
      cfg_(cfg),
      options_(std::move(options)),
      election_(std::move(conninfo), options_.hostId.empty() ? defaultHostId() : options_.hostId, cfg.leaderLease) {
  if (!queue_) throw std::invalid_argument("the scheduler needs a job queue");
}

Scheduler::~Scheduler() { stop(); }

Scheduler::TimePoint Scheduler::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

void Scheduler::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = false;
  }
  log::info(kLog, "scheduler started on host {} (tick {}, leader lease {})", hostId(),
            config::formatDuration(cfg_.tick), config::formatDuration(cfg_.leaderLease));
  thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    log::info(kLog, "scheduler stopped on host {}", hostId());
  }
  bool wasLeading = election_.leading();
  election_.resign();
  if (wasLeading) log::info(kLog, "host {} gave up the scheduler lead", hostId());
}

void Scheduler::run() {
  while (true) {
    TickReport report = tickOnce();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.tick);
    if (report.leader && report.nextSlot) {
      // Wake for the next slot rather than up to a tick after it.
      auto untilSlot = std::chrono::ceil<std::chrono::milliseconds>(*report.nextSlot - now());
      wait = std::clamp(untilSlot, std::chrono::milliseconds(1), wait);
    }
    std::unique_lock<std::mutex> lk(mu_);
    if (cv_.wait_for(lk, wait, [this] { return stopping_; })) break;
  }
}

TickReport Scheduler::tickOnce() {
  TickReport report;
  try {
    const bool wasLeading = election_.leading();
    if (!election_.tryLead()) {
      if (!standbyAnnounced_) {
        std::string who = election_.currentLeader();
        log::info(kLog, "{} leads the scheduler; host {} stands by",
                  who.empty() ? std::string("another host") : "\"" + who + "\"", hostId());
        standbyAnnounced_ = true;
      }
      unreachableAnnounced_ = false;
      return report;
    }
    unreachableAnnounced_ = false;
    if (!wasLeading) {
      log::info(kLog, "host {} now leads the scheduler", hostId());
      idleAnnounced_ = false;
      announcedOnce_ = false;
      standbyAnnounced_ = false;
    }
    report.leader = true;
    fire(now(), report);
  } catch (const std::exception& e) {
    if (election_.leading()) {
      log::warn(kLog,
                "host {} gave up the scheduler lead after an error: {}; another host takes "
                "over, or this one once the database answers again",
                hostId(), e.what());
    } else if (!unreachableAnnounced_) {
      log::warn(kLog, "host {} cannot take part in the scheduler election: {}; retrying every {}", hostId(), e.what(),
                config::formatDuration(cfg_.tick));
      unreachableAnnounced_ = true;
    }
    election_.lost();
    report = TickReport{};
  }
  return report;
}

const CronExpression* Scheduler::compiled(const Candidate& c) {
  std::string key = c.zone + "\n" + c.schedule;
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    CompiledSchedule entry;
    CronError error;
    if (auto parsed = CronExpression::parse(c.schedule, c.zone, &error)) {
      entry.cron = std::make_shared<const CronExpression>(std::move(*parsed));
    } else {
      entry.error = error.message();
    }
    it = cache_.emplace(key, std::move(entry)).first;
  }
  if (!it->second.cron && reportedInvalid_.insert(c.id + "\n" + key).second) {
    log::error(kLog,
               "{} will not sync on a schedule: its schedule \"{}\" ({}) is invalid: {}. Fix the "
               "connection's schedule in the configuration",
               c.label(), c.schedule, c.zone, it->second.error);
  }
  return it->second.cron.get();
}

std::vector<Scheduler::Candidate> Scheduler::loadCandidates(db::Connection& conn, TimePoint now) {
  auto rows = conn.exec(kCandidates, date::format("%FT%TZ", std::chrono::floor<std::chrono::microseconds>(now)));
  std::vector<Candidate> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    Candidate c;
    c.id = rows.text(i, 0);
    c.workspaceId = rows.text(i, 1);
    c.workspace = rows.text(i, 2);
    c.name = rows.text(i, 3);
    c.schedule = rows.text(i, 4);
    c.zone = rows.text(i, 5);
    if (auto m = rows.optText(i, 6)) c.misfire = config::parseMisfirePolicy(*m);
    c.storedNextText = rows.optText(i, 7);
    if (auto ms = rows.optInt64(i, 8)) c.storedNext = fromMillis(*ms);
    c.stale = rows.boolean(i, 9) || !c.storedNext;
    out.push_back(std::move(c));
  }
  return out;
}

void Scheduler::fire(TimePoint now, TickReport& report) {
  db::Connection& conn = election_.session();
  conn.exec(kForgetUnscheduled);
  std::vector<Candidate> candidates = loadCandidates(conn, now);

  struct Due {
    const Candidate* candidate;
    SlotPlan plan;
  };
  Json armed = Json::array();
  std::vector<Due> due;
  for (const auto& c : candidates) {
    const CronExpression* cron = compiled(c);
    if (!cron) {
      ++report.invalid;
      continue;
    }
    if (c.stale) {
      auto first = cron->next(now);
      if (!first) continue;
      armed.push_back({{"id", c.id}, {"schedule", c.schedule}, {"zone", c.zone}, {"next", iso(*first)}});
      log::log(candidates.size() <= 20 ? log::Level::Info : log::Level::Debug, kLog,
               "{} is scheduled \"{}\" ({}); first slot {}", c.label(), c.schedule, c.zone, iso(*first));
      continue;
    }
    SlotPlan plan = planSlot(*cron, *c.storedNext, now, cfg_.misfireGrace, c.misfire.value_or(cfg_.misfire));
    if (plan.action != SlotPlan::Action::Wait) due.push_back({&c, plan});
  }
  report.armed = static_cast<int>(armed.size());
  report.due = static_cast<int>(due.size());
  if (report.armed > 20) log::info(kLog, "{} connections are newly scheduled", report.armed);

  if (armed.empty() && due.empty()) {
    reportIdle(report);
    return;
  }

  db::Transaction tx(conn);
  if (!armed.empty()) {
    conn.exec(
        "INSERT INTO schedule_state (connection_id, schedule, schedule_timezone, next_slot) "
        "SELECT u.id, u.schedule, u.zone, u.next FROM jsonb_to_recordset($1::jsonb) "
        "AS u(id uuid, schedule text, zone text, next timestamptz) "
        "ON CONFLICT (connection_id) DO UPDATE SET schedule = EXCLUDED.schedule, "
        "schedule_timezone = EXCLUDED.schedule_timezone, next_slot = EXCLUDED.next_slot, "
        "armed_at = now(), updated_at = now()",
        armed);
  }

  // Connections whose sync is still pending or running skip this slot.
  std::map<std::string, std::pair<std::string, std::string>> busy;  // id -> (job id, status)
  {
    Json ids = Json::array();
    for (const auto& d : due) {
      if (d.plan.action == SlotPlan::Action::Fire) ids.push_back(d.candidate->id);
    }
    if (!ids.empty()) {
      auto b = conn.exec(
          "SELECT DISTINCT ON (j.connection_id) j.connection_id::text, j.id::text, j.status::text "
          "FROM jobs j WHERE j.kind = 'sync' AND j.status IN ('pending', 'running') "
          "AND j.connection_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) "
          "ORDER BY j.connection_id, (j.status = 'running') DESC, j.created_at",
          ids);
      for (int i = 0; i < b.rows(); ++i) busy[b.text(i, 0)] = {b.text(i, 1), b.text(i, 2)};
    }
  }

  Json handled = Json::array();
  auto record = [&](const Due& d, const char* outcome, const std::optional<std::string>& jobId) {
    Json row = {{"id", d.candidate->id},
                {"expected", *d.candidate->storedNextText},
                {"next", iso(d.plan.nextSlot)},
                {"slot", iso(d.plan.slot)},
                {"outcome", outcome}};
    row["job"] = jobId ? Json(*jobId) : Json(nullptr);
    handled.push_back(std::move(row));
  };

  std::vector<const Due*> firing;
  for (const auto& d : due) {
    const Candidate& c = *d.candidate;
    if (d.plan.action == SlotPlan::Action::SkipMisfire) {
      ++report.misfiresSkipped;
      log::info(kLog,
                "{} missed its slots from {} to {} while no scheduler ran; skipping them "
                "(misfire: skip); next slot {}",
                c.label(), iso(d.plan.firstSlot), iso(d.plan.slot), iso(d.plan.nextSlot));
      record(d, "misfire_skipped", std::nullopt);
      continue;
    }
    if (auto b = busy.find(c.id); b != busy.end()) {
      ++report.skippedBusy;
      log::info(kLog,
                "skipping the scheduled sync of {} for {}: its sync job {} is still {}; next "
                "slot {}",
                c.label(), iso(d.plan.slot), b->second.first, b->second.second, iso(d.plan.nextSlot));
      record(d, "busy", b->second.first);
      continue;
    }
    if (d.plan.misfire) {
      ++report.misfiresRun;
      log::info(kLog,
                "{} missed its slots from {} to {} while no scheduler ran; queueing one sync for "
                "them (misfire: run_once)",
                c.label(), iso(d.plan.firstSlot), iso(d.plan.slot));
    } else if (d.plan.coalesced) {
      log::info(kLog, "{} is late: one sync covers its slots from {} to {}", c.label(), iso(d.plan.firstSlot),
                iso(d.plan.slot));
    }
    firing.push_back(&d);
  }

  std::vector<queue::EnqueueResult> results;
  std::vector<std::string> queuedLines;  // logged once committed
  if (!firing.empty()) {
    std::vector<std::string> ids;
    for (const Due* d : firing) ids.push_back(d->candidate->id);
    auto modes = autoSyncModes(conn, ids);
    std::vector<queue::EnqueueRequest> requests;
    requests.reserve(firing.size());
    for (const Due* d : firing) {
      const Candidate& c = *d->candidate;
      const std::string slot = iso(d->plan.slot);
      auto mode = modes.find(c.id);
      queue::EnqueueRequest r;
      r.kind = "sync";
      r.workspaceId = c.workspaceId;
      r.connectionId = c.id;
      r.priority = queue::kPriorityScheduled;
      // Auto: an initial sync left unfinished by an earlier job (out of attempts, say) resumes
      // from its checkpoint. The expected mode only chooses the timeout.
      r.payload = {{"sync_type", "scheduled"}, {"mode", sync::kAutoMode}, {"slot", slot}};
      const sync::Mode expected = mode == modes.end() ? sync::Mode::Initial : mode->second;
      r.timeoutMs = queue_->defaultTimeoutMs("sync", Json{{"mode", sync::toString(expected)}});
      r.uniqueKey = "sync:" + c.id + ":" + slot;
      requests.push_back(std::move(r));
    }
    log::info(kLog, "queueing {} scheduled sync{}", requests.size(), requests.size() == 1 ? "" : "s");
    results = queue_->enqueueMany(conn, requests);
    if (results.size() != requests.size()) {
      throw std::runtime_error("the queue answered " + std::to_string(results.size()) + " results for " +
                               std::to_string(requests.size()) + " jobs");
    }
    for (size_t i = 0; i < firing.size(); ++i) {
      const auto& res = results[i];
      const Candidate& c = *firing[i]->candidate;
      if (res.existing) {
        ++report.alreadyQueued;
        log::info(kLog, "the sync of {} for {} was already queued (job {})", c.label(), iso(firing[i]->plan.slot),
                  res.jobId);
      } else {
        ++report.queued;
        queuedLines.push_back(fmt::format("queued {} for {}: job {} ({})", c.label(), iso(firing[i]->plan.slot),
                                          res.jobId, requests[i].payload["mode"].get<std::string>()));
      }
      record(*firing[i], res.existing ? "already_queued" : "queued", res.jobId);
    }
  }

  if (!handled.empty()) {
    auto updated = conn.exec(
        "UPDATE schedule_state s SET next_slot = u.next, last_slot = u.slot, "
        "last_outcome = u.outcome, last_job_id = u.job, updated_at = now() "
        "FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, expected timestamptz, "
        "next timestamptz, slot timestamptz, outcome text, job uuid) "
        "WHERE s.connection_id = u.id AND s.next_slot = u.expected",
        handled);
    if (updated.affected() != static_cast<int64_t>(handled.size())) {
      // Only a second writer could do this; the transaction (and its jobs) is rolled back.
      throw std::runtime_error("schedule_state changed under the leader (" + std::to_string(updated.affected()) +
                               " of " + std::to_string(handled.size()) +
                               " rows matched); is another scheduler writing to this database without the lock?");
    }
  }
  tx.commit();

  for (const auto& line : queuedLines) log::debug(kLog, "{}", line);
  if (!results.empty()) {
    std::string extra = report.alreadyQueued ? ", " + std::to_string(report.alreadyQueued) + " already queued" : "";
    log::info(kLog, "queued {}/{}{}", report.queued, results.size(), extra);
  }
  if (report.due > 0) idleAnnounced_ = false;
  reportIdle(report);
}

void Scheduler::reportIdle(TickReport& report) {
  db::Connection& conn = election_.session();
  auto next = conn.exec(
      "SELECT w.slug || '/' || c.name, (extract(epoch FROM s.next_slot) * 1000)::bigint "
      "FROM schedule_state s JOIN connections c ON c.id = s.connection_id "
      "JOIN workspaces w ON w.id = c.workspace_id ORDER BY s.next_slot LIMIT 1");
  std::string nextText = "no connection has a schedule";
  if (!next.empty()) {
    report.nextSlot = fromMillis(next.int64(0, 1));
    nextText = "next: " + next.text(0, 0) + " at " + iso(*report.nextSlot);
  }
  if (report.due > 0) return;
  // Said once at info when the scheduler goes idle for a while (on taking the lead, and after a
  // firing when the next slot is a minute or more away); every other idle tick says it at debug.
  const bool longWait = !report.nextSlot || *report.nextSlot - now() >= std::chrono::minutes(1);
  if (!idleAnnounced_ && (longWait || !announcedOnce_)) {
    log::info(kLog, "no scheduled syncs due; {}", nextText);
    idleAnnounced_ = true;
    announcedOnce_ = true;
  } else {
    log::debug(kLog, "no scheduled syncs due; {}", nextText);
  }
}

}  // namespace tributary::scheduler
