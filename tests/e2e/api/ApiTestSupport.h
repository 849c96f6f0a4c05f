#pragma once

// The HTTP API's end-to-end tests (issue 17): a real `tributary serve` on a test database with
// workspaces of the example connector, driven over real HTTP with the tokens a user would use.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "TestSupport.h"

namespace tributary::test::api_e2e {

struct HostOptions {
  int workspaces = 1;               // ws1, ws2, ...
  int connectionsPerWorkspace = 1;  // example, example2, ...
  std::string connectionSettings = "{records: 50, page_size: 25}";
  std::string extraYaml;  // appended to the config (api:, queue:, ...)
  int workerProcesses = 1;
  bool scheduler = false;
  std::vector<std::string> pluginDirs;  // beside the example's
  // A key file (secrets.key_file), made before the host starts: what webhook secrets and OAuth
  // tokens are sealed with.
  bool keyFile = false;
};

// One `tributary serve` with its config in a temp dir; stopped (SIGTERM) when destroyed.
class ApiHost {
 public:
  ApiHost(TestDatabase& db, HostOptions options = {}) : ApiHost(db.conninfo(), std::move(options)) {}
  ApiHost(const std::string& conninfo, HostOptions options);
  ~ApiHost();

  const std::string& url() const { return url_; }
  const std::string& adminToken() const { return adminToken_; }
  const std::filesystem::path& configFile() const { return config_; }
  TempDir& dir() { return dir_; }
  ServerProcess& process() { return *serve_; }
  std::string log() const { return serve_->log(); }

  // METHOD url()+path with `token` (empty: none) as a Bearer token, and `body` when given.
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::optional<std::string>& token = std::nullopt,
                  std::map<std::string, std::string> headers = {}) const;
  // With the admin token.
  HttpResult admin(const std::string& method, const std::string& path, const std::string& body = "") const {
    return call(method, path, body, adminToken_);
  }
  // `tributary tokens create --workspace W` (or --admin when W is empty): the token printed.
  std::string createToken(const std::string& workspace, const std::string& name = "") const;
  // Runs `tributary ARGS --config CONFIG`; returns exit code, stdout and stderr.
  process::RunResult cli(std::vector<std::string> args) const;
  // SIGKILL: the host and its worker processes die at once, as in a crash.
  void kill();
  // Starts the host again on the same config and database (after kill() or with it running).
  void restart();
  // Polls GET /api/workspaces/WS/sync/jobs/ID until its status is final; returns its JSON.
  Json waitForJob(const std::string& workspace, const std::string& jobId,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  TempDir dir_;
  std::filesystem::path config_;
  void start();
  std::unique_ptr<ServerProcess> serve_;
  std::string url_;
  std::string adminToken_;
};

// What a raw exchange on a socket read back: the status line and all that followed, as sent.
struct RawReply {
  std::string statusLine;  // "HTTP/1.1 404 Not Found"
  std::string text;        // everything read, headers and body
  double ms = 0;           // from the first byte sent to the connection's end (or the reply's)
  bool closedByServer = false;
};
// Sends `request` as given on a new connection to `url`'s host and port, then reads until the
// server closes or `timeout` passes.
RawReply rawExchange(const std::string& url, const std::string& request,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A config for `options` against `conninfo`.
std::string hostConfig(const std::string& conninfo, const std::filesystem::path& stateDir, const HostOptions& options);

}  // namespace tributary::test::api_e2e
