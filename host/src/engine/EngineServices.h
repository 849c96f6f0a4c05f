#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/RecordSink.h"
#include "plugins/RunServices.h"

namespace tributary::engine {

// What a run's plugin calls cost, counted as they happen.
struct CallCounters {
  int64_t pages = 0;  // checkpoints committed by the plugin
  int64_t httpCalls = 0;
  int64_t http429s = 0;
};

// The host services a plugin's hook call gets from the engine: the records of the stream the
// call is for go to its sink; checkpoints, progress, cancellation and HTTP calls are passed on
// and counted. A record, link or checkpoint for another stream, a link of a type the plugin does
// not declare, or any of them outside a sync call (in check), stops the call as Fatal; a database error while writing
// stops it as Retry and is remembered, so the run knows its connections are in doubt.
class EngineServices : public plugins::RunServices {
 public:
  using Progress = std::function<void(int64_t current, int64_t total, std::string_view message)>;

  // `sink` null: the check call, which may not emit. `cancelled` says whether the job was asked
  // to stop. `linkTypes`: the plugin's (none: it may emit no link); outlives this object.
  EngineServices(std::string stream, RecordSink* sink, CallCounters& counters, std::function<bool()> cancelled,
                 Progress progress, const std::vector<plugins::LinkTypeDescriptor>* linkTypes = nullptr);

  void emitRecord(const plugins::RecordView& r) override;
  void emitRecordError(const plugins::RecordErrorView& e) override;
  void commitCheckpoint(std::string_view stream, std::string_view cursor) override;
  void emitLink(const plugins::LinkView& link) override;
  void reportProgress(int64_t current, int64_t total, std::string_view message) override;
  bool isCancelled() override;
  http::HttpResponse httpRequest(const http::HttpRequest& request) override;

  // The database error that stopped the call, if one did.
  const std::optional<std::string>& databaseError() const { return dbError_; }

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
  const std::vector<plugins::LinkTypeDescriptor>* linkTypes_;
  std::optional<std::string> dbError_;
};

}  // namespace tributary::engine
