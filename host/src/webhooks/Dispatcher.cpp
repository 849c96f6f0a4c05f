#include "webhooks/Dispatcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "common/Log.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "config/Duration.h"
#include "engine/Outbox.h"
#include "http/HttpError.h"
#include "http/RetryRules.h"
#include "webhooks/Deliveries.h"
#include "webhooks/Signing.h"

namespace tributary::webhooks {

namespace {

constexpr const char* kEventsChannel = "tributary_events";
constexpr const char* kWebhooksChannel = "tributary_webhooks";
// The heads that may be claimed, of the claim and of the soonest-due wait alike: each enabled
// endpoint's first $1 pending deliveries (by seq) not in flight, as rows d (id, next_attempt_at).
constexpr const char* kClaimableHeads =
    " FROM webhook_endpoints e CROSS JOIN LATERAL ("
    "  SELECT d.id, d.next_attempt_at, d.claimed_until FROM webhook_deliveries d"
    "  WHERE d.endpoint_id = e.id AND d.status = 'pending' ORDER BY d.seq LIMIT $1) d"
    " WHERE e.enabled AND (d.claimed_until IS NULL OR d.claimed_until < now())";
constexpr size_t kResponseKept = 1024;

std::string userAgent() { return std::string("Tributary-Webhooks/") + TRIBUTARY_VERSION; }

}  // namespace

Dispatcher::Dispatcher(std::string conninfo, std::shared_ptr<db::Pool> pool,
                       std::shared_ptr<const secrets::KeyRing> ring, config::WebhooksConfig cfg, std::string hostId)
    : conninfo_(std::move(conninfo)),
      pool_(std::move(pool)),
      ring_(std::move(ring)),
      cfg_(std::move(cfg)),
      hostId_(std::move(hostId)),
      policy_(cfg_.allowPrivate),
      store_(*ring_),
      client_([&] {
        http::HttpClient::Options o;
        o.defaultTimeout = cfg_.timeout;
        o.maxBodyBytes = 1u << 20;  // more is a failed attempt; the log keeps the first KB
        return o;
      }()) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  if (fanOutThread_.joinable()) return;
  if (::pipe2(wakePipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("webhooks: cannot make the dispatcher's wake-up pipe (out of file descriptors?)");
  }
  stopping_ = false;
  fanOutThread_ = std::thread([this] { fanOutLoop(); });
  for (int i = 0; i < cfg_.concurrency; ++i) senders_.emplace_back([this] { senderLoop(); });
}

void Dispatcher::stop() {
  if (!fanOutThread_.joinable()) return;
  stopping_ = true;
  if (wakePipe_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(wakePipe_[1], &c, 1);
  }
  wakeSenders();
  fanOutThread_.join();
  for (auto& t : senders_) t.join();
  senders_.clear();
  for (int& fd : wakePipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

DeliveryStats Dispatcher::stats() const {
  return {attempts_.load(), delivered_.load(), failedAttempts_.load(), gaveUp_.load(), disabled_.load()};
}

void Dispatcher::wakeSenders() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

int Dispatcher::fanOut() {
  auto conn = pool_->acquire();
  // The endpoints behind the head; each is then read under its own row lock.
  auto behind = conn->exec(
      "SELECT id FROM webhook_endpoints WHERE outbox_cursor < (SELECT coalesce(max(id), 0) FROM events) ORDER BY id");
  int made = 0;
  for (int i = 0; i < behind.rows() && !stopping_; ++i) {
    const std::string endpointId = behind.text(i, 0);
    for (bool more = true; more && !stopping_;) {
      db::Transaction tx(*conn);
      auto e = conn->exec(
          "SELECT outbox_cursor, workspace_id, enabled, array_to_json(events)::text FROM webhook_endpoints"
          " WHERE id = $1::uuid FOR UPDATE SKIP LOCKED",
          endpointId);
      if (e.empty()) break;  // gone, or another host is at it
      Endpoint ep;
      ep.id = endpointId;
      ep.workspaceId = e.text(0, 1);
      ep.enabled = e.boolean(0, 2);
      for (const auto& t : Json::parse(e.view(0, 3))) ep.events.push_back(t.get<std::string>());
      // The head first: every event up to it is visible now (positions are in commit order), so
      // a page that is not full holds every event of this workspace up to it.
      const int64_t head = conn->exec("SELECT coalesce(max(id), 0) FROM events").int64(0, 0);
      engine::OutboxFilter filter;
      filter.workspaceId = ep.workspaceId;
      auto page = engine::outbox::read(*conn, e.int64(0, 0), kPage, filter);
      if (page.truncated) {
        log::warn("webhooks", "endpoint {} fell behind the outbox's retention: events before {} were pruned unsent",
                  endpointId, page.next);
      }
      std::vector<engine::OutboxEvent> wanted;
      std::map<std::string, int64_t> progressKept;  // a job's latest sync.progress of this page
      const int64_t progressMs = cfg_.progressInterval.count();
      for (auto& ev : page.events) {
        if (!ep.enabled || !ep.wants(ev.type)) continue;
        if (ev.type == "sync.progress" && ev.scope.jobId && progressMs > 0) {
          // At most one per job per interval: against this page's, then the deliveries made.
          auto kept = progressKept.find(*ev.scope.jobId);
          if (kept != progressKept.end()) {
            if (kept->second > ev.createdAtMs - progressMs) continue;
            kept->second = ev.createdAtMs;
            wanted.push_back(std::move(ev));
            continue;
          }
          auto recent = conn->exec(
              "SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1::uuid AND event_type = 'sync.progress'"
              " AND job_id = $2::uuid AND created_at > to_timestamp($3::bigint / 1000.0) - $4::bigint * interval "
              "'1 millisecond' LIMIT 1",
              endpointId, *ev.scope.jobId, ev.createdAtMs, progressMs);
          if (!recent.empty()) continue;
          progressKept[*ev.scope.jobId] = ev.createdAtMs;
        }
        wanted.push_back(std::move(ev));
      }
      made += enqueueEvents(*conn, endpointId, wanted);
      // Past every event of this page, and when the page is the last, past the other
      // workspaces' events up to the head, so that the endpoint is not behind for them.
      more = static_cast<int>(page.events.size()) == kPage;
      conn->exec(
          "UPDATE webhook_endpoints SET outbox_cursor = greatest(outbox_cursor, $2::bigint, $3::bigint)"
          " WHERE id = $1::uuid",
          endpointId, page.next, more ? int64_t{0} : head);
      tx.commit();
    }
  }
  if (made > 0) wakeSenders();
  return made;
}

std::optional<Dispatcher::Claimed> Dispatcher::claim() {
  auto conn = pool_->acquire();
  // Each enabled endpoint's oldest pending deliveries (one when ordered, the head): those due and
  // not in flight are claimable, the longest-due first. The one taken is locked SKIP LOCKED, so
  // that senders at once take different heads (they all want the longest-due one; waiting for
  // it, all but one would find nothing and go to sleep), and its conditions are checked again on
  // the row's newest version once locked: a sender whose snapshot predates another's claim,
  // attempt and record would otherwise find it pending and unclaimed and send it at once, without
  // waiting for its retry. Skipping a head never takes the delivery behind it: heads are chosen
  // per endpoint before any lock.
  const int64_t leaseMs = cfg_.timeout.count() * 2 + 10'000;
  auto r = conn->exec(
      std::string("WITH heads AS (SELECT d.id, d.next_attempt_at") + kClaimableHeads +
          " AND d.next_attempt_at <= now()),"
          " candidate AS ("
          "  SELECT w.id FROM webhook_deliveries w JOIN heads h ON h.id = w.id"
          "  WHERE w.status = 'pending' AND w.next_attempt_at <= now()"
          "   AND (w.claimed_until IS NULL OR w.claimed_until < now())"
          "  ORDER BY h.next_attempt_at LIMIT 1 FOR UPDATE OF w SKIP LOCKED)"
          " UPDATE webhook_deliveries w SET claimed_until = now() + $2::bigint * interval '1 millisecond', claimed_by = $3"
          " FROM candidate, webhook_endpoints e WHERE w.id = candidate.id AND e.id = w.endpoint_id"
          " RETURNING w.id, w.endpoint_id, e.workspace_id, e.url, w.message_id, w.event_type, w.body, w.attempts,"
          "  e.updated_at::text",
      perEndpoint(), leaseMs, hostId_);
  if (r.empty()) return std::nullopt;
  return Claimed{r.text(0, 0), r.text(0, 1), r.text(0, 2),
                 r.text(0, 3), r.text(0, 4), r.text(0, 5),
                 r.text(0, 6), r.text(0, 8), static_cast<int>(r.int64(0, 7))};
}

std::vector<std::string> Dispatcher::signingSecrets(const Claimed& d) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(secretsMu_);
    auto it = secrets_.find(d.endpointId);
    if (it != secrets_.end() && it->second.version == d.endpointVersion && now - it->second.read < kSecretsKept) {
      return it->second.secrets;
    }
  }
  std::vector<std::string> fresh;
  {
    auto conn = pool_->acquire();
    fresh = store_.signingSecrets(*conn, d.endpointId);
  }
  std::lock_guard lock(secretsMu_);
  if (secrets_.size() > 10'000) secrets_.clear();  // endpoints deleted since; bounded either way
  secrets_[d.endpointId] = CachedSecrets{d.endpointVersion, now, fresh};
  return fresh;
}

std::optional<std::chrono::milliseconds> Dispatcher::soonestDue() {
  auto conn = pool_->acquire();
  // Over the claimable heads only (the claim's own choice), so that it costs an index probe per
  // endpoint whatever the backlog.
  auto r = conn->exec(
      std::string("SELECT greatest(0, (extract(epoch from min(d.next_attempt_at) - now()) * 1000)::bigint)") +
          kClaimableHeads,
      perEndpoint());
  if (r.empty() || r.isNull(0, 0)) return std::nullopt;
  return std::chrono::milliseconds(r.int64(0, 0));
}

AttemptOutcome Dispatcher::attempt(const Claimed& d, const std::vector<std::string>& secrets) {
  AttemptOutcome o;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  };
  try {
    if (secrets.empty()) throw std::runtime_error("the endpoint has no signing secret");
    const Destination dest = policy_.resolve(d.url);
    const int64_t ts = time::nowEpochMs() / 1000;  // set anew per attempt
    http::HttpRequest req;
    req.method = "POST";
    req.url = d.url;
    req.connectAddress = dest.address;
    req.timeout = cfg_.timeout;
    req.body = d.body;
    req.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", userAgent()},
                   {"webhook-id", d.messageId},
                   {"webhook-timestamp", std::to_string(ts)},
                   {"webhook-signature", signatureHeader(secrets, d.messageId, ts, d.body)},
                   {"X-Webhook-Signature", legacySignature(secrets.front(), d.body)},
                   {"X-Webhook-Event", d.eventType}};
    auto resp = client_.send(req);
    o.latencyMs = elapsed();
    o.status = resp.status;
    o.response = strings::validUtf8(strings::truncate(resp.body, kResponseKept));
    o.delivered = resp.status >= 200 && resp.status < 300;
    if (!o.delivered) {
      o.error = "the endpoint answered " + std::to_string(resp.status);
      if (resp.status == 429 || resp.status == 503) o.retryAfter = http::retryAfter(resp, time::nowEpochMs());
    }
  } catch (const std::exception& e) {
    o.latencyMs = elapsed();
    o.error = strings::validUtf8(e.what());
  }
  return o;
}

void Dispatcher::disable(db::Connection& conn, const Claimed& d, const std::string& reason) {
  auto r = conn.exec(
      "UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = $2, updated_at = now()"
      " WHERE id = $1::uuid AND enabled RETURNING url",
      d.endpointId, reason);
  if (r.empty()) return;
  ++disabled_;
  log::warn("webhooks", "endpoint {} ({}) of workspace {} is disabled: {}", d.endpointId, r.text(0, 0), d.workspaceId,
            reason);
  engine::outbox::emit(conn, engine::EventScope::workspace(d.workspaceId), "webhook.endpoint_disabled",
                       Json{{"endpoint_id", d.endpointId}, {"url", r.text(0, 0)}, {"reason", reason}});
}

void Dispatcher::record(const Claimed& d, const AttemptOutcome& o, std::chrono::system_clock::time_point started) {
  auto conn = pool_->acquire();
  if (o.delivered) {
    // The common case in one statement (one round trip, one commit): the attempt is logged
    // whatever; the delivery succeeds only while the claim is still this sender's (one that
    // outlived its lease was taken over), and its endpoint stops failing.
    conn->exec(
        "WITH done AS ("
        "  UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, completed_at = now(),"
        "   claimed_until = NULL, claimed_by = NULL, last_status = $5, last_error = NULL"
        "  WHERE id = $1::uuid AND claimed_by = $7 AND status = 'pending' RETURNING endpoint_id),"
        " logged AS ("
        "  INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, status, response, error, host)"
        "  VALUES ($1::uuid, (SELECT count(*) + 1 FROM webhook_attempts WHERE delivery_id = $1::uuid),"
        "   to_timestamp($2::bigint / 1000.0), $3, $5, $6, NULL, $7)),"
        " healthy AS ("
        "  UPDATE webhook_endpoints SET failing_since = NULL"
        "  WHERE id = $4::uuid AND failing_since IS NOT NULL AND EXISTS (SELECT 1 FROM done))"
        " SELECT count(*) FROM done",
        d.id, time::toEpochMs(started), o.latencyMs, d.endpointId, o.status, o.response, hostId_);
    ++attempts_;
    ++delivered_;  // a 2xx attempt, whether or not the claim was still this sender's
    return;
  }
  db::Transaction tx(*conn);
  // Only while the claim is still this sender's: one that outlived its lease was taken over.
  auto mine = conn->exec(
      "SELECT attempts FROM webhook_deliveries WHERE id = $1::uuid AND claimed_by = $2 AND status = 'pending'"
      " FOR UPDATE",
      d.id, hostId_);
  conn->exec(
      "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, status, response, error, host)"
      " VALUES ($1::uuid, (SELECT count(*) + 1 FROM webhook_attempts WHERE delivery_id = $1::uuid),"
      "  to_timestamp($2::bigint / 1000.0), $3, $4, $5, nullif($6, ''), $7)",
      d.id, time::toEpochMs(started), o.latencyMs, o.status, o.response, o.error, hostId_);
  ++attempts_;
  if (mine.empty()) {
    tx.commit();
    return;
  }
  const int attempts = static_cast<int>(mine.int64(0, 0)) + 1;
  ++failedAttempts_;
  const bool last = attempts >= static_cast<int>(cfg_.retrySchedule.size());
  std::chrono::milliseconds wait{0};
  if (!last) {
    wait = cfg_.retrySchedule[static_cast<size_t>(attempts)];
    if (o.retryAfter && *o.retryAfter > wait) wait = *o.retryAfter;
  }
  if (last) ++gaveUp_;
  conn->exec(
      "UPDATE webhook_deliveries SET status = CASE WHEN $2 THEN 'failed' ELSE 'pending' END, attempts = $3,"
      " next_attempt_at = now() + $4::bigint * interval '1 millisecond',"
      " completed_at = CASE WHEN $2 THEN now() END, claimed_until = NULL, claimed_by = NULL, last_status = $5,"
      " last_error = $6 WHERE id = $1::uuid",
      d.id, last, attempts, static_cast<int64_t>(wait.count()), o.status, o.error);
  auto failing = conn->exec(
      "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, to_timestamp($2::bigint / 1000.0))"
      " WHERE id = $1::uuid RETURNING failing_since < now() - $3::bigint * interval '1 millisecond'",
      d.endpointId, time::toEpochMs(started), static_cast<int64_t>(cfg_.disableAfter.count()));
  if (o.status && *o.status == 410) {
    disable(*conn, d, "the endpoint answered 410 Gone");
  } else if (!failing.empty() && failing.boolean(0, 0)) {
    disable(*conn, d, "every attempt failed for " + config::formatDuration(cfg_.disableAfter));
  }
  tx.commit();
}

bool Dispatcher::sendOne() {
  auto d = claim();
  if (!d) return false;
  const auto started = std::chrono::system_clock::now();
  AttemptOutcome o;
  try {
    o = attempt(*d, signingSecrets(*d));
  } catch (const std::exception& e) {
    o.error = strings::validUtf8(e.what());
  }
  record(*d, o, started);
  return true;
}

void Dispatcher::senderLoop() {
  while (!stopping_) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      seen = generation_;
    }
    bool sent = false;
    try {
      sent = sendOne();
    } catch (const std::exception& e) {
      log::warn("webhooks", "a delivery round failed (it is tried again): {}", e.what());
    }
    if (sent) continue;
    // Nothing claimable: sleep until woken (a new delivery, one due again) or until the soonest
    // retry, within the poll interval (what another host claims and puts off is found by then).
    auto wait = cfg_.pollInterval;
    try {
      if (auto due = soonestDue()) wait = std::min(wait, std::max(std::chrono::milliseconds(5), *due));
    } catch (const std::exception& e) {
      log::debug("webhooks", "the soonest retry could not be read ({}); waiting the poll interval", e.what());
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || generation_ != seen; });
  }
}

void Dispatcher::fanOutLoop() {
  std::unique_ptr<db::Connection> listener;
  bool warned = false;
  while (!stopping_) {
    try {
      if (!listener) {
        listener = std::make_unique<db::Connection>(conninfo_);
        listener->listen(kEventsChannel);
        listener->listen(kWebhooksChannel);
        if (warned) log::info("webhooks", "the database is back; deliveries resume");
        warned = false;
      }
      fanOut();
      auto notes = listener->waitForNotifications(cfg_.pollInterval, wakePipe_[0]);
      char buf[64];
      while (::read(wakePipe_[0], buf, sizeof buf) > 0) {
      }
      // A delivery became sendable (here or on another host: migrations/019).
      bool deliveries = false;
      for (const auto& n : notes) deliveries = deliveries || n.channel == kWebhooksChannel;
      if (deliveries) wakeSenders();
    } catch (const std::exception& e) {
      if (!warned) log::warn("webhooks", "the dispatcher lost the database ({}); it keeps trying", e.what());
      warned = true;
      listener.reset();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
    }
  }
}

}  // namespace tributary::webhooks
