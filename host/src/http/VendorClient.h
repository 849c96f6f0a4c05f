#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/Authenticator.h"
#include "http/HttpError.h"
#include "http/HttpMetrics.h"
#include "http/HttpRequest.h"
#include "http/HttpResponse.h"
#include "http/HttpService.h"
#include "http/RateGate.h"
#include "http/VendorProfile.h"

namespace tributary::http {

// One connection's requests, for one run (its hook calls, across its streams): each waits for
// its slot in the shared budgets of its class (and of the every-request classes), goes out on
// the pooled transport, and is retried or waited out as the vendor's rules and the defaults
// say (see connector_abi.h, http_request). Not thread-safe: a run's hooks run on one thread.
//
// send() returns the response a plugin is to see, or throws: HttpError (no response; kind as
// the transport's), WaitRequired (the job must park: not sent, or sent and refused by a quota or
// a rate limit beyond what may be waited inline), WaitCancelled (the run was cancelled while
// the request waited).
class VendorClient {
 public:
  // `gate` null: no shared budgets (the classes are still checked; rate-limit waits are this
  // client's alone). `cancelled` is polled while waiting.
  // `runCounters`, when given, gets every count too (the run's metadata).
  VendorClient(const HttpService& service, RateGate* gate, VendorProfile profile, std::function<bool()> cancelled,
               HttpCounters* runCounters = nullptr);
  ~VendorClient();
  VendorClient(const VendorClient&) = delete;
  VendorClient& operator=(const VendorClient&) = delete;

  HttpResponse send(const HttpRequest& request);
  // 1.1 auth: the connection's credential, added to every request not marked noAuth (none: the
  // requests go as the plugin made them).
  void setAuthenticator(std::unique_ptr<Authenticator> auth) { auth_ = std::move(auth); }
  Authenticator* authenticator() const { return auth_.get(); }
  // get_auth_value through the authenticator; HttpError(Credential) when the connection has none.
  std::string authValue(std::string_view name);
  // The vendor's count of what is left of a class until resetAtMs (epoch ms; none: the class's
  // window). Throws std::invalid_argument for a class the connector does not declare.
  void report(std::string_view cls, int64_t remaining, std::optional<int64_t> resetAtMs);

  const HttpCounters& counters() const { return counters_; }
  const VendorProfile& profile() const { return profile_; }

 private:
  struct Slots {
    const LimitClass* primary = nullptr;
    std::vector<SlotCost> costs;
  };
  Slots slotsFor(const HttpRequest& request) const;
  SlotCost costOf(const LimitClass& c, uint64_t cost) const;
  void sleepFor(std::chrono::milliseconds d, const std::string& why);
  [[noreturn]] void park(std::chrono::milliseconds delay, const std::string& reason, const std::string& message);
  std::chrono::milliseconds backoff(int retry);
  void count(const HttpCounters& delta);

  const HttpService& service_;
  const config::HttpConfig& cfg_;
  RateGate* gate_;
  VendorProfile profile_;
  std::function<bool()> cancelled_;
  std::map<std::string, int64_t, std::less<>> resets_;              // class -> the reset the plugin reported (epoch ms)
  std::map<std::string, int, std::less<>> localQuotaWaits_;         // without a gate
  std::optional<std::chrono::steady_clock::time_point> localHold_;  // without a gate
  HttpCounters counters_;
  HttpCounters* runCounters_;
  std::unique_ptr<Authenticator> auth_;
  std::mt19937_64 rng_;
};

}  // namespace tributary::http
