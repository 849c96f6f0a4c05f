#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/Config.h"
#include "db/Pool.h"
#include "http/HttpClient.h"
#include "secrets/KeyRing.h"
#include "webhooks/Deliveries.h"
#include "webhooks/Destination.h"
#include "webhooks/EndpointStore.h"

namespace tributary::webhooks {

// What one attempt came to.
struct AttemptOutcome {
  bool delivered = false;
  std::optional<int> status;  // the HTTP status; none when no answer came
  std::string response;       // its first KB
  std::string error;          // why it failed, when it did
  int64_t latencyMs = 0;
  std::optional<std::chrono::milliseconds> retryAfter;  // a 429's or 503's Retry-After
};

// Delivers the outbox to the endpoints (migrations/018). Every serve of role "all" runs one;
// several on one database share the work through the database alone:
//
//  - Fan-out: one thread LISTENs for committed events (tributary_events) and new deliveries
//    (tributary_webhooks). For each endpoint behind the outbox's head it locks the endpoint's
//    row (SKIP LOCKED: another host at it is left alone), reads the events after its cursor, and
//    in one transaction inserts a delivery per event it wants and moves the cursor past them. An
//    event therefore becomes a delivery exactly once per endpoint. A disabled endpoint's cursor
//    moves too, without deliveries (recover?since= reaches back to what it missed).
//  - Sending: webhooks.concurrency threads each claim one due delivery at a time (claimed_until:
//    a process that dies mid-attempt leaves a claim that expires, and the next claim sends the
//    same webhook-id), resolve and check its destination, POST it signed, and record the attempt
//    and the delivery's next state in one statement group. With webhooks.ordered an endpoint's
//    next delivery is claimable only when it is the oldest pending one (one in flight per
//    endpoint); without, up to half the senders may work on one endpoint. Claims favour the
//    longest-due delivery, so a failing endpoint, whose retries wait, never holds back another;
//    senders at once take different ones (SKIP LOCKED). A sender that finds nothing sleeps until
//    the soonest retry (within webhooks.poll_interval) or until woken by a delivery that became
//    sendable (migrations/019's notification: a new one, or one due again).
//
// Memory is bounded whatever the backlog: a fan-out reads pages of kPage events; a sender holds
// one delivery. A sync never waits for any of it: it only commits its events.
class Dispatcher {
 public:
  static constexpr int kPage = 500;

  Dispatcher(std::string conninfo, std::shared_ptr<db::Pool> pool, std::shared_ptr<const secrets::KeyRing> ring,
             config::WebhooksConfig cfg, std::string hostId);
  ~Dispatcher();

  void start();
  void stop();

  // One fan-out pass over every endpoint behind the outbox's head; returns the deliveries made.
  int fanOut();
  // Claims and attempts one due delivery; false when none was due.
  bool sendOne();

  DeliveryStats stats() const;

 private:
  struct Claimed {
    std::string id, endpointId, workspaceId, url, messageId, eventType, body;
    std::string endpointVersion;  // its updated_at: a change of secret changes it
    int attempts = 0;
  };
  // An endpoint's signing secrets, read and unsealed at most once per kSecretsKept while the
  // endpoint is unchanged (a rotation changes it, and is used at once); an old secret past its
  // overlap may sign for that much longer.
  static constexpr std::chrono::milliseconds kSecretsKept{1000};
  struct CachedSecrets {
    std::string version;
    std::chrono::steady_clock::time_point read;
    std::vector<std::string> secrets;
  };
  std::vector<std::string> signingSecrets(const Claimed& d);
  // The deliveries at the head of an endpoint that may be in flight at once.
  int perEndpoint() const { return cfg_.ordered ? 1 : std::max(1, cfg_.concurrency / 2); }
  std::optional<Claimed> claim();
  // How long until the soonest claimable delivery is due (0: now); none when none is pending.
  std::optional<std::chrono::milliseconds> soonestDue();
  AttemptOutcome attempt(const Claimed& d, const std::vector<std::string>& secrets);
  void record(const Claimed& d, const AttemptOutcome& o, std::chrono::system_clock::time_point started);
  // Disables the endpoint (if still enabled) and tells the workspace's other endpoints.
  void disable(db::Connection& conn, const Claimed& d, const std::string& reason);
  void fanOutLoop();
  void senderLoop();
  void wakeSenders();

  std::string conninfo_;
  std::shared_ptr<db::Pool> pool_;
  std::shared_ptr<const secrets::KeyRing> ring_;
  config::WebhooksConfig cfg_;
  std::string hostId_;
  DestinationPolicy policy_;
  EndpointStore store_;
  http::HttpClient client_;

  std::mutex secretsMu_;
  std::map<std::string, CachedSecrets> secrets_;  // by endpoint id
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;  // bumped by each wake-up, so that a sender waiting misses none
  std::atomic<bool> stopping_{false};
  int wakePipe_[2] = {-1, -1};
  std::thread fanOutThread_;
  std::vector<std::thread> senders_;

  std::atomic<int64_t> attempts_{0}, delivered_{0}, failedAttempts_{0}, gaveUp_{0}, disabled_{0};
};

}  // namespace tributary::webhooks
