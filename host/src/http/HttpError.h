#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/Redact.h"

namespace tributary::http {

// The messages of these errors name the request ("GET https://...?access_token=..."), and they
// travel far: into the plugin's error, the job's last_error, the log. They are redacted as
// they are made (common/Redact.h), so that no copy of one carries a URL's secret.

// No response arrived.
//  Transient: worth retrying (timeout, refused, reset, a TLS handshake cut short). `sent` says
//    whether the request may have reached the server (a non-repeatable one is then never resent).
//  InvalidRequest: never worth retrying (malformed URL, scheme not allowed, bad flag or class).
//  Certificate: the server's certificate failed verification (untrusted, expired, another host's
//    name); an operator must fix it (http.ca_file, the URL), so it is not retried either.
//  Credential: the connection's credential cannot be used: not connected yet, its refresh token
//    refused by the vendor, the key that opens it missing. An operator must act (`tributary oauth
//    authorize`, the key file): the job fails with the reason, whatever the plugin returns.
class HttpError : public std::runtime_error {
 public:
  enum class Kind { Transient, InvalidRequest, Certificate, Credential };
  HttpError(Kind kind, const std::string& message, bool sent = false)
      : std::runtime_error(redact::text(message)), kind_(kind), sent_(sent) {}
  Kind kind() const { return kind_; }
  bool sent() const { return sent_; }

 private:
  Kind kind_;
  bool sent_;
};

// The request cannot go now: its rate-limit slot, or the wait a rate limit or quota imposed,
// lies beyond http.max_inline_wait. The job is to be parked until `untilMs` (epoch ms, this
// host's clock) with wait_reason `reason` ("rate_limit" or "quota"); the request was not sent.
class WaitRequired : public std::runtime_error {
 public:
  WaitRequired(int64_t untilMs, std::string reason, const std::string& message)
      : std::runtime_error(redact::text(message)), untilMs_(untilMs), reason_(std::move(reason)) {}
  int64_t untilMs() const { return untilMs_; }
  const std::string& reason() const { return reason_; }

 private:
  int64_t untilMs_;
  std::string reason_;
};

// The run was cancelled while the request waited for its slot or a backoff.
class WaitCancelled : public std::runtime_error {
 public:
  explicit WaitCancelled(const std::string& message) : std::runtime_error(redact::text(message)) {}
};

}  // namespace tributary::http
