#include "ApiTestSupport.h"

#include <signal.h>

#include <fstream>
#include <map>
#include <thread>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "common/Files.h"

namespace tributary::test::api_e2e {

std::string hostConfig(const std::string& conninfo, const std::filesystem::path& stateDir, const HostOptions& o) {
  std::string y = "state_dir: \"" + stateDir.string() + "\"\n";
  y += "database:\n  url: \"" + conninfo + "\"\n";
  y += "plugins: {dirs: [\"" + std::string(TRIBUTARY_TEST_PLUGIN_DIR) + "\"";
  for (const auto& d : o.pluginDirs) y += ", \"" + d + "\"";
  y += "]}\n";
  y += "workers: {processes: " + std::to_string(o.workerProcesses) + ", concurrency: 4}\n";
  y += "queue: {poll_interval: 500ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
       " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n";
  y += std::string("scheduler: {enabled: ") + (o.scheduler ? "true" : "false") + "}\n";
  y += "workspaces:\n";
  for (int w = 1; w <= o.workspaces; ++w)
    y += "  - {slug: ws" + std::to_string(w) + ", name: Workspace " + std::to_string(w) + "}\n";
  y += "connections:\n";
  for (int w = 1; w <= o.workspaces; ++w) {
    for (int c = 1; c <= o.connectionsPerWorkspace; ++c) {
      y += "  - {workspace: ws" + std::to_string(w) + ", name: example" + (c == 1 ? std::string() : std::to_string(c)) +
           ", connector: tributary.example, settings: " + o.connectionSettings + "}\n";
    }
  }
  y += o.extraYaml;
  return y;
}

ApiHost::ApiHost(const std::string& conninfo, HostOptions options) {
  if (options.keyFile) {
    const std::string keyYaml = "secrets: {key_file: \"" + (dir_ / "secret.key").string() + "\"}\n";
    const auto keyCfg = dir_.write("keys.yaml", "database:\n  url: \"" + conninfo + "\"\n" + keyYaml);
    auto migrated = runProgram({tributaryBinary().string(), "migrate", "--config", keyCfg.string()});
    if (!migrated.ok()) throw std::runtime_error("migrate failed:\n" + migrated.output);
    auto made = runProgram({tributaryBinary().string(), "secrets", "rotate-key", "--config", keyCfg.string()});
    if (!made.ok()) throw std::runtime_error("secrets rotate-key failed:\n" + made.output);
    options.extraYaml += keyYaml;
  }
  config_ = dir_.write("tributary.yaml", hostConfig(conninfo, dir_ / "state", options));
  start();
}

void ApiHost::kill() {
  if (!serve_) return;
  // The whole group: the worker processes die with the host, as when its machine goes.
  ::kill(-serve_->pid(), SIGKILL);
  serve_->signal(SIGKILL);
  serve_->waitForExit(std::chrono::seconds(20));
  serve_.reset();
}

void ApiHost::restart() {
  if (serve_) serve_->stop();
  serve_.reset();
  std::filesystem::remove(dir_ / "ready.json");
  start();
}

void ApiHost::start() {
  serve_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{tributaryBinary().string(), "serve", "--config", config_.string(), "--port", "0",
                               "--ready-file", (dir_ / "ready.json").string()},
      dir_ / "serve.log", std::map<std::string, std::string>{}, true);
  auto ready = serve_->waitForReadyFile(dir_ / "ready.json");
  if (!ready) throw std::runtime_error("serve did not start:\n" + serve_->log());
  url_ = ready->at("api_url").get<std::string>();
  // The first start on a database writes the admin token; a later host on the same database
  // (a restart with another state dir) makes its own.
  const std::filesystem::path tokenFile = ready->at("admin_token_file").get<std::string>();
  if (std::filesystem::exists(tokenFile)) {
    std::string token = files::readFile(tokenFile);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    adminToken_ = token;
  } else {
    adminToken_ = createToken("", "test admin");
  }
}

ApiHost::~ApiHost() {
  if (serve_) serve_->stop();
}

HttpResult ApiHost::call(const std::string& method, const std::string& path, const std::string& body,
                         const std::optional<std::string>& token, std::map<std::string, std::string> headers) const {
  if (token && !token->empty()) headers["Authorization"] = "Bearer " + *token;
  if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
  return httpRequest(method, url_ + path, body, headers);
}

process::RunResult ApiHost::cli(std::vector<std::string> args) const {
  std::vector<std::string> argv = {tributaryBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config_.string());
  return runProgram(argv);
}

std::string ApiHost::createToken(const std::string& workspace, const std::string& name) const {
  std::vector<std::string> args = {"tokens", "create"};
  if (workspace.empty()) {
    args.push_back("--admin");
  } else {
    args.push_back("--workspace");
    args.push_back(workspace);
  }
  if (!name.empty()) {
    args.push_back("--name");
    args.push_back(name);
  }
  auto r = cli(args);
  auto at = r.output.find("trb_");
  if (!r.ok() || at == std::string::npos || at + 47 > r.output.size()) {
    throw std::runtime_error("tokens create failed: " + r.output);
  }
  return r.output.substr(at, 47);
}

Json ApiHost::waitForJob(const std::string& workspace, const std::string& jobId,
                         std::chrono::milliseconds timeout) const {
  Json last;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto r = admin("GET", "/api/workspaces/" + workspace + "/sync/jobs/" + jobId);
    if (r.status == 200) {
      last = r.json();
      const std::string s = last.value("status", "");
      if (s != "pending" && s != "running") return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("job " + jobId + " did not finish: " + last.dump() + "\n" + log());
}

RawReply rawExchange(const std::string& url, const std::string& request, std::chrono::milliseconds timeout) {
  Poco::URI uri(url);
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
  s.setReceiveTimeout(
      Poco::Timespan(static_cast<long>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000));
  const auto start = std::chrono::steady_clock::now();
  RawReply out;
  if (!request.empty()) s.sendBytes(request.data(), static_cast<int>(request.size()));
  char buf[4096];
  try {
    while (true) {
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) {
        out.closedByServer = true;
        break;
      }
      out.text.append(buf, static_cast<size_t>(n));
      // A whole reply with a length: done without waiting for the close.
      auto head = out.text.find("\r\n\r\n");
      auto cl = out.text.find("Content-Length: ");
      if (head != std::string::npos && cl != std::string::npos && cl < head) {
        const size_t len = std::stoul(out.text.substr(cl + 16));
        if (out.text.size() >= head + 4 + len) break;
      }
    }
  } catch (const Poco::TimeoutException&) {
  }
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out.statusLine = out.text.substr(0, out.text.find("\r\n"));
  return out;
}

}  // namespace tributary::test::api_e2e
