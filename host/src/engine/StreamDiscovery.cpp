#include "engine/StreamDiscovery.h"

#include <set>

#include "engine/ConnectionStreamsStore.h"
#include "plugins/RunServices.h"

namespace tributary::engine {
namespace {

using plugins::ResultCode;
using plugins::RunStopped;

// What the discover hook may call: declare_stream, is_cancelled, report_progress (ignored: a
// discovery is short) and http_request. Records, checkpoints and the other 1.1 services are for
// sync calls: the host API turns NotAvailable into "plugin called emit_record during discover,
// where it is not available; fix the plugin".
class DiscoveryServices final : public plugins::RunServices {
 public:
  DiscoveryServices(std::function<bool()> cancelled, http::VendorClient* http)
      : RunServices(http), cancelled_(std::move(cancelled)) {}

  void emitRecord(const plugins::RecordView&) override { throw plugins::NotAvailable(); }
  void emitRecordError(const plugins::RecordErrorView&) override { throw plugins::NotAvailable(); }
  void commitCheckpoint(std::string_view, std::string_view) override { throw plugins::NotAvailable(); }
  void reportProgress(int64_t, int64_t, std::string_view) override {}
  bool isCancelled() override { return cancelled_ && cancelled_(); }

  void declareStream(const plugins::StreamDescriptor& stream) override {
    if (!names_.insert(stream.name).second) {
      throw RunStopped(ResultCode::Fatal, "declare_stream: discovered stream '" + stream.name +
                                              "' is declared twice; stream names are unique within a connection");
    }
    if (streams_.size() >= StreamDiscovery::kMaxStreams) {
      throw RunStopped(ResultCode::Fatal, "declare_stream: discovered stream '" + stream.name +
                                              "' is one too many (at most " +
                                              std::to_string(StreamDiscovery::kMaxStreams) + " streams)");
    }
    streams_.push_back(stream);
  }

  std::vector<plugins::StreamDescriptor> take() { return std::move(streams_); }

 private:
  std::function<bool()> cancelled_;
  std::set<std::string> names_;
  std::vector<plugins::StreamDescriptor> streams_;
};

}  // namespace

Discovery StreamDiscovery::run(plugins::ConnectorInstance& instance, std::function<bool()> cancelled,
                               http::VendorClient* http) {
  Discovery d;
  if (!instance.plugin().discoversStreams()) {
    d.discovered = false;
    d.streams = instance.plugin().streams();
    return d;
  }
  DiscoveryServices services(std::move(cancelled), http);
  d.result = instance.discover(services);
  // A hook that returns OK after a stop request may have stopped early: its list is not whole.
  if (d.result.ok() && services.isCancelled()) {
    d.result = plugins::CallResult{ResultCode::Cancelled, "stopped on request", std::nullopt};
  }
  if (d.result.ok()) d.streams = services.take();
  return d;
}

void StreamDiscovery::store(db::Pool& pool, RunFence& fence, const std::string& connectionId, const std::string& jobId,
                            const std::string& plugin, const std::string& version, const Discovery& discovery) {
  // A wait or a cancellation says nothing about the streams: nothing to record.
  if (discovery.result.code == ResultCode::Wait || discovery.result.code == ResultCode::Cancelled) return;
  const ConnectionStreamsStore store(connectionId);
  auto conn = pool.acquire();
  db::Transaction tx(*conn);
  if (discovery.result.ok()) {
    store.store(*conn, discovery.streams, discovery.discovered, plugin, version, jobId);
  } else {
    store.storeFailure(*conn, discovery.result.message, jobId);
  }
  fence.check(*conn);
  tx.commit();
}

}  // namespace tributary::engine
