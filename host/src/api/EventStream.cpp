#include "api/EventStream.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "api/EventFollower.h"
#include "api/JobView.h"
#include "common/Log.h"
#include "common/Redact.h"
#include "common/Time.h"
#include "db/Connection.h"
#include "db/DbError.h"
#include "db/PgArray.h"

namespace tributary::api {

using server::ApiError;
using server::Response;

namespace {

constexpr const char* kEventsChannel = "tributary_events";
constexpr const char* kJobStateChannel = "tributary_job_state";
constexpr int kPage = 500;

// One event in the text/event-stream format. `data` is one line: dumped JSON has no newline.
std::string frame(const std::optional<int64_t>& id, const std::string& event, const Json& data) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: " + event + "\n";
  out += "data: " + redact::json(data).dump() + "\n\n";
  return out;
}

void drain(int fd) {
  char buf[64];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

EventHub::EventHub(std::string conninfo, config::ApiConfig cfg)
    : conninfo_(std::move(conninfo)), cfg_(std::move(cfg)) {}

EventHub::~EventHub() { stop(); }

void EventHub::start() {
  if (::pipe2(readerWake_, O_CLOEXEC | O_NONBLOCK) != 0 || ::pipe2(writerWake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("event streams: cannot make their wake-up pipes (out of file descriptors?)");
  }
  reader_ = std::thread(&EventHub::readLoop, this);
  writer_ = std::thread(&EventHub::writeLoop, this);
}

void EventHub::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  wake(readerWake_);
  wake(writerWake_);
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
  std::vector<std::shared_ptr<EventFollower>> open;
  {
    std::lock_guard lock(mutex_);
    open.swap(sockets_);
    incoming_.clear();
  }
  for (auto& f : open) f->close("");
  for (int* p : {readerWake_, writerWake_}) {
    for (int i = 0; i < 2; ++i) {
      if (p[i] >= 0) ::close(p[i]);
      p[i] = -1;
    }
  }
}

void EventHub::wake(int pipe[2]) {
  if (pipe[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(pipe[1], &c, 1);
  }
}

std::shared_ptr<server::StreamBody> EventHub::follow(const std::string& workspaceId, const std::string& jobId,
                                                     int64_t afterPosition) {
  // A place is taken here, before the headers go out, so that two requests at once cannot
  // both take the last one.
  int n = count_.load();
  do {
    if (n >= cfg_.maxStreams) return nullptr;
  } while (!count_.compare_exchange_weak(n, n + 1));
  return std::make_shared<EventFollower>(weak_from_this(), workspaceId, jobId, afterPosition);
}

bool EventHub::add(std::shared_ptr<EventFollower> f) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    incoming_.push_back(f);
    sockets_.push_back(std::move(f));
  }
  wake(readerWake_);
  wake(writerWake_);
  return true;
}

void EventHub::serve(db::Connection& conn, const std::vector<std::shared_ptr<EventFollower>>& group, bool withState) {
  const EventFollower& lead = *group.front();
  // The job's state first, then its events: when the state read is final, every event of the
  // job (and of its children) committed before it, so the read that follows has them all.
  std::optional<JobView> job;
  if (withState) {
    job = loadJob(conn, lead.workspaceId, lead.jobId);
    if (!job) {
      const std::string end = frame(std::nullopt, "end", {{"reason", "the job is gone"}});
      for (const auto& f : group) {
        f->enqueue(end);
        f->finish();
      }
      return;
    }
    std::vector<std::string> ids = {job->job.id};
    for (const auto& c : job->children) ids.push_back(c.job.id);
    const std::string greeting = frame(std::nullopt, "job", job->toJson());
    for (const auto& f : group) {
      f->ids = ids;
      if (!f->greeted) {
        f->enqueue(greeting);
        f->greeted = true;
      }
    }
  }
  // A follower that has kHighWater bytes waiting gets no more now: the rest stays in the
  // outbox, read for it again once its client has taken most of it.
  std::vector<bool> behind(group.size(), false);
  int64_t after = lead.position;
  for (size_t k = 0; k < group.size(); ++k) {
    after = std::min(after, group[k]->position);
    behind[k] = group[k]->full();
  }
  auto anyKeepsUp = [&] { return std::find(behind.begin(), behind.end(), false) != behind.end(); };
  while (anyKeepsUp()) {
    auto r = conn.exec(
        "SELECT e.id, e.type, e.payload::text, e.job_id, c.name,"
        " to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " FROM events e LEFT JOIN connections c ON c.id = e.connection_id"
        " WHERE e.job_id = ANY($1::uuid[]) AND e.id > $2 ORDER BY e.id LIMIT " +
            std::to_string(kPage),
        db::Param(db::textArray(lead.ids)), after);
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t id = r.int64(i, 0);
      const auto connection = r.optText(i, 4);
      const std::string text = frame(id, r.text(i, 1),
                                     {{"type", r.text(i, 1)},
                                      {"jobId", r.text(i, 3)},
                                      {"connection", connection ? Json(*connection) : Json(nullptr)},
                                      {"at", r.text(i, 5)},
                                      {"payload", Json::parse(r.view(i, 2))}});
      for (size_t k = 0; k < group.size(); ++k) {
        auto& f = group[k];
        if (behind[k] || id <= f->position) continue;
        if (f->full() || !f->enqueue(text)) {
          behind[k] = true;
        } else {
          f->position = id;
        }
      }
      after = id;
    }
    if (r.rows() < kPage) break;
  }
  if (job && job->finished()) {
    const std::string last = frame(std::nullopt, "job", job->toJson()) +
                             frame(std::nullopt, "end", {{"status", queue::toString(job->job.status)}});
    for (size_t k = 0; k < group.size(); ++k) {
      if (behind[k]) continue;  // its end comes when it has had the rest
      group[k]->enqueue(last);
      group[k]->finish();
    }
  }
}

void EventHub::readLoop() {
  std::vector<std::shared_ptr<EventFollower>> active;
  std::unique_ptr<db::Connection> conn;
  auto lastScan = std::chrono::steady_clock::now();
  bool everything = true;  // every follower's job, state and events: after (re)connecting
  bool warned = false;
  auto takeIncoming = [&] {
    std::lock_guard lock(mutex_);
    for (auto& f : incoming_) active.push_back(std::move(f));
    const bool any = !incoming_.empty();
    incoming_.clear();
    return any;
  };
  while (!stopping_) {
    try {
      if (!conn) {
        conn = std::make_unique<db::Connection>(conninfo_);
        conn->listen(kEventsChannel);
        conn->listen(kJobStateChannel);
        if (warned) log::info("api", "event streams: the database is back; streams resume");
        warned = false;
        everything = true;
      }
      bool fresh = takeIncoming();
      std::vector<db::Notification> notes;
      if (!fresh && !everything) {
        const auto left = lastScan + kRecheck - std::chrono::steady_clock::now();
        notes = conn->waitForNotifications(
            std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(left)),
            readerWake_[0]);
        drain(readerWake_[0]);
        fresh = takeIncoming();
        if (stopping_) break;
      }
      bool stateChanged = everything, eventsAdded = everything;
      for (const auto& n : notes) (n.channel == kJobStateChannel ? stateChanged : eventsAdded) = true;
      const auto now = std::chrono::steady_clock::now();
      if (now - lastScan >= kRecheck) stateChanged = eventsAdded = true;
      if (stateChanged && eventsAdded) lastScan = now;
      everything = false;
      active.erase(
          std::remove_if(active.begin(), active.end(), [](const auto& f) { return f->dropped() || f->finishing(); }),
          active.end());
      // Followers of one job share its reads. One that was full and has drained goes on from
      // where it stopped, its job's state read again (it may have ended meanwhile).
      std::map<std::string, std::vector<std::shared_ptr<EventFollower>>> jobs;
      std::set<std::string> stateOf;
      for (const auto& f : active) {
        const std::string key = f->workspaceId + "/" + f->jobId;
        const bool resumed = f->takeResumed();
        if (!f->greeted || resumed) stateOf.insert(key);
        if (!f->greeted || resumed || stateChanged || eventsAdded) jobs[key].push_back(f);
      }
      for (const auto& [key, group] : jobs) serve(*conn, group, stateChanged || stateOf.count(key) > 0);
      if (!jobs.empty()) wake(writerWake_);
    } catch (const std::exception& e) {
      // The session broke (a database restart): followers keep their place (and their
      // keepalives), and get what they missed once it is back.
      if (!warned) log::warn("api", "event streams: {}; reconnecting every second", e.what());
      warned = true;
      conn.reset();
      wake(writerWake_);
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void EventHub::writeLoop() {
  const auto heartbeat = cfg_.streamHeartbeat;
  const auto stall = cfg_.requestTimeout;
  std::vector<std::shared_ptr<EventFollower>> open;
  std::vector<pollfd> fds;
  while (!stopping_) {
    {
      std::lock_guard lock(mutex_);
      open = sockets_;
    }
    auto now = std::chrono::steady_clock::now();
    auto next = now + heartbeat;
    fds.assign(1, pollfd{writerWake_[0], POLLIN, 0});
    for (const auto& f : open) {
      short want = POLLIN;  // the client's end, which comes as something to read
      if (f->hasPending()) {
        want |= POLLOUT;
        next = std::min(next, f->stalledSince() + stall);
      }
      next = std::min(next, f->lastSent() + heartbeat);
      fds.push_back(pollfd{f->fd(), want, 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait + 1, 0, heartbeat.count())));
    drain(writerWake_[0]);
    now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<EventFollower>> closed;
    bool wakeReader = false;
    for (size_t i = 0; i < open.size(); ++i) {
      auto& f = open[i];
      const short got = fds[i + 1].revents;
      std::optional<std::string> why;  // set: close it; empty: nothing to tell the log
      if ((got & (POLLERR | POLLNVAL)) || ((got & (POLLIN | POLLHUP)) && !f->readable())) {
        log::debug("api", "event stream of job {}: the client went away", f->jobId);
        why = "";
      } else if (f->hasPending() && !f->flush(now)) {
        log::debug("api", "event stream of job {}: the client went away mid-send", f->jobId);
        why = "";
      } else if (f->hasPending() && now - f->stalledSince() >= stall) {
        why = "its client took no byte for " + seconds(stall) +
              " (api.request_timeout); it may resume with Last-Event-ID";
      } else if (!f->hasPending() && f->finishing()) {
        why = "";  // its end went out
      } else if (!f->hasPending() && now - f->lastSent() >= heartbeat) {
        if (!f->enqueue(": keepalive\n\n") || !f->flush(now)) why = "";
      }
      if (why) {
        f->close(*why);
        closed.push_back(f);
      } else if (f->resumed()) {
        wakeReader = true;
      }
    }
    if (wakeReader) wake(readerWake_);
    if (!closed.empty()) {
      std::lock_guard lock(mutex_);
      sockets_.erase(
          std::remove_if(sockets_.begin(), sockets_.end(),
                         [&](const auto& f) { return std::find(closed.begin(), closed.end(), f) != closed.end(); }),
          sockets_.end());
    }
    open.clear();
  }
}

void installEventRoutes(Api& api, server::Router& router, std::shared_ptr<EventHub> hub) {
  api.route(router, "GET", "/api/workspaces/:workspace/sync/jobs/:job/events", Access::Stream, [hub](Call& call) {
    std::string last = call.req.header("last-event-id");
    if (last.empty()) last = call.query("lastEventId").value_or("");
    int64_t after = 0;
    if (!last.empty()) {
      size_t used = 0;
      try {
        after = std::stoll(last, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != last.size() || after < 0) {
        throw ApiError(400, "invalid_last_event_id",
                       "Last-Event-ID must be an event's id (a number), got \"" + last + "\"",
                       Json{{"field", "Last-Event-ID"}});
      }
    }
    auto job = loadJob(call.db(), call.ws().id, call.param("job"));
    if (!job) notFound("no job " + call.param("job") + " in workspace \"" + call.ws().slug + "\"");
    Response r;
    r.stream = hub->follow(call.ws().id, job->job.id, after);
    if (!r.stream) {
      ApiError e(503, "too_many_streams",
                 "this host serves " + std::to_string(hub->capacity()) +
                     " event streams at once (api.max_streams); try again shortly, or poll GET .../sync/jobs/" +
                     job->job.id);
      e.headers["Retry-After"] = "5";
      throw e;
    }
    r.status = 200;
    r.contentType = "text/event-stream";
    return r;
  });

  api.route(router, "POST", "/api/workspaces/:workspace/sync/jobs/:job/events/token", Access::Token,
            [&api](Call& call) {
              (void)call.body({});
              auto job = loadJob(call.db(), call.ws().id, call.param("job"));
              if (!job) notFound("no job " + call.param("job") + " in workspace \"" + call.ws().slug + "\"");
              const auto ttl = api.cfg().api.streamTokenTtl;
              const auto issued = tokens::createStream(call.db(), call.ws().id, job->job.id, ttl);
              const auto expires = std::chrono::system_clock::now() + ttl;
              return Response::json(
                  201, {{"streamToken", issued.token},
                        {"expiresAt", time::iso8601(expires)},
                        {"eventsUrl", "/api/workspaces/" + call.ws().slug + "/sync/jobs/" + job->job.id + "/events"},
                        {"usage",
                         "GET eventsUrl?token=STREAM_TOKEN (for EventSource, which sends no "
                         "header); it reaches this job's events only"}});
            });
}

}  // namespace tributary::api
