#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/HttpRequest.h"
#include "http/HttpResponse.h"
#include "plugins/CallResult.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::http {
class VendorClient;
}

namespace tributary::plugins {

// One emitted record, borrowed: every view dies when emitRecord returns, so copy (or
// serialize into the batch) before returning.
struct RecordView {
  std::string_view stream;
  std::string_view sourceId;
  std::optional<int64_t> modifiedAtMs;  // the source's modification time, epoch ms
  bool deleted = false;
  uint32_t flags = 0;           // the raw TRIBUTARY_RECORD_* bits
  std::string_view fieldsJson;  // canonical fields, flat JSON object; empty: no entity
  std::string_view rawJson;     // the source record
  bool keysOnly = false;        // 1.1: seen, no new content (TRIBUTARY_RECORD_KEYS_ONLY)
};

// A poison record, borrowed like RecordView.
struct RecordErrorView {
  std::string_view stream;
  std::string_view sourceId;
  std::string_view message;
  std::string_view rawJson;
};

// 1.1: one emitted link, borrowed like RecordView (see tributary_link_v1).
struct LinkView {
  std::string_view stream;
  std::string_view type;  // a declared link type's name
  std::string_view fromId;
  std::string_view toId;
  bool deleted = false;
};

// 1.1: what a follow-up job does with its stream.
enum class FollowUpKind { Backfill, Resync };

// 1.1: one requested follow-up, borrowed (see tributary_follow_up_v1).
struct FollowUpView {
  FollowUpKind kind = FollowUpKind::Backfill;
  std::string_view stream;
  std::string_view reason;
  std::optional<int64_t> windowFromMs;  // backfill only
  std::optional<int64_t> windowToMs;    // backfill only, exclusive
};

// Thrown by a RunServices method (by default, by each 1.1 service) that the running hook does
// not offer: the call ends Fatal with "plugin called <function> during <hook>, where it is not
// available; fix the plugin".
class NotAvailable : public std::runtime_error {
 public:
  NotAvailable() : std::runtime_error("not available") {}
};

// Thrown by a RunServices method to stop the plugin: the hook's call then ends with this
// code and message, whatever the plugin returns (for example Cancelled on a timeout, or
// Retry when the batch write failed).
class RunStopped : public std::runtime_error {
 public:
  RunStopped(ResultCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ResultCode code() const { return code_; }

 private:
  ResultCode code_;
};

// The host services one hook call uses; the sync engine implements them. Every method is
// called on the thread running the hook. A method may throw RunStopped to end the call; any
// other exception ends it as Retry with "host error in <function>: <what>".
class RunServices {
 public:
  // `http`: the run's vendor client, which httpRequest and reportRateLimit go through (null: the
  // shared plain client, and no budget to report to). It outlives the services.
  explicit RunServices(http::VendorClient* http = nullptr) : http_(http) {}
  virtual ~RunServices() = default;

  // The hot path: once per record (1,000,000 times in the ingest benchmark).
  virtual void emitRecord(const RecordView& record) = 0;
  virtual void emitRecordError(const RecordErrorView& error) = 0;
  // The records emitted since the previous checkpoint form one batch with this cursor.
  virtual void commitCheckpoint(std::string_view stream, std::string_view cursorJson) = 0;
  virtual void reportProgress(int64_t current, int64_t total, std::string_view message) = 0;
  virtual bool isCancelled() = 0;
  // Through the vendor client when there is one (a cancellation while it waits stops the call
  // as Cancelled), else the shared plain http::HttpClient.
  virtual http::HttpResponse httpRequest(const http::HttpRequest& request);

  // 1.1. The host API's trampolines have checked the arguments' shape (sizes, names, JSON
  // text, flag bits) before these run; what depends on the run (a known stream, a declared
  // link type) is theirs to check, throwing RunStopped(Fatal, message naming it). Each throws
  // NotAvailable unless the hook's services offer it.
  virtual void setStreamState(std::string_view stream, std::string_view stateJson);
  virtual void emitLink(const LinkView& link);
  virtual void requestFollowUp(const FollowUpView& followUp);
  virtual void addRunCounter(std::string_view name, int64_t delta);
  virtual void setRunFact(std::string_view name, std::string_view valueJson);
  // discover only: one stream, already checked as a declared one is (checkStream).
  virtual void declareStream(const StreamDescriptor& stream);
  // action only: the action's result (valid JSON text).
  virtual void setActionResult(std::string_view resultJson);
  // 1.1 http: the vendor's count of what is left of a class until resetAtMs (none: the class's
  // window), passed to the vendor client (an undeclared class stops the call as Fatal); without
  // one there is no shared budget to tighten, and it does nothing.
  virtual void reportRateLimit(std::string_view limitClass, int64_t remaining, std::optional<int64_t> resetAtMs);
  // 1.1 auth: a non-secret value of the connection's credential (get_auth_value), through the
  // vendor client's authenticator; throws RunStopped (Fatal: no such auth or not connected;
  // Retry: a refresh failed for now; Cancelled).
  virtual std::string authValue(std::string_view name);

 protected:
  http::VendorClient* vendorClient() const { return http_; }

 private:
  http::VendorClient* http_;
};

}  // namespace tributary::plugins
