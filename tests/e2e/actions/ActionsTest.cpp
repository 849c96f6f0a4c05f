// Actions (ABI 1.1 write-back, issue 14 item 8), end to end: the plain C and the C++ SDK
// fixtures run by a real `tributary serve`'s worker from `action` jobs in the PostgreSQL queue,
// and `tributary actions run|list` as a user types them. Every bad body, at the CLI and at the
// worker, has its exact error; the retry policy follows the action's idempotency.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "QueueTestSupport.h"
#include "actions/ActionJobs.h"
#include "common/Time.h"
#include "plugins/ConnectorPlugin.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

// Every way the fixtures' `fail` setting makes an action end; one connection per mode.
const std::vector<std::string> kModes = {"none", "retry", "fatal", "wait", "cancelled", "misuse", "bad_result"};

fs::path actionsPluginDir() { return test::buildDir() / "tests" / "fixture-plugins-actions"; }
std::string bin() { return test::tributaryBinary().string(); }

// The connection of fixture `lang` ("c", "cpp") whose actions end as `mode` says: "c", "c_retry".
std::string connectionName(const std::string& lang, const std::string& mode) {
  return mode == "none" ? lang : lang + "_" + mode;
}

// Order-insensitive comparison of JSON objects (the host's Json keeps insertion order).
nlohmann::json plain(const Json& j) { return nlohmann::json::parse(j.dump()); }
nlohmann::json plainText(const std::string& text) { return nlohmann::json::parse(text); }

// A serve with both fixtures and a connection per fixture and mode, on its own database, and
// the queue beside it.
class ActionsHost {
 public:
  ActionsHost() {
    std::string connections;
    for (const std::string lang : {"c", "cpp"}) {
      for (const auto& mode : kModes) {
        connections += "  - {workspace: acme, name: " + connectionName(lang, mode) +
                       ", connector: tributary.fixture_v11_actions_" + lang + ", settings: {fail: " + mode + "}}\n";
      }
    }
    cfg = dir.write("tributary.yaml",
                    "database:\n  url: \"" + db.conninfo() + "\"\nplugins: {dirs: [\"" + actionsPluginDir().string() +
                        "\"]}\n"
                        "workers: {processes: 1, concurrency: 4}\n"
                        "queue: {poll_interval: 500ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                        " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                        "workspaces: [{slug: acme}]\n"
                        "connections:\n" +
                        connections);
    serve = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{bin(), "serve", "--config", cfg.string(), "--port", "0", "--ready-file",
                                 (dir / "ready.json").string()},
        dir / "serve.log");
    auto ready = serve->waitForReadyFile(dir / "ready.json");
    if (!ready) throw std::runtime_error("serve did not start:\n" + serve->log());
    apiUrl = (*ready)["api_url"].get<std::string>();
    pool = std::make_shared<db::Pool>(db.conninfo(), config::PoolConfig{});
    queue = app::makeJobQueue(pool, test::QueueDatabase::fastQueueConfig());
  }

  std::string connectionId(const std::string& name) {
    auto c = pool->acquire();
    return c->exec("SELECT id FROM connections WHERE name = $1", name).text(0, 0);
  }
  std::string workspaceId() {
    auto c = pool->acquire();
    return c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
  }
  // An action job as `tributary actions run` queues it (the policy from the action's flags).
  std::string run(const std::string& lang, const std::string& mode, const std::string& action, const Json& body) {
    auto plugin = plugins::ConnectorPlugin::fromJson(pluginJson(lang));
    const auto* declared = plugin->findAction(action);
    if (!declared) throw std::runtime_error("no action " + action);
    return queue->enqueue(actions::actionJob(*declared, workspaceId(), connectionId(connectionName(lang, mode)), body))
        .jobId;
  }
  // Any payload, as another client might queue it: the worker checks it again.
  std::string runRaw(const std::string& lang, const Json& payload) {
    queue::EnqueueRequest r;
    r.kind = "action";
    r.workspaceId = workspaceId();
    r.connectionId = connectionId(lang);
    r.priority = queue::kPriorityManual;
    r.payload = payload;
    return queue->enqueue(r).jobId;
  }
  // The plugin as `plugins probe` reports it.
  Json pluginJson(const std::string& lang) {
    if (auto it = probed_.find(lang); it != probed_.end()) return it->second;
    auto r = test::runProgram({"/bin/sh", "-c",
                               "'" + bin() + "' plugins probe '" +
                                   (actionsPluginDir() / ("fixture_v11_actions_" + lang + ".so")).string() +
                                   "' 2>/dev/null"});
    return probed_[lang] = Json::parse(r.output)["plugins"][0];
  }
  queue::Job job(const std::string& id) { return *queue->get(id); }
  queue::Job waitJob(const std::string& id, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    queue::Job j;
    auto terminal = [](queue::JobStatus s) {
      return s == queue::JobStatus::Completed || s == queue::JobStatus::Failed || s == queue::JobStatus::Discarded ||
             s == queue::JobStatus::Cancelled;
    };
    if (!test::eventually([&] { return terminal((j = job(id)).status); }, timeout)) {
      ADD_FAILURE() << "job " << id << " did not end: " << j.toJson().dump(2) << "\n" << serve->log();
    }
    return j;
  }
  int64_t actionJobs() {
    auto c = pool->acquire();
    return c->exec("SELECT count(*) FROM jobs WHERE kind = 'action'").int64(0, 0);
  }
  process::RunResult cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(cfg.string());
    return test::runProgram(argv);
  }
  // stdout alone (stderr to a file, returned in `err`).
  process::RunResult cliStdout(const std::string& args, std::string& err) {
    const auto errFile = dir / "stderr.txt";
    auto r = test::runProgram(
        {"/bin/sh", "-c", "'" + bin() + "' " + args + " --config '" + cfg.string() + "' 2>'" + errFile.string() + "'"});
    std::ifstream in(errFile);
    err.assign(std::istreambuf_iterator<char>(in), {});
    return r;
  }

  test::TestDatabase db;
  test::TempDir dir;
  fs::path cfg;
  std::unique_ptr<test::ServerProcess> serve;
  std::string apiUrl;
  std::shared_ptr<db::Pool> pool;
  std::shared_ptr<queue::JobQueue> queue;

 private:
  std::map<std::string, Json> probed_;
};

class Actions : public ::testing::TestWithParam<std::string> {
 protected:
  std::string lang() const { return GetParam(); }
  std::string plugin() const { return "tributary.fixture_v11_actions_" + GetParam(); }
  std::string where(const std::string& action, const std::string& mode = "none") const {
    return "action '" + action + "' of acme/" + connectionName(lang(), mode);
  }
  ActionsHost host;
};

INSTANTIATE_TEST_SUITE_P(Fixture, Actions, ::testing::Values("c", "cpp"), [](const auto& info) { return info.param; });

TEST_P(Actions, AnActionRunsAsAJobAndItsResultIsTheJobs) {
  const auto id = host.run(lang(), "none", "echo", Json{{"note", "hi"}, {"loud", true}});
  auto j = host.waitJob(id);
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2);
  EXPECT_EQ(j.kind, "action");
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.maxAttempts, 3);  // idempotent: the usual policy
  // Queued as given (jsonb keeps no key order); the worker fills in the defaults.
  EXPECT_EQ(plain(j.payload), plainText(R"({"action":"echo","body":{"note":"hi","loud":true}})"));
  // The plugin got the body checked, with the defaults of what was left out, in declared order.
  const std::string handed = R"({"note":"hi","count":1,"ratio":0.5,"loud":true})";
  EXPECT_EQ(plain(j.result["result"]), plainText(R"({"action":"echo","body":)" + handed + "}"));
  EXPECT_EQ(j.result["action"], "echo");
  EXPECT_TRUE(j.result["duration_ms"].is_number_integer());
  EXPECT_EQ(j.result["http_calls"], 0);
  EXPECT_EQ(plain(j.result["counters"]), plainText(R"({"echo.calls":1})"));
  EXPECT_EQ(plain(j.result["facts"]), plainText("{\"body_bytes\":" + std::to_string(handed.size()) + "}"));

  // `tributary jobs show` is the record an operator reads.
  auto shown = host.cli({"jobs", "show", id});
  ASSERT_TRUE(test::exitedWith(shown.status, 0)) << shown.output;
  EXPECT_EQ(plain(Json::parse(shown.output)["result"]), plain(j.result));
}

TEST_P(Actions, AnActionThatSetsNoResultHasTheResultNull) {
  auto j = host.waitJob(host.run(lang(), "none", "ping", Json::object()));
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2);
  EXPECT_TRUE(j.result.contains("result"));
  EXPECT_TRUE(j.result["result"].is_null()) << j.result.dump();
  EXPECT_FALSE(j.result.contains("counters"));
}

TEST_P(Actions, AnActionReachesTheNetworkThroughTheHostOnly) {
  auto j = host.waitJob(host.run(lang(), "none", "fetch", Json{{"url", host.apiUrl + "/health"}}));
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2);
  EXPECT_EQ(plain(j.result["result"]), plainText(R"({"status":200})"));
  EXPECT_EQ(j.result["http_calls"], 1);
}

TEST_P(Actions, TheWorkerRefusesEveryBadBodyWithItsExactErrorBeforeThePluginRunsIt) {
  const std::string of = " of action 'echo' of " + plugin();
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json{{"note", "hi"}, {"nots", 1}},
       "action 'echo' of " + plugin() +
           " has no body field 'nots' (did you mean \"note\"?; known: note, count, ratio, loud)"},
      {Json{{"count", 2}}, "missing required body field 'note' (a string)" + of},
      {Json{{"note", "hi"}, {"count", "two"}},
       "body field 'count'" + of + " must be an integer, got \"two\" (a string)"},
      {Json{{"note", "hi"}, {"count", 1.5}}, "body field 'count'" + of + " must be an integer, got 1.5 (a number)"},
      {Json{{"note", 7}}, "body field 'note'" + of + " must be a string, got 7 (a number)"},
      {Json{{"note", "hi"}, {"loud", "yes"}},
       "body field 'loud'" + of + " must be a boolean (true or false), got \"yes\" (a string)"},
      {Json::array({"note"}),
       "the body of action 'echo' of " + plugin() + " must be a JSON object ({\"field\": value, ...}), got an array"},
  };
  std::vector<std::string> ids;
  for (const auto& [body, _] : cases) ids.push_back(host.runRaw(lang(), Json{{"action", "echo"}, {"body", body}}));
  for (size_t i = 0; i < cases.size(); ++i) {
    auto j = host.waitJob(ids[i]);
    EXPECT_EQ(j.status, queue::JobStatus::Failed) << cases[i].first.dump();
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.lastError.value_or(""), cases[i].second);
    // The plugin never ran: no result of its was stored.
    EXPECT_TRUE(j.result.is_null()) << j.result.dump();
  }
}

TEST_P(Actions, AnUnknownActionOrABadPayloadFailsWithItsExactError) {
  auto j = host.waitJob(host.runRaw(lang(), Json{{"action", "ech"}, {"body", Json::object()}}));
  EXPECT_EQ(j.status, queue::JobStatus::Failed);
  EXPECT_EQ(j.lastError.value_or(""), "unknown action 'ech' for " + plugin() +
                                          " (did you mean \"echo\"?; known: echo, send, ping, fetch, sleep)");
  const auto id = host.runRaw(lang(), Json{{"body", Json::object()}});
  j = host.waitJob(id);
  EXPECT_EQ(j.status, queue::JobStatus::Failed);
  EXPECT_EQ(j.lastError.value_or(""),
            "the payload of action job " + id + " has no \"action\" (the action's name, a string): {\"body\":{}}");
}

TEST_P(Actions, ANonIdempotentActionIsTriedOnceAndARetryFailsItSayingWhy) {
  const auto id = host.run(lang(), "retry", "send", Json{{"to", "ops"}});
  auto j = host.waitJob(id);
  EXPECT_EQ(j.status, queue::JobStatus::Failed) << j.toJson().dump(2);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.maxAttempts, 1);
  EXPECT_EQ(j.lastError.value_or(""),
            where("send", "retry") +
                ": fixture: the vendor answered 503 (not retried: the action is not idempotent, so it may have taken "
                "effect; check " +
                plugin() + "'s side, then `tributary jobs retry " + id + "` to run it again)");
  EXPECT_EQ(j.errors.size(), 1u);
}

TEST_P(Actions, AnIdempotentActionIsRetriedUnderThePolicy) {
  auto j = host.waitJob(host.run(lang(), "retry", "echo", Json{{"note", "hi"}}));
  EXPECT_EQ(j.status, queue::JobStatus::Discarded) << j.toJson().dump(2);
  EXPECT_EQ(j.attempts, 3);
  ASSERT_EQ(j.errors.size(), 3u);
  for (const auto& e : j.errors) {
    EXPECT_EQ(e["kind"], "retry");
    EXPECT_EQ(e["error"], where("echo", "retry") + ": fixture: the vendor answered 503");
  }
}

TEST_P(Actions, AFatalResultFailsTheJobAtOnce) {
  auto j = host.waitJob(host.run(lang(), "fatal", "echo", Json{{"note", "hi"}}));
  EXPECT_EQ(j.status, queue::JobStatus::Failed);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.lastError.value_or(""), where("echo", "fatal") + ": fixture: the vendor refused the write (400)");
}

TEST_P(Actions, AWaitParksTheJobUsingNoAttempt) {
  const auto before = std::chrono::system_clock::now();
  const auto id = host.run(lang(), "wait", "send", Json{{"to", "ops"}});
  queue::Job j;
  ASSERT_TRUE(test::eventually([&] {
    j = host.job(id);
    return j.status == queue::JobStatus::Pending && j.waitReason == std::optional<std::string>("rate_limit");
  })) << host.job(id).toJson().dump(2);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_GT(j.runAt, before + std::chrono::minutes(59));
  EXPECT_EQ(j.lastError.value_or(""), where("send", "wait") + ": fixture: rate limited for an hour");
  EXPECT_EQ(host.queue->cancel(id), queue::CancelOutcome::Cancelled);
}

TEST_P(Actions, ACancelledResultOrACancelOfARunningActionCancelsTheJob) {
  auto j = host.waitJob(host.run(lang(), "cancelled", "echo", Json{{"note", "hi"}}));
  EXPECT_EQ(j.status, queue::JobStatus::Cancelled);
  EXPECT_EQ(j.lastError.value_or(""),
            where("echo", "cancelled") + (lang() == "c" ? ": fixture: gave up" : ": cancelled"));

  // is_cancelled tells a running action that it was cancelled.
  const auto id = host.run(lang(), "none", "sleep", Json{{"ms", 60000}});
  ASSERT_TRUE(test::eventually([&] { return host.job(id).status == queue::JobStatus::Running; }));
  EXPECT_EQ(host.queue->cancel(id), queue::CancelOutcome::Requested);
  j = host.waitJob(id, std::chrono::seconds(20));
  EXPECT_EQ(j.status, queue::JobStatus::Cancelled);
  EXPECT_EQ(j.lastError.value_or(""), "cancelled on request");
}

TEST_P(Actions, AnActionThatCallsASyncServiceOrSetsABadResultFails) {
  auto j = host.waitJob(host.run(lang(), "misuse", "echo", Json{{"note", "hi"}}));
  EXPECT_EQ(j.status, queue::JobStatus::Failed);
  EXPECT_EQ(j.lastError.value_or(""), where("echo", "misuse") + ": plugin called " +
                                          (lang() == "c" ? "emit_record" : "commit_checkpoint") +
                                          " during action, where it is not available; fix the plugin");
  j = host.waitJob(host.run(lang(), "bad_result", "echo", Json{{"note", "hi"}}));
  EXPECT_EQ(j.status, queue::JobStatus::Failed);
  EXPECT_EQ(j.lastError.value_or(""),
            where("echo", "bad_result") + ": set_action_result: the result is not JSON text: 'not json'");
}

// Claims filter on what a worker can run for action jobs too: a connection no worker has in
// its YAML gets no claim, and the maintenance leader says why.
TEST_P(Actions, AnActionOfAConnectionNoWorkerCanRunIsLeftForOneThatCan) {
  std::string ghost;
  {
    auto c = host.pool->acquire();
    ghost =
        c->exec("INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, 'ghost', $2) RETURNING id",
                host.workspaceId(), plugin())
            .text(0, 0);
  }
  queue::EnqueueRequest r;
  r.kind = "action";
  r.workspaceId = host.workspaceId();
  r.connectionId = ghost;
  r.payload = Json{{"action", "ping"}, {"body", Json::object()}};
  const auto id = host.queue->enqueue(r).jobId;
  queue::Job j;
  ASSERT_TRUE(test::eventually(
      [&] {
        j = host.job(id);
        return j.waitReason == std::optional<std::string>("no_worker");
      },
      std::chrono::seconds(30)))
      << host.job(id).toJson().dump(2);
  EXPECT_EQ(j.status, queue::JobStatus::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_FALSE(j.workerId);
  // Never claimed: no worker had to decline it.
  EXPECT_EQ(j.lastError.value_or(""), "no running worker can run it (1 running, connection acme/ghost with connector " +
                                          plugin() +
                                          "): start a host whose workers run action jobs and have this connection "
                                          "and its connector");
  auto c = host.pool->acquire();
  EXPECT_EQ(c->exec("SELECT cardinality(declined_by) FROM jobs WHERE id = $1::uuid", id).int64(0, 0), 0);
}

// ---- the CLI ----

TEST_P(Actions, TheCliRefusesABadBodyBeforeQueueingAnything) {
  const std::string c = connectionName(lang(), "none");
  const std::string of = " of action 'echo' of " + plugin();
  const std::string nothing = "tributary actions run: nothing was queued (`tributary actions list acme " + c +
                              "` shows the actions and their "
                              "body fields)\n";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"echo", "--body", R"({"note": "hi", "nots": 1})"},
       "tributary actions run: action 'echo' of " + plugin() +
           " has no body field 'nots' (did you mean \"note\"?; known: note, count, ratio, loud)\n"},
      {{"echo", "--body", R"({"count": 1})"},
       "tributary actions run: missing required body field 'note' (a string)" + of + "\n"},
      {{"echo"}, "tributary actions run: missing required body field 'note' (a string)" + of + "\n"},
      {{"echo", "--body", R"({"note": "hi", "count": 1.5})"},
       "tributary actions run: body field 'count'" + of + " must be an integer, got 1.5 (a number)\n"},
      {{"echo", "--body", R"(["note"])"},
       "tributary actions run: the body of action 'echo' of " + plugin() +
           " must be a JSON object ({\"field\": value, ...}), got an array\n"},
      {{"echo", "--body", "{note: hi}"},
       "tributary actions run: the body of action 'echo' of " + plugin() +
           " is not valid JSON: parse error at line 1, column 3: syntax error while parsing object key - invalid "
           "literal; last read: '{no'; expected string literal\n"},
      {{"ech"},
       "tributary actions run: unknown action 'ech' for " + plugin() +
           " (did you mean \"echo\"?; known: echo, send, ping, fetch, sleep)\n"},
  };
  for (const auto& [args, expected] : cases) {
    std::vector<std::string> argv = {"actions", "run", "acme", c};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = host.cli(argv);
    EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
    EXPECT_EQ(r.output, expected + nothing);
  }
  EXPECT_EQ(host.actionJobs(), 0);

  auto r = host.cli({"actions", "run", "acme", "nope", "echo"});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("tributary actions run: no connection \"nope\" in workspace acme (its connections: c, "),
            std::string::npos)
      << r.output;
  r = host.cli({"actions", "run", "acme", c});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_EQ(r.output, "usage: tributary actions run WORKSPACE CONNECTION ACTION [--body JSON] [--wait]\n");
  EXPECT_EQ(host.actionJobs(), 0);
}

TEST_P(Actions, TheCliRunsAnActionAndWithWaitPrintsItsResult) {
  const std::string c = connectionName(lang(), "none");
  std::string err;
  auto r = host.cliStdout("actions run acme " + c + " echo --body '{\"note\": \"hi\"}' --wait", err);
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output << err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.output, m, std::regex("^queued action echo of acme/" + c + ": job ([0-9a-f-]{36})\n")))
      << r.output;
  const std::string id = m[1];
  const Json printed = Json::parse(r.output.substr(m[0].length()));
  const auto j = host.job(id);
  EXPECT_EQ(j.status, queue::JobStatus::Completed);
  EXPECT_EQ(plain(printed), plain(j.result));
  EXPECT_EQ(plain(printed["result"]),
            plainText(R"({"action":"echo","body":{"note":"hi","count":1,"ratio":0.5,"loud":false}})"));

  // Without --wait it prints the job and leaves it to the workers.
  r = host.cli({"actions", "run", "acme", c, "ping"});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  ASSERT_TRUE(std::regex_match(r.output, m, std::regex("queued action ping of acme/" + c + ": job ([0-9a-f-]{36})\n")))
      << r.output;
  EXPECT_EQ(host.waitJob(m[1]).status, queue::JobStatus::Completed);
}

TEST_P(Actions, TheCliWithWaitExitsNonZeroWithTheFailure) {
  const std::string c = connectionName(lang(), "retry");
  std::string err;
  auto r = host.cliStdout("actions run acme " + c + " send --body '{\"to\": \"ops\"}' --wait", err);
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.output, m, std::regex("queued action send of acme/" + c + ": job ([0-9a-f-]{36})\n")))
      << r.output;
  const std::string id = m[1];
  EXPECT_NE(
      err.find("tributary actions run: acme/" + c + " send: failed after 1 attempt(s): " + where("send", "retry") +
               ": fixture: the vendor answered 503 (not retried: the action is not idempotent, so it may have "
               "taken effect; check " +
               plugin() + "'s side, then `tributary jobs retry " + id + "` to run it again)\n"),
      std::string::npos)
      << err;
}

TEST_P(Actions, TheCliListsAConnectionsActionsAndTheirBodyFields) {
  const std::string c = connectionName(lang(), "none");
  auto r = host.cli({"actions", "list", "acme", c});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, plugin() + " 0.0.1, connection acme/" + c +
                          ":\n"
                          "  echo (idempotent): Echo the body back\n"
                          "      note: string, required. The text to echo\n"
                          "      count: integer, default 1. How many times\n"
                          "      ratio: number, default 0.5. A fraction\n"
                          "      loud: boolean, default false. Shout it\n"
                          "  send (not idempotent: tried once): Send a message (not idempotent)\n"
                          "      to: string, required. Who gets it\n"
                          "      text: string, default \"\". What it says\n"
                          "  ping (idempotent): Answer with no result\n"
                          "      no body fields\n"
                          "  fetch (idempotent): GET a URL through the host\n"
                          "      url: string, required. What to GET\n"
                          "  sleep (idempotent): Wait, until cancelled\n"
                          "      ms: integer, default 10000. How long\n");
  r = host.cli({"actions", "list", "acme", c, "--json"});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  const Json j = Json::parse(r.output);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["connector"], plugin());
  EXPECT_EQ(j[0]["connection"], "acme/" + c);
  EXPECT_EQ(j[0]["actions"][1]["name"], "send");
  EXPECT_EQ(j[0]["actions"][1]["idempotent"], false);
  EXPECT_EQ(j[0]["actions"][1]["body"][0]["key"], "to");

  // Every loaded connector, without a connection.
  r = host.cli({"actions", "list"});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find("tributary.fixture_v11_actions_c 0.0.1:\n  echo (idempotent)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("tributary.fixture_v11_actions_cpp 0.0.1:\n  echo (idempotent)"), std::string::npos)
      << r.output;

  r = host.cli({"actions", "list", "acme", "nope"});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_EQ(r.output.rfind("tributary actions list: no connection \"nope\" in workspace acme in " + host.cfg.string() +
                               " (its connections: c, c_retry, ",
                           0),
            0u)
      << r.output;
  r = host.cli({"actions", "list", "acme"});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_EQ(r.output, "usage: tributary actions list [WORKSPACE CONNECTION] [--json]\n");
}

// Not per fixture: the command group's help.
TEST(ActionsCli, TheGroupsHelpListsItsCommands) {
  auto r = test::runProgram({bin(), "actions", "--help"});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output,
            "usage: tributary actions COMMAND [options]   (tributary actions COMMAND --help for details)\n\n"
            "commands:\n"
            "  actions run     run a connector's action (write-back) as a job (--wait prints its result)\n"
            "  actions list    list the connectors' actions and their body fields (no database needed)\n");
  r = test::runProgram({bin(), "actions", "run", "--help"});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_NE(r.output.find("WORKSPACE CONNECTION ACTION [--body JSON] [--wait]"), std::string::npos) << r.output;
}

}  // namespace
