#pragma once

#include <atomic>
#include <memory>

#include "plugins/CallResult.h"
#include "plugins/ConnectorPlugin.h"
#include "plugins/InstanceOptions.h"
#include "plugins/RunServices.h"
#include "plugins/SyncRequest.h"

struct tributary_host_instance;
struct tributary_instance;

namespace tributary::plugins {

// One plugin instance (one connection's connector, used by one job at a time): created by
// the plugin's create hook, destroyed with this object. It holds its ConnectorPlugin, so
// the library stays loaded while the instance lives, even after the registry is gone.
//
// Calls come from one thread at a time; a second concurrent call is refused as Fatal
// (that is a host bug). No call throws: every outcome is a CallResult.
class ConnectorInstance {
 public:
  struct Created {
    std::unique_ptr<ConnectorInstance> instance;  // null unless result.ok()
    CallResult result;
  };

  // Applies the schema's defaults to the settings, then calls create.
  static Created create(const std::shared_ptr<const ConnectorPlugin>& plugin, InstanceOptions options);

  ~ConnectorInstance();
  ConnectorInstance(const ConnectorInstance&) = delete;
  ConnectorInstance& operator=(const ConnectorInstance&) = delete;

  CallResult check(RunServices& services);
  CallResult initialSync(const SyncRequest& request, RunServices& services);
  CallResult incrementalSync(const SyncRequest& request, RunServices& services);
  CallResult backfill(const SyncRequest& request, RunServices& services);
  CallResult sync(SyncMode mode, const SyncRequest& request, RunServices& services);
  // 1.1: the discover hook (Fatal when the plugin has none: see discoversStreams()); streams
  // arrive through services.declareStream.
  CallResult discover(RunServices& services);
  // 1.1: the action hook; the result arrives through services.setActionResult.
  CallResult action(const ActionRequest& request, RunServices& services);

  const ConnectorPlugin& plugin() const { return *plugin_; }

 private:
  ConnectorInstance(std::shared_ptr<const ConnectorPlugin> plugin, std::unique_ptr<tributary_host_instance> host);

  std::shared_ptr<const ConnectorPlugin> plugin_;
  std::unique_ptr<tributary_host_instance> host_;
  tributary_instance* self_ = nullptr;
  std::atomic<bool> busy_{false};

  // Runs one hook call with a fresh ctx: the busy guard, the ctx's services and ABI rules,
  // and no exception escaping.
  template <class F>
  CallResult call(const char* hook, RunServices* services, F&& f);
};

}  // namespace tributary::plugins
