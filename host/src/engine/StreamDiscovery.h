#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "db/Pool.h"
#include "engine/RunFence.h"
#include "http/VendorClient.h"
#include "plugins/CallResult.h"
#include "plugins/ConnectorInstance.h"

namespace tributary::engine {

// One discovery of a connection's streams, and what came of it.
struct Discovery {
  plugins::CallResult result;                      // the hook's; Ok when the streams below are whole
  std::vector<plugins::StreamDescriptor> streams;  // in the order the plugin declared them
  bool discovered = true;                          // false: the plugin has no discover hook (its declared streams)
};

// Finds a connection's streams: for a plugin with a discover hook, by running it (in a worker:
// it may do I/O) with services that take declare_stream alone; otherwise the descriptor's
// streams. The host API has already checked each declared stream as a descriptor's is (its name,
// entity and flag bits: "declare_stream: discovered stream N has ..."); here a name declared
// twice, or more than kMaxStreams, ends the call Fatal. Storing the result is the caller's
// choice (store()): a dry run stores nothing.
class StreamDiscovery {
 public:
  static constexpr size_t kMaxStreams = 1000;  // as many as a descriptor may declare

  // `cancelled`: whether the job was asked to stop (the hook's is_cancelled).
  // `http`: the run's vendor client for the hook's requests (null: the plain shared client).
  static Discovery run(plugins::ConnectorInstance& instance, std::function<bool()> cancelled,
                       http::VendorClient* http = nullptr);

  // Stores what `discovery` found in connection_streams (a failure keeps the stored list and
  // records why; a wait or a cancellation records nothing), in one transaction that checks
  // `fence` last. `jobId` names the job that ran it, `plugin` and `version` the connector.
  static void store(db::Pool& pool, RunFence& fence, const std::string& connectionId, const std::string& jobId,
                    const std::string& plugin, const std::string& version, const Discovery& discovery);
};

}  // namespace tributary::engine
