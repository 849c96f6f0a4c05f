#include "AuthE2eSupport.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <set>
#include <stdexcept>

#include "SecretSweep.h"
#include "auth/CredentialStore.h"
#include "common/Strings.h"
#include "secrets/KeyRing.h"

namespace tributary::test::auth_e2e {
namespace fs = std::filesystem;

std::string salesforceScenario(int opportunities, bool rotate, int contacts, int accounts) {
  // Threads for every keep-alive connection the tests' processes hold at once (the hosts' workers,
  // serve's token requests, the test itself): the simulator's 4 would queue a fifth for 30 s.
  return "seed: 16\n"
         "server: {threads: 16}\n"
         "vendors:\n"
         "  salesforce:\n"
         "    objects: {Opportunity: " +
         std::to_string(opportunities) + ", Contact: " + std::to_string(contacts) +
         ", Account: " + std::to_string(accounts) +
         "}\n"
         "    query: {page_size: 10}\n"
         "    auth: {rotate_refresh_tokens: " +
         (rotate ? "true" : "false") + "}\n";
}

Secrets::Secrets() {
  // With database.url the hosts share one key file, made once (as `tributary secrets rotate-key`
  // does on the first host) and given to each.
  keyFile = dir / "secret.key";
  secrets::KeyRing::loadOrCreate(keyFile);
  clientSecretFile = dir.write("client-secret", "salesforce-secret");
}

std::string oauthConnectionYaml(const std::string& name, const Simulator& sim, const Secrets& secrets,
                                const std::string& settings, const std::string& redirectUri,
                                const std::string& credential) {
  const std::string base = sim.baseUrl("salesforce");
  return "  - workspace: acme\n    name: " + name + "\n    connector: tributary.fixture_auth\n    settings: {" +
         settings +
         "}\n    auth:\n      type: oauth2\n      client_id: salesforce-client\n"
         "      client_secret: {secret_file: \"" +
         secrets.clientSecretFile.string() + "\"}\n      authorize_url: \"" + base +
         "/services/oauth2/authorize\"\n      token_url: \"" + base + "/services/oauth2/token\"\n" +
         (redirectUri.empty() ? "" : "      redirect_uri: \"" + redirectUri + "\"\n") +
         (credential.empty() ? "" : "      credential: " + credential + "\n");
}

std::vector<int> AuthHost::workerPids() const {
  std::vector<int> out;
  for (const auto& w : ready["workers"]) out.push_back(w["pid"].get<int>());
  return out;
}

std::unique_ptr<AuthHost> startAuthHost(QueueDatabase& q, const std::string& name, const Secrets& secrets,
                                        const std::string& connections, int concurrency, int port) {
  auto h = std::make_unique<AuthHost>();
  const auto plugins = buildDir() / "tests" / "fixture-plugins-auth";
  h->config =
      h->dir.write("tributary.yaml",
                   "state_dir: " + (h->dir / "state").string() + "\ndatabase:\n  url: \"" + q.db.conninfo() +
                       "\"\nplugins: {dirs: [\"" + plugins.string() +
                       "\"]}\n"
                       "secrets: {key_file: \"" +
                       secrets.keyFile.string() +
                       "\"}\n"
                       "workers: {processes: 1, concurrency: " +
                       std::to_string(concurrency) +
                       "}\n"
                       "queue: {poll_interval: 200ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                       " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                       "workspaces: [{slug: acme}]\n"
                       "connections:\n" +
                       connections);
  const auto readyFile = h->dir / "ready.json";
  h->serve = std::make_unique<ServerProcess>(
      std::vector<std::string>{tributaryBinary().string(), "serve", "--config", h->config.string(), "--port",
                               std::to_string(port), "--ready-file", readyFile.string()},
      h->dir / (name + ".log"));
  h->logFile = h->dir / (name + ".log");
  auto r = h->serve->waitForReadyFile(readyFile);
  if (!r) throw std::runtime_error(name + " did not start:\n" + h->log());
  h->ready = *r;
  return h;
}

int runTributary(const AuthHost& host, std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<std::string> argv{tributaryBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(host.config.string());
  auto r = runProgram(argv);
  out = r.output;
  err.clear();
  return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status);
}

HttpResult connect(const AuthHost& host, const std::string& connection, std::string* callbackUrl) {
  std::string out, err;
  const int rc = runTributary(
      host, {"oauth", "authorize", "acme", connection, "--json", "--redirect-uri", host.apiUrl() + "/oauth/callback"},
      out, err);
  if (rc != 0) throw std::runtime_error("tributary oauth authorize exited " + std::to_string(rc) + ": " + err + out);
  const Json printed = Json::parse(out.substr(std::min(out.find('{'), out.size())));
  const auto page = httpGet(printed["url"].get<std::string>());
  std::string location;
  for (const auto& [k, v] : page.headers) {
    if (strings::toLower(k) == "location") location = v;
  }
  if (page.status != 302 || location.empty()) {
    throw std::runtime_error("the simulator's authorize page answered " + std::to_string(page.status) + ": " +
                             page.body);
  }
  if (callbackUrl) *callbackUrl = location;
  return httpGet(location);
}

std::string enqueue(QueueDatabase& q, const std::string& connection, const std::vector<std::string>& streams,
                    const std::string& mode) {
  queue::EnqueueRequest r;
  r.kind = mode == "backfill" ? "backfill" : "sync";
  {
    auto c = q.pool->acquire();
    r.workspaceId = c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
  }
  r.connectionId = http_e2e::connectionId(q, connection);
  r.priority = queue::kPriorityManual;
  r.payload = Json{{"mode", mode}};
  if (!streams.empty()) r.payload["streams"] = streams;
  return q.queue->enqueue(r).jobId;
}

std::vector<LoggedRequest> tokenRequests(const Simulator& sim) {
  return sim.requests("/services/oauth2/token", "salesforce");
}

std::vector<std::string> storedTokens(QueueDatabase& q, const Secrets& secrets, const std::string& connection,
                                      const std::string& credential) {
  secrets::KeyRing ring(secrets.keyFile);
  auto c = q.pool->acquire();
  auto stored = auth::CredentialStore(ring).load(
      *c, credential.empty() ? "connection:" + http_e2e::connectionId(q, connection) : "shared:" + credential);
  std::vector<std::string> out;
  if (stored) {
    if (!stored->accessToken.empty()) out.push_back(stored->accessToken);
    if (!stored->refreshToken.empty()) out.push_back(stored->refreshToken);
  }
  return out;
}

std::set<std::string> liveIds(QueueDatabase& q, const std::string& connection, const std::string& stream) {
  const std::string id = http_e2e::connectionId(q, connection);
  auto c = q.pool->acquire();
  auto r =
      c->exec("SELECT source_id FROM records WHERE connection_id = $1::uuid AND stream = $2 AND deleted_at IS NULL", id,
              stream);
  std::set<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.insert(r.text(i, 0));
  return out;
}

std::vector<std::string> sweep(QueueDatabase& q, const std::vector<std::string>& secrets,
                               const std::vector<const AuthHost*>& hosts) {
  std::vector<std::filesystem::path> logs;
  for (const auto* h : hosts) logs.push_back(h->logFile);
  auto hits = findSecrets(q, secrets, logs);
  TempDir dump;
  for (auto& hit : findSecretsInDump(q.db.conninfo(), secrets, dump / "dump.sql")) hits.push_back(std::move(hit));
  return hits;
}

}  // namespace tributary::test::auth_e2e
