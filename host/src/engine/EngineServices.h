#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/RecordSink.h"
#include "http/HttpMetrics.h"
#include "http/VendorClient.h"
#include "plugins/RunServices.h"

namespace tributary::engine {

class FollowUps;
class RunStatistics;

// The 1.1 services a run offers its hook calls; a null one is not offered (the call ends Fatal,
// "plugin called ... where it is not available").
struct RunExtras {
  RunStatistics* statistics = nullptr;  // add_run_counter, set_run_fact
  FollowUps* followUps = nullptr;       // request_follow_up
  bool backfill = false;                // a backfill reads the carried state, never sets it
  // emit_link: the plugin's link types (none: it may emit no link); outlive the services.
  const std::vector<plugins::LinkTypeDescriptor>* linkTypes = nullptr;
  // http_request, report_rate_limit: the run's vendor client (null: the plain shared client).
  http::VendorClient* http = nullptr;
};

// What a run's plugin calls cost, counted as they happen.
struct CallCounters {
  int64_t pages = 0;        // checkpoints committed by the plugin
  http::HttpCounters http;  // the HTTP client's (VendorClient adds to it)
};

// The host services a plugin's hook call gets from the engine: the records of the stream the
// call is for go to its sink; checkpoints, progress, cancellation and HTTP calls are passed on
// and counted. A record, link or checkpoint for another stream, a link of a type the plugin does
// not declare, or any of them outside a sync call (in check), stops the call as Fatal; a
// database error while writing stops it as Retry and is remembered, so the run knows its
// connections are in doubt. The carried state (set_stream_state) is staged in the sink, for its
// stream alone and never in a backfill; follow-ups and run statistics go to the run's collectors
// (RunExtras), shared by its calls.
class EngineServices : public plugins::RunServices {
 public:
  using Progress = std::function<void(int64_t current, int64_t total, std::string_view message)>;

  // `sink` null: the check call, which may not emit. `cancelled` says whether the job was asked
  // to stop.
  EngineServices(std::string stream, RecordSink* sink, CallCounters& counters, std::function<bool()> cancelled,
                 Progress progress, RunExtras extras = {});

  void emitRecord(const plugins::RecordView& r) override;
  void emitRecordError(const plugins::RecordErrorView& e) override;
  void commitCheckpoint(std::string_view stream, std::string_view cursor) override;
  void emitLink(const plugins::LinkView& link) override;
  void reportProgress(int64_t current, int64_t total, std::string_view message) override;
  bool isCancelled() override;
  http::HttpResponse httpRequest(const http::HttpRequest& request) override;
  void setStreamState(std::string_view stream, std::string_view stateJson) override;
  void requestFollowUp(const plugins::FollowUpView& followUp) override;
  void addRunCounter(std::string_view name, int64_t delta) override;
  void setRunFact(std::string_view name, std::string_view valueJson) override;

  // The database error that stopped the call, if one did.
  const std::optional<std::string>& databaseError() const { return dbError_; }
  // The carried state the call staged last ("null" for a clear); none when it staged none.
  const std::optional<std::string>& stagedState() const { return staged_; }

 protected:
  // The request itself; a test overrides it to answer without a network.
  virtual http::HttpResponse send(const http::HttpRequest& request);

 private:
  void requireSink(const char* fn) const;
  template <typename F>
  void guard(F&& f);

  std::string stream_;
  RecordSink* sink_;
  CallCounters& counters_;
  std::function<bool()> cancelled_;
  Progress progress_;
  RunExtras extras_;
  std::optional<std::string> dbError_;
  std::optional<std::string> staged_;
};

}  // namespace tributary::engine
