#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tributary::http {

// One rate-limit class as the client enforces it for one connection: the connector's declared
// budget, or the operator's override, times the connection's headroom.
struct LimitClass {
  std::string name;
  double effective = 0;  // requests (points) allowed per `per`: the budget times the headroom
  std::chrono::milliseconds per{0};
  bool points = false;        // each request costs its HttpRequest::cost
  bool quota = false;         // used in bursts; when spent the job parks (wait_reason quota)
  bool everyRequest = false;  // counts every request besides its own class
};

// What a vendor rule, or a default, does with a response.
enum class RuleAction { Retry, RateLimit, Quota, RefreshAuth };

// A vendor signal: a status and, optionally, an error code found in the body.
struct VendorRule {
  RuleAction action = RuleAction::Retry;
  int status = 0;
  std::string errorCode;              // "" = any body of that status
  std::string limitClass;             // RateLimit, Quota: the class that waits; "" = the request's
  std::chrono::milliseconds wait{0};  // without Retry-After; 0 = the client's default
  std::string description;
};

// Everything the client knows of one connection's vendor.
struct VendorProfile {
  std::string vendor;               // the connector, for messages and metrics: "tributary.hubspot"
  std::string label;                // the connection, for messages: "acme/hubspot"
  std::string account;              // the owner of the budgets (rate_limit.account, or a credential's hash)
  std::vector<LimitClass> classes;  // the first is the default class
  std::vector<VendorRule> rules;    // tried in order, before the defaults

  // "rest, search, daily", for messages.
  std::string classNames() const {
    std::string names;
    for (const auto& c : classes) names += (names.empty() ? "" : ", ") + c.name;
    return names;
  }

  const LimitClass* findClass(const std::string& name) const {
    for (const auto& c : classes) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
};

}  // namespace tributary::http
