#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "app/ConfigSync.h"
#include "app/Maintenance.h"
#include "app/Supervisor.h"
#include "auth/OAuthCallback.h"
#include "config/Config.h"
#include "db/DatabaseHandle.h"
#include "db/Pool.h"
#include "http/HttpService.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobQueue.h"
#include "scheduler/Scheduler.h"
#include "secrets/KeyRing.h"
#include "server/HttpServer.h"
#include "server/Router.h"

namespace tributary::api {
class Api;
class EventHub;
}  // namespace tributary::api

namespace tributary::webhooks {
class Dispatcher;
}

namespace tributary::app {

struct HostOptions {
  std::optional<std::string> bind;  // overrides server.bind
  std::optional<int> port;          // overrides server.port (0: any free port)
  std::optional<std::filesystem::path> readyFile;
  // "all": API, scheduler and workers. "worker": workers only, adding capacity to a database
  // that another host serves.
  std::string role = "all";
  // serve --apply-config: apply this host's YAML even when it differs from the applied one and
  // other hosts run with theirs (ConfigSync has the rule). Role "all" only.
  bool applyConfig = false;
  std::string logLevel;  // handed to worker processes
};

// Everything `tributary serve` runs, started in order and stopped in reverse.
class Host {
 public:
  Host(config::Config cfg, HostOptions options);
  ~Host();

  // Database (embedded or not), migrations, HTTP. Throws std::runtime_error on failure.
  void start();
  void stop();
  // A fatal condition found while running (the embedded cluster died), or "".
  std::string checkHealth();

  const std::string& apiUrl() const { return apiUrl_; }
  // Where the first start wrote an admin token (api.admin_token_file, else STATE_DIR/admin.token).
  std::filesystem::path adminTokenFile() const;
  // The key ring of secrets.key_file (or STATE_DIR/secret.key with the embedded database),
  // opened by start(); nullptr with database.url and no key_file (secrets::requireKeyRing).
  const std::shared_ptr<secrets::KeyRing>& keyRing() const { return keyRing_; }

 private:
  void writeReadyFile();
  // Refuses a budget the server can never fit; warns when it may not fit beside what is
  // connected now.
  void checkConnectionBudget();

  config::Config cfg_;
  HostOptions options_;
  std::unique_ptr<db::DatabaseHandle> database_;
  std::shared_ptr<db::Pool> pool_;
  std::shared_ptr<plugins::PluginRegistry> registry_;
  std::shared_ptr<secrets::KeyRing> keyRing_;
  std::shared_ptr<ConfigSync> configSync_;  // this host's registration and its YAML's digest
  std::shared_ptr<queue::JobQueue> queue_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;  // role "all" with scheduler.enabled
  std::unique_ptr<Maintenance> maintenance_;         // role "all"
  std::shared_ptr<server::Router> router_;
  std::shared_ptr<http::HttpService> apiHttp_;  // the connect flow's token requests (GET /oauth/callback)
  std::shared_ptr<auth::OAuthCallback> oauthCallback_;
  std::shared_ptr<api::Api> api_;
  std::shared_ptr<api::EventHub> events_;           // the API's server-sent event streams
  std::unique_ptr<webhooks::Dispatcher> webhooks_;  // role "all", with a key ring
  std::unique_ptr<server::HttpServer> http_;
  std::string apiUrl_;
  bool started_ = false;
};

}  // namespace tributary::app
