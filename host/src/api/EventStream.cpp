#include "api/EventStream.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

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

constexpr const char* kEventsChannel = "tributary_events";
constexpr const char* kJobStateChannel = "tributary_job_state";
// How often the hub looks again with no notification (a lost session's, say).
constexpr std::chrono::seconds kRecheck{5};

class Follower : public server::StreamBody {
 public:
  Follower(std::weak_ptr<EventHub> hub, std::string workspaceId, std::string jobId, int64_t after)
      : hub_(std::move(hub)), workspaceId(std::move(workspaceId)), jobId(std::move(jobId)), position(after) {}

  void start(Poco::Net::StreamSocket& s) override {
    socket = s;
    socket.setSendTimeout(Poco::Timespan(2, 0));
    socket.setNoDelay(true);
    lastSent = std::chrono::steady_clock::now();
    auto hub = hub_.lock();
    if (!hub) {
      socket.close();
      return;
    }
    hub->add(std::static_pointer_cast<Follower>(weakSelf.lock()));
  }

  ~Follower() override {
    // Counted from the answer on (EventHub::follow), until the stream is gone, however it ends.
    if (auto hub = hub_.lock()) --hub->count_;
  }

  // False when the client is gone (it is then dropped, never waited for).
  bool send(const std::string& text) {
    try {
      const char* p = text.data();
      size_t left = text.size();
      while (left > 0) {
        const int n = socket.sendBytes(p, static_cast<int>(std::min<size_t>(left, 1 << 20)));
        if (n <= 0) return false;
        p += n;
        left -= static_cast<size_t>(n);
      }
      lastSent = std::chrono::steady_clock::now();
      return true;
    } catch (const std::exception& e) {
      log::debug("api", "event stream of job {} dropped: {}", jobId, e.what());
      return false;
    }
  }

  void close() {
    try {
      socket.shutdownSend();
      socket.close();
    } catch (const std::exception&) {
    }
  }

  std::weak_ptr<EventHub> hub_;
  std::string workspaceId;
  std::string jobId;
  int64_t position = 0;  // the last event sent
  bool greeted = false;  // the first `job` event went out
  Poco::Net::StreamSocket socket;
  std::chrono::steady_clock::time_point lastSent;
  std::weak_ptr<StreamBody> weakSelf;  // itself: a Follower is always made by make_shared
};

namespace {

// One event in the text/event-stream format: each line of `data` prefixed (JSON has none).
std::string frame(const std::optional<int64_t>& id, const std::string& event, const Json& data) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: " + event + "\n";
  out += "data: " + redact::json(data).dump() + "\n\n";
  return out;
}

}  // namespace

EventHub::EventHub(std::string conninfo, config::ApiConfig cfg)
    : conninfo_(std::move(conninfo)), cfg_(std::move(cfg)) {}

EventHub::~EventHub() { stop(); }

void EventHub::start() {
  if (::pipe2(wakePipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("event hub: pipe failed");
  thread_ = std::thread(&EventHub::loop, this);
}

void EventHub::stop() {
  if (stopping_.exchange(true)) return;
  wake();
  if (thread_.joinable()) thread_.join();
  for (int fd : wakePipe_) {
    if (fd >= 0) ::close(fd);
  }
  wakePipe_[0] = wakePipe_[1] = -1;
}

void EventHub::wake() {
  if (wakePipe_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(wakePipe_[1], &c, 1);
  }
}

std::shared_ptr<server::StreamBody> EventHub::follow(const std::string& workspaceId, const std::string& jobId,
                                                     int64_t afterPosition) {
  auto f = std::make_shared<Follower>(weak_from_this(), workspaceId, jobId, afterPosition);
  f->weakSelf = f;
  ++count_;  // counted from the answer on, so that the limit holds while the headers go out
  return f;
}

void EventHub::add(std::shared_ptr<Follower> f) {
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back(std::move(f));
  }
  wake();
}

bool EventHub::serve(db::Connection& conn, Follower& f, bool checkState) {
  (void)checkState;
  // The job's state first, then its events: when the state read is final, every event of the
  // job was committed before it, so the read that follows has them all.
  auto job = loadJob(conn, f.workspaceId, f.jobId);
  if (!job) {
    f.send(frame(std::nullopt, "end", {{"reason", "the job is gone"}}));
    return false;
  }
  if (!f.greeted) {
    if (!f.send(frame(std::nullopt, "job", job->toJson()))) return false;
    f.greeted = true;
  }
  std::vector<std::string> ids = {job->job.id};
  for (const auto& c : job->children) ids.push_back(c.job.id);
  while (true) {
    auto r = conn.exec(
        "SELECT e.id, e.type, e.payload::text, e.job_id, c.name,"
        " to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " FROM events e LEFT JOIN connections c ON c.id = e.connection_id"
        " WHERE e.job_id = ANY($1::uuid[]) AND e.id > $2 ORDER BY e.id LIMIT 500",
        db::Param(db::textArray(ids)), f.position);
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t id = r.int64(i, 0);
      Json data = {{"type", r.text(i, 1)},
                   {"jobId", r.text(i, 3)},
                   {"connection", r.optText(i, 4) ? Json(*r.optText(i, 4)) : Json(nullptr)},
                   {"at", r.text(i, 5)},
                   {"payload", Json::parse(r.view(i, 2))}};
      if (!f.send(frame(id, r.text(i, 1), data))) return false;
      f.position = id;
    }
    if (r.rows() < 500) break;
  }
  if (job->finished()) {
    f.send(frame(std::nullopt, "job", job->toJson()) +
           frame(std::nullopt, "end", {{"status", queue::toString(job->job.status)}}));
    return false;
  }
  return true;
}

void EventHub::loop() {
  std::vector<std::shared_ptr<Follower>> active;
  std::unique_ptr<db::Connection> conn;
  auto lastScan = std::chrono::steady_clock::now();
  auto drop = [&](std::shared_ptr<Follower>& f) {
    f->close();
    f.reset();
  };
  while (!stopping_) {
    try {
      if (!conn) {
        conn = std::make_unique<db::Connection>(conninfo_);
        conn->listen(kEventsChannel);
        conn->listen(kJobStateChannel);
        lastScan = {};  // what was missed while the session was down
      }
      std::vector<std::shared_ptr<Follower>> fresh;
      {
        std::lock_guard lock(mutex_);
        fresh.swap(incoming_);
      }
      for (auto& f : fresh) {
        if (!serve(*conn, *f, true)) {
          drop(f);
        } else {
          active.push_back(std::move(f));
        }
      }
      const auto wait = std::min<std::chrono::milliseconds>(cfg_.streamHeartbeat, std::chrono::milliseconds(1000));
      auto notes = conn->waitForNotifications(wait, wakePipe_[0]);
      char buf[64];
      while (::read(wakePipe_[0], buf, sizeof buf) > 0) {
      }
      const auto now = std::chrono::steady_clock::now();
      if (!notes.empty() || now - lastScan >= kRecheck) {
        lastScan = now;
        for (auto& f : active) {
          if (!serve(*conn, *f, true)) drop(f);
        }
      }
      for (auto& f : active) {
        if (f && now - f->lastSent >= cfg_.streamHeartbeat && !f->send(": keepalive\n\n")) drop(f);
      }
      active.erase(std::remove(active.begin(), active.end(), nullptr), active.end());
    } catch (const std::exception& e) {
      // The session broke (a database restart): followers wait, and get what they missed once
      // it is back.
      log::warn("api", "event streams: {}; reconnecting", e.what());
      conn.reset();
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auto now = std::chrono::steady_clock::now();
      for (auto& f : active) {
        if (f && now - f->lastSent >= cfg_.streamHeartbeat && !f->send(": keepalive\n\n")) drop(f);
      }
      active.erase(std::remove(active.begin(), active.end(), nullptr), active.end());
    }
  }
  for (auto& f : active) {
    if (f) drop(f);
  }
  std::lock_guard lock(mutex_);
  for (auto& f : incoming_) drop(f);
  incoming_.clear();
}

void installEventRoutes(Api& api, server::Router& router, std::shared_ptr<EventHub> hub) {
  api.route(router, "GET", "/api/workspaces/:workspace/sync/jobs/:job/events", Access::Stream, [hub](Call& call) {
    auto job = loadJob(call.db(), call.ws().id, call.param("job"));
    if (!job) notFound("no job " + call.param("job") + " in workspace \"" + call.ws().slug + "\"");
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
    if (hub->followers() >= hub->capacity()) {
      ApiError e(503, "too_many_streams",
                 "this host serves " + std::to_string(hub->capacity()) +
                     " event streams at once (api.max_streams); try again shortly, or poll the job");
      e.headers["Retry-After"] = "5";
      throw e;
    }
    Response r;
    r.status = 200;
    r.contentType = "text/event-stream";
    r.stream = hub->follow(call.ws().id, job->job.id, after);
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
