#include "http/VendorClient.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "common/Log.h"
#include "common/Time.h"
#include "http/HttpError.h"
#include "http/RetryRules.h"

namespace tributary::http {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string seconds(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

constexpr milliseconds kDay{86'400'000};

}  // namespace

VendorClient::VendorClient(const HttpService& service, RateGate* gate, VendorProfile profile,
                           std::function<bool()> cancelled, HttpCounters* runCounters)
    : service_(service),
      cfg_(service.config()),
      gate_(profile.classes.empty() ? nullptr : gate),
      profile_(std::move(profile)),
      cancelled_(std::move(cancelled)),
      runCounters_(runCounters),
      rng_(std::random_device{}()) {}

VendorClient::~VendorClient() = default;

void VendorClient::count(const HttpCounters& delta) {
  counters_ += delta;
  if (runCounters_) *runCounters_ += delta;
  HttpMetrics::instance().add(profile_.vendor, delta);
}

SlotCost VendorClient::costOf(const LimitClass& c, uint64_t cost) const {
  const double perUs = static_cast<double>(c.per.count()) * 1000.0;
  SlotCost s;
  s.cls = c.name;
  if (c.quota) {
    // A quota is used in bursts: the whole effective budget at once, refilling evenly.
    const double interval = perUs / std::max(c.effective, 1e-9);
    s.costUs = static_cast<int64_t>(std::ceil(interval * static_cast<double>(c.points ? cost : 1)));
    s.tauUs = static_cast<int64_t>(std::max(0.0, perUs - interval));
  } else if (c.points) {
    // As for requests, a closed window holds what its spacing allows plus the last request's
    // points: spacing the points by the budget less one keeps 1-point requests within it (a
    // heavier last one may go its points less one over, which the headroom absorbs).
    const double budget = c.effective >= 2 ? c.effective - 1 : c.effective / 2;
    s.costUs = static_cast<int64_t>(std::ceil(perUs / std::max(budget, 1e-9))) * static_cast<int64_t>(cost);
  } else {
    // Evenly spaced, no burst: any closed window of `per` then holds at most floor(per / T) + 1
    // requests, which spacing by per / (n - 1) keeps at n = floor(effective).
    const double n = std::floor(c.effective);
    s.costUs = n >= 2 ? static_cast<int64_t>(std::ceil(perUs / (n - 1))) : static_cast<int64_t>(perUs) + 1000;
  }
  return s;
}

VendorClient::Slots VendorClient::slotsFor(const HttpRequest& request) const {
  Slots s;
  if (profile_.classes.empty()) {
    if (!request.limitClass.empty()) {
      throw HttpError(HttpError::Kind::InvalidRequest, request.method + " " + request.url +
                                                           " names the rate-limit class '" + request.limitClass +
                                                           "', but " + profile_.vendor + " declares none");
    }
    return s;
  }
  s.primary = request.limitClass.empty() ? &profile_.classes.front() : profile_.findClass(request.limitClass);
  if (!s.primary) {
    throw HttpError(HttpError::Kind::InvalidRequest,
                    request.method + " " + request.url + " names the rate-limit class '" + request.limitClass +
                        "', which " + profile_.vendor + " does not declare (known: " + profile_.classNames() + ")");
  }
  s.costs.push_back(costOf(*s.primary, request.cost));
  for (const auto& c : profile_.classes) {
    if (c.everyRequest && &c != s.primary) s.costs.push_back(costOf(c, request.cost));
  }
  return s;
}

void VendorClient::sleepFor(milliseconds d, const std::string& why) {
  if (d.count() <= 0) return;
  HttpCounters delta;
  delta.waits = 1;
  delta.waitMs = d.count();
  count(delta);
  log::debug("http", "[{}] waiting {} ms: {}", profile_.label, d.count(), why);
  const auto until = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (cancelled_ && cancelled_()) throw WaitCancelled("cancelled while waiting: " + why);
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, milliseconds(20)));
  }
}

void VendorClient::park(milliseconds delay, const std::string& reason, const std::string& message) {
  HttpCounters delta;
  (reason == "quota" ? delta.quotaParks : delta.rateLimitParks) = 1;
  count(delta);
  log::info("http", "[{}] {}", profile_.label, message);
  throw WaitRequired(time::nowEpochMs() + std::max<int64_t>(delay.count(), 1), reason, message);
}

milliseconds VendorClient::backoff(int retry) {
  return std::max(fullJitter(retry, cfg_.retry.base, cfg_.retry.maxBackoff, rng_), milliseconds(1));
}

HttpResponse VendorClient::send(const HttpRequest& request) {
  const Slots slots = slotsFor(request);
  const std::string where = request.method + " " + request.url;
  const auto maxInline = cfg_.maxInlineWait;
  int quotaWaits = 0;  // the classes' quota waits in a row, as the last reservation saw them
  const bool authed = auth_ && !request.noAuth;
  bool reauthorized = false;  // a refused credential is refreshed once per request
  uint64_t authVersion = 0;
  for (int attempt = 1;; ++attempt) {
    if (cancelled_ && cancelled_()) throw WaitCancelled("cancelled before " + where);
    // 1. A hold of this client's (a rate limit without a shared class to hold), then its slot in
    // every class it counts against.
    if (localHold_) {
      const auto left = std::chrono::ceil<milliseconds>(*localHold_ - std::chrono::steady_clock::now());
      localHold_.reset();
      if (left > maxInline) park(left, "rate_limit", where + ": rate limited for " + seconds(left) + ": the job waits");
      sleepFor(left, "rate limit");
    }
    if (gate_ && !slots.costs.empty()) {
      Grant g = gate_->reserve(profile_.account, slots.costs, duration_cast<microseconds>(maxInline));
      const milliseconds wait = duration_cast<milliseconds>(g.wait + microseconds(999));
      quotaWaits = g.quotaWaits;
      if (!g.granted) {
        const LimitClass* c = profile_.findClass(g.waitingClass);
        const bool quota = (c && c->quota) || g.quotaWaits > 0;
        park(wait, quota ? "quota" : "rate_limit",
             where + ": the " + (quota ? "quota" : "rate limit") + " of class '" + g.waitingClass + "' of " +
                 profile_.vendor + " has no slot for " + seconds(wait) + " (more than http.max_inline_wait, " +
                 seconds(maxInline) + "): the job waits");
      }
      sleepFor(wait, "rate-limit slot of class '" + slots.primary->name + "'");
    }

    // 2. The exchange.
    HttpResponse response;
    {
      HttpCounters sent;
      sent.calls = 1;
      if (attempt > 1) sent.retries = 1;
      count(sent);
    }
    try {
      if (authed) {
        // The credential of the moment (a refresh since the last attempt gives the new one).
        HttpRequest withAuth = request;
        authVersion = auth_->apply(withAuth);
        response = service_.transport().send(withAuth);
      } else {
        response = service_.transport().send(request);
      }
    } catch (const HttpError& e) {
      if (e.kind() != HttpError::Kind::Transient) throw;
      if (e.sent() && !request.repeatable()) throw;  // it may have arrived: never again
      if (attempt >= cfg_.retry.maxAttempts) throw;
      const milliseconds d = backoff(attempt);
      if (d > maxInline) throw;
      sleepFor(d, std::string("backoff after: ") + e.what());
      continue;
    }
    if (response.status == 429) {
      HttpCounters c;
      c.http429s = 1;
      count(c);
    }

    // 3. What it calls for.
    const Verdict v = classify(response, profile_.rules);
    const auto after = retryAfter(response, time::nowEpochMs());
    const milliseconds ruleWait = v.rule ? v.rule->wait : milliseconds(0);
    const LimitClass* target = slots.primary;
    if (v.rule && !v.rule->limitClass.empty()) target = profile_.findClass(v.rule->limitClass);
    switch (v.kind) {
      case Verdict::Kind::RefreshAuth:
        // Refused for its credential, so it had no effect: sent again with a newer one, once.
        if (!authed || reauthorized || !auth_->refreshAfterRejection(authVersion)) return response;
        reauthorized = true;
        log::info("http", "[{}] {} answered {}: sent again with the refreshed credential", profile_.label, where,
                  v.why);
        continue;
      case Verdict::Kind::Return:
        if (gate_ && quotaWaits > 0 && response.status < 400) {
          // A success ends a run of quota waits (re-checked with backoff) of its classes.
          for (const auto& c : slots.costs) {
            const LimitClass* lc = profile_.findClass(c.cls);
            if (lc && lc->quota) gate_->tighten(profile_.account, c.cls, std::nullopt, std::nullopt, false, true);
          }
        }
        return response;
      case Verdict::Kind::Retry: {
        if (!request.repeatable() || attempt >= cfg_.retry.maxAttempts) return response;
        const milliseconds d =
            std::max(after.value_or(milliseconds(0)), ruleWait.count() ? ruleWait : backoff(attempt));
        if (d > maxInline) return response;
        sleepFor(d, where + " answered " + v.why);
        continue;
      }
      case Verdict::Kind::RateLimit: {
        const milliseconds hold = after ? std::max(*after, milliseconds(1))
                                        : (ruleWait.count() ? ruleWait : backoff(attempt) + cfg_.retry.base);
        const bool held = gate_ && target &&
                          std::any_of(slots.costs.begin(), slots.costs.end(),
                                      [&](const SlotCost& c) { return c.cls == target->name; });
        if (gate_ && target) {
          gate_->tighten(profile_.account, target->name, duration_cast<microseconds>(hold), std::nullopt, false, false);
        }
        // A class this request does not count against holds others, not its resend: it waits here.
        if (!held) localHold_ = std::chrono::steady_clock::now() + hold;
        if (!request.repeatable()) return response;  // never sent twice; the plugin decides
        if (attempt >= cfg_.retry.maxAttempts) {
          park(hold, "rate_limit",
               where + " is still rate limited (" + v.why + ") after " + std::to_string(attempt) +
                   " attempts: the job waits");
        }
        continue;  // the next slot waits for the hold (or parks the job beyond max_inline_wait)
      }
      case Verdict::Kind::Quota: {
        std::optional<milliseconds> until = after;
        if (!until && target) {
          auto it = resets_.find(target->name);
          const int64_t now = time::nowEpochMs();
          if (it != resets_.end() && it->second > now) until = milliseconds(it->second - now);
        }
        if (!until && ruleWait.count() > 0) until = ruleWait;
        int waits = 1;
        const std::string cls = target ? target->name : "";
        if (gate_ && target) {
          // Counted first, so that the re-check's backoff sees this wait.
          waits = gate_->tighten(profile_.account, cls, std::nullopt, std::nullopt, true, false).quotaWaits;
        } else {
          waits = ++localQuotaWaits_[cls];
        }
        if (!until) {
          const int shift = std::clamp(waits - 1, 0, 20);
          until = std::min(kDay, milliseconds(cfg_.quotaRecheck.count() << shift));
        }
        if (gate_ && target) {
          gate_->tighten(profile_.account, cls, duration_cast<microseconds>(*until), std::nullopt, false, false);
        }
        park(*until, "quota",
             where + ": the vendor's quota is spent (" + v.why + "); the job waits " + seconds(*until) +
                 (after ? " (its Retry-After)" : "") + ", quota wait " + std::to_string(waits) + " in a row");
      }
    }
  }
}

std::string VendorClient::authValue(std::string_view name) {
  if (!auth_) {
    throw HttpError(HttpError::Kind::Credential, "get_auth_value(\"" + std::string(name) + "\"): connection " +
                                                     profile_.label + " has no auth: section");
  }
  return auth_->value(name);
}

void VendorClient::report(std::string_view cls, int64_t remaining, std::optional<int64_t> resetAtMs) {
  const LimitClass* c = profile_.findClass(std::string(cls));
  if (!c) {
    const std::string known = profile_.classNames();
    throw std::invalid_argument("report_rate_limit names the class '" + std::string(cls) + "', which " +
                                profile_.vendor + " does not declare" +
                                (known.empty() ? "" : " (known: " + known + ")"));
  }
  const int64_t now = time::nowEpochMs();
  const milliseconds window = resetAtMs ? milliseconds(std::max<int64_t>(0, *resetAtMs - now)) : c->per;
  if (resetAtMs) resets_[c->name] = *resetAtMs;
  if (!gate_) return;
  const SlotCost unit = costOf(*c, 1);
  if (remaining <= 0) {
    // Nothing left until the reset: nobody sends before it.
    gate_->tighten(profile_.account, c->name, duration_cast<microseconds>(window), std::nullopt, false, false);
    return;
  }
  if (c->quota) {
    // No burst beyond what is left: the next `remaining` slots at most.
    const int64_t floorUs = unit.tauUs - (remaining - 1) * unit.costUs;
    gate_->tighten(profile_.account, c->name, std::nullopt, microseconds(floorUs), false, false);
  } else {
    // What is left, spread over what is left of the window (only ever slower than our spacing).
    const int64_t spreadUs = duration_cast<microseconds>(window).count() / remaining;
    if (spreadUs > unit.costUs) {
      gate_->tighten(profile_.account, c->name, std::nullopt, microseconds(spreadUs), false, false);
    }
  }
}

}  // namespace tributary::http
