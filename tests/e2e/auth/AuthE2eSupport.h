#pragma once

// The host-owned credentials' end-to-end tests (issue 16): the Salesforce simulator's OAuth
// endpoints as a real process, real `tributary serve` hosts sharing one test database and one
// key file, the fixture plugin tributary.fixture_auth (tests/plugins/fixtures/fixture_auth_vendor.cpp),
// and the connect flow driven as a browser would: the CLI's authorize URL, the simulator's
// redirect, the host's callback.

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../http/HttpE2eSupport.h"

namespace tributary::test::auth_e2e {

using http_e2e::LoggedRequest;
using http_e2e::Simulator;

// A Salesforce scenario with `opportunities` (and 0 of the other objects unless given), pages of 10,
// the OAuth client salesforce-client/salesforce-secret; `rotate`: single-use refresh tokens.
std::string salesforceScenario(int opportunities, bool rotate, int contacts = 0, int accounts = 0);

// What a test's hosts share: the key file and the client secret file, in one temp dir.
struct Secrets {
  TempDir dir;
  std::filesystem::path keyFile;
  std::filesystem::path clientSecretFile;
  Secrets();
};

// One oauth2 connection of tributary.fixture_auth on workspace acme to the simulator's
// Salesforce, its redirect_uri `redirectUri` ("" for the default), sharing the credential
// `credential` ("" for its own). `settings` is added to the fixture's settings mapping.
std::string oauthConnectionYaml(const std::string& name, const Simulator& sim, const Secrets& secrets,
                                const std::string& settings = "", const std::string& redirectUri = "",
                                const std::string& credential = "");

struct AuthHost {
  TempDir dir;
  std::filesystem::path config;
  std::unique_ptr<ServerProcess> serve;
  std::filesystem::path logFile;  // serve's and its workers' output
  Json ready;
  std::string log() const { return serve ? serve->log() : ""; }
  std::string apiUrl() const { return ready["api_url"].get<std::string>(); }
  std::vector<int> workerPids() const;
};

// `tributary serve` on `q`'s database with the fixture plugins, secrets.key_file, and `connections`
// (YAML list items). `port`: 0 for any.
std::unique_ptr<AuthHost> startAuthHost(QueueDatabase& q, const std::string& name, const Secrets& secrets,
                                        const std::string& connections, int concurrency = 2, int port = 0);

// Runs `tributary ARGS... --config HOST's`; returns its exit code, its output (stdout and stderr) in
// `out` (`err` is cleared).
int runTributary(const AuthHost& host, std::vector<std::string> args, std::string& out, std::string& err);

// The connect flow as a browser runs it: `tributary oauth authorize` prints the URL (redirect_uri:
// the host's callback), the simulator's authorize page redirects, and the redirect is followed to the
// host. Returns the callback's answer; `callbackUrl` gets the URL it was sent to (to replay it).
HttpResult connect(const AuthHost& host, const std::string& connection, std::string* callbackUrl = nullptr);

// A sync job for the connection; `streams` empty: every stream. `mode` initial or backfill.
std::string enqueue(QueueDatabase& q, const std::string& connection, const std::vector<std::string>& streams = {},
                    const std::string& mode = "initial");

// Token requests the simulator saw (POST /services/oauth2/token), in order.
std::vector<LoggedRequest> tokenRequests(const Simulator& sim);

// The access and refresh tokens the hosts hold for the connection (its own credential, or the shared
// `credential`), opened with the key file: what the secret sweeps look for.
std::vector<std::string> storedTokens(QueueDatabase& q, const Secrets& secrets, const std::string& connection,
                                      const std::string& credential = "");

// The source ids of the connection's live records of `stream` (the fixture's streams are in the
// generic records table).
std::set<std::string> liveIds(QueueDatabase& q, const std::string& connection, const std::string& stream);

// The final sweep (issue 16, item 5): every text and JSON column of the test's database, a pg_dump
// of it, and every host's log, for `secrets` (the tokens the hosts held, the client secret). One line
// per hit, never the secret itself; empty when clean.
std::vector<std::string> sweep(QueueDatabase& q, const std::vector<std::string>& secrets,
                               const std::vector<const AuthHost*>& hosts);

}  // namespace tributary::test::auth_e2e
