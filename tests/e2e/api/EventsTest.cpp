// GET .../sync/jobs/{job}/events: server-sent events pushed as they are committed, resumed with
// Last-Event-ID, reachable with a stream token in the query, bounded by api.max_streams, and
// never holding a request thread.
#include <gtest/gtest.h>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

struct Event {
  std::optional<int64_t> id;
  std::string type;
  Json data;
};

// One event stream read as a client reads it: the status line, then events as they arrive.
class StreamClient {
 public:
  StreamClient(const std::string& url, const std::string& path, const std::map<std::string, std::string>& headers) {
    Poco::URI uri(url);
    socket_.connect(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
    socket_.setReceiveTimeout(Poco::Timespan(30, 0));
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "\r\n";
    socket_.sendBytes(req.data(), static_cast<int>(req.size()));
    while (buffer_.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    const auto end = buffer_.find("\r\n\r\n");
    head = buffer_.substr(0, end);
    buffer_ = end == std::string::npos ? "" : buffer_.substr(end + 4);
    status = head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0;
  }
  // The next event (comments skipped); none when the server closed.
  std::optional<Event> next() {
    while (true) {
      const auto at = buffer_.find("\n\n");
      if (at != std::string::npos) {
        std::string block = buffer_.substr(0, at);
        buffer_ = buffer_.substr(at + 2);
        Event e;
        bool any = false;
        for (const auto& line : splitLines(block)) {
          if (line.empty() || line[0] == ':') {
            if (line.rfind(": keepalive", 0) == 0) ++keepalives;
            continue;
          }
          any = true;
          if (line.rfind("id: ", 0) == 0) e.id = std::stoll(line.substr(4));
          if (line.rfind("event: ", 0) == 0) e.type = line.substr(7);
          if (line.rfind("data: ", 0) == 0) e.data = Json::parse(line.substr(6));
        }
        if (any) return e;
        continue;
      }
      if (!fill()) return std::nullopt;
    }
  }
  // Every event until the server closes.
  std::vector<Event> all() {
    std::vector<Event> out;
    while (auto e = next()) out.push_back(*e);
    return out;
  }
  void close() { socket_.close(); }

  int status = 0;
  std::string head;
  int keepalives = 0;

 private:
  static std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
      auto nl = s.find('\n', start);
      if (nl == std::string::npos) nl = s.size();
      out.push_back(s.substr(start, nl - start));
      start = nl + 1;
    }
    return out;
  }
  bool fill() {
    char buf[4096];
    try {
      const int n = socket_.receiveBytes(buf, sizeof buf);
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  Poco::Net::StreamSocket socket_;
  std::string buffer_;
};

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::vector<int64_t> idsOf(const std::vector<Event>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events) {
    if (e.id) out.push_back(*e.id);
  }
  return out;
}

// Ten pages of 50 ms: progress to see, and time to see it in.
const std::string kSlow = "{records: 100, page_size: 10, latency_ms: 50}";

// A client that sends its request and then reads nothing, on a socket whose receive buffer is
// as small as the kernel allows: what the server sends it piles up.
class StalledClient {
 public:
  StalledClient(const std::string& url, const std::string& path, const std::string& token) {
    Poco::URI uri(url);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uri.getPort());
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    if (connected) connected = ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  ~StalledClient() { ::close(fd_); }
  // Everything the server sent, read now until it closes (or 30 s pass).
  std::string drain() {
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  bool connected = false;

 private:
  int fd_ = -1;
};

}  // namespace

// A client that follows a workspace sync sees its state, each child's progress as it is
// committed, and the final state, then the stream ends.
TEST(Events, AFollowerSeesProgressAndTheFinalStateOfASync) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionsPerWorkspace = 2;
  o.connectionSettings = kSlow;
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  const std::string job = s.json()["jobId"];
  StreamClient c(host.url(), "/api/workspaces/ws1/sync/jobs/" + job + "/events", bearer(host.adminToken()));
  ASSERT_EQ(c.status, 200) << c.head;
  EXPECT_NE(c.head.find("Content-Type: text/event-stream"), std::string::npos) << c.head;
  const auto events = c.all();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front().type, "job");
  EXPECT_EQ(events.front().data["id"], job);
  EXPECT_EQ(events.back().type, "end");
  EXPECT_EQ(events.back().data["status"], "completed");
  const Event& last = events[events.size() - 2];
  EXPECT_EQ(last.type, "job");
  EXPECT_EQ(last.data["status"], "completed");
  EXPECT_EQ(last.data["result"]["totalRecords"], 800);
  int progress = 0, completed = 0;
  std::set<std::string> children;
  for (const auto& e : events) {
    if (e.type == "sync.progress") ++progress;
    if (e.type == "sync.completed") ++completed;
    if (e.id) children.insert(e.data["jobId"].get<std::string>());
  }
  EXPECT_GE(progress, 4) << "progress as pages commit";
  EXPECT_EQ(completed, 2) << "one per connection";
  EXPECT_EQ(children.size(), 2u) << "the events of both children";
  auto ids = idsOf(events);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "an id twice";

  // A finished job's stream: its events, its final state, the end, at once.
  StreamClient again(host.url(), "/api/workspaces/ws1/sync/jobs/" + job + "/events", bearer(host.adminToken()));
  const auto replay = again.all();
  EXPECT_EQ(idsOf(replay), ids);
  EXPECT_EQ(replay.back().type, "end");
  // ... or those after ?lastEventId=, then the final state and the end.
  const int64_t middle = ids[ids.size() / 2];
  StreamClient rest(host.url(),
                    "/api/workspaces/ws1/sync/jobs/" + job + "/events?lastEventId=" + std::to_string(middle),
                    bearer(host.adminToken()));
  const auto tail = rest.all();
  EXPECT_EQ(idsOf(tail), std::vector<int64_t>(ids.begin() + static_cast<long>(ids.size() / 2) + 1, ids.end()));
  ASSERT_GE(tail.size(), 3u);
  EXPECT_EQ(tail.front().type, "job");
  EXPECT_EQ(tail[tail.size() - 2].data["status"], "completed");
  EXPECT_EQ(tail.back().type, "end");
}

// A follower that loses its connection mid-sync and comes back with Last-Event-ID gets every
// event after that one, and none twice.
TEST(Events, AReconnectWithLastEventIdMissesNothing) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = kSlow;
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  const std::string job = s.json()["jobId"];
  const std::string path = "/api/workspaces/ws1/sync/jobs/" + job + "/events";
  std::vector<int64_t> seen;
  {
    StreamClient c(host.url(), path, bearer(host.adminToken()));
    ASSERT_EQ(c.status, 200);
    while (seen.size() < 3) {
      auto e = c.next();
      ASSERT_TRUE(e) << "the stream ended before three events";
      if (e->id) seen.push_back(*e->id);
    }
    c.close();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // events go on meanwhile
  auto h = bearer(host.adminToken());
  h["Last-Event-ID"] = std::to_string(seen.back());
  StreamClient resumed(host.url(), path, h);
  ASSERT_EQ(resumed.status, 200);
  for (auto id : idsOf(resumed.all())) seen.push_back(id);
  StreamClient full(host.url(), path, bearer(host.adminToken()));
  EXPECT_EQ(seen, idsOf(full.all()));
  EXPECT_EQ(host.waitForJob("ws1", job)["status"], "completed");
  StreamClient bad(host.url(), path, {{"Authorization", "Bearer " + host.adminToken()}, {"Last-Event-ID", "x"}});
  EXPECT_EQ(bad.status, 400);
}

// A browser's EventSource sends no header: a stream token in the query reaches that job's
// stream only, for its time, and no log line holds it.
TEST(Events, AStreamTokenReachesItsJobsStreamOnlyAndIsNotLogged) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {stream_token_ttl: 2s}\n";
  ApiHost host(db, o);
  const std::string ws = host.createToken("ws1");
  auto a = host.call("POST", "/api/workspaces/ws1/connectors/example/sync", "", ws);
  ASSERT_EQ(a.status, 202);
  const std::string job = a.json()["jobId"];
  host.waitForJob("ws1", job);
  auto b = host.call("POST", "/api/workspaces/ws1/connectors/example/sync", "", ws);
  ASSERT_EQ(b.status, 202);
  const std::string other = b.json()["jobId"];

  auto t = host.call("POST", "/api/workspaces/ws1/sync/jobs/" + job + "/events/token", "", ws);
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string token = t.json()["streamToken"];
  const std::string events = t.json()["eventsUrl"];
  EXPECT_EQ(events, "/api/workspaces/ws1/sync/jobs/" + job + "/events");
  StreamClient ok(host.url(), events + "?token=" + token, {});
  ASSERT_EQ(ok.status, 200) << ok.head;
  EXPECT_EQ(ok.all().back().type, "end");
  StreamClient wrongJob(host.url(), "/api/workspaces/ws1/sync/jobs/" + other + "/events?token=" + token, {});
  EXPECT_EQ(wrongJob.status, 404);
  EXPECT_EQ(host.call("GET", "/api/workspaces/ws1/sync/jobs/" + job, "", token).status, 401)
      << "a stream token is no API token";
  EXPECT_EQ(host.call("GET", events + "?token=" + ws).status, 401) << "an API token goes in the header";
  // Revoked: refused at once.
  auto t2 = host.call("POST", "/api/workspaces/ws1/sync/jobs/" + job + "/events/token", "", ws);
  ASSERT_EQ(t2.status, 201) << t2.body;
  const std::string revoked = t2.json()["streamToken"];
  EXPECT_EQ(StreamClient(host.url(), events + "?token=" + revoked, {}).status, 200);
  auto r = host.cli({"tokens", "revoke", revoked.substr(0, 10)});
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(StreamClient(host.url(), events + "?token=" + revoked, {}).status, 401);
  // The access log keeps the request line, with the token redacted.
  const std::string log = host.log();
  EXPECT_EQ(log.find(token), std::string::npos) << "the stream token is in the log";
  EXPECT_EQ(log.find(revoked), std::string::npos) << "the stream token is in the log";
  EXPECT_EQ(log.find(token.substr(4)), std::string::npos) << "part of the stream token is in the log";
  EXPECT_NE(log.find("GET " + events + "?token=[redacted] 200"), std::string::npos) << log;
  EXPECT_NE(log.find("GET " + events + "?token=[redacted] 401"), std::string::npos) << log;
  // Expired (api.stream_token_ttl: 2s).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  StreamClient expired(host.url(), events + "?token=" + token, {});
  EXPECT_EQ(expired.status, 401);
}

// Streams hold no request thread: with 2 request threads and 6 streams open the API answers;
// past api.max_streams (8) a stream is a 503 before anything streams, and a stream that closes
// gives its place back.
TEST(Events, StreamsNeverStarveTheApiAndAreBoundedByMaxStreams) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = "{records: 400, page_size: 5, latency_ms: 100}";
  o.extraYaml = "api: {threads: 2, max_streams: 8}\n";
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  const std::string job = s.json()["jobId"];
  const std::string path = "/api/workspaces/ws1/sync/jobs/" + job + "/events";
  std::vector<std::unique_ptr<StreamClient>> open;
  for (int i = 0; i < 6; ++i) {
    open.push_back(std::make_unique<StreamClient>(host.url(), path, bearer(host.adminToken())));
    ASSERT_EQ(open.back()->status, 200);
    ASSERT_TRUE(open.back()->next()) << "the first event";
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(host.call("GET", "/health").status, 200);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/status").status, 200);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + job).status, 200);
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<StreamClient>(host.url(), path, bearer(host.adminToken())));
    ASSERT_EQ(open.back()->status, 200);
  }
  auto ninth = rawExchange(host.url(),
                           "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                               host.adminToken() + "\r\nConnection: close\r\n\r\n",
                           std::chrono::seconds(10));
  EXPECT_EQ(ninth.statusLine, "HTTP/1.1 503 Service Unavailable") << ninth.text;
  EXPECT_NE(ninth.text.find("Retry-After: 5"), std::string::npos) << ninth.text;
  EXPECT_NE(ninth.text.find("Content-Type: application/json"), std::string::npos) << ninth.text;
  EXPECT_NE(ninth.text.find("\"code\":\"too_many_streams\""), std::string::npos) << ninth.text;
  EXPECT_NE(ninth.text.find("api.max_streams"), std::string::npos) << ninth.text;
  EXPECT_EQ(host.call("GET", "/health").status, 200) << "with every stream taken";
  // A client that goes away gives its place back (the server notices at once, not at its next
  // event).
  open[0]->close();
  open.erase(open.begin());
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    StreamClient retry(host.url(), path, bearer(host.adminToken()));
    admitted = retry.status == 200;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(admitted) << "a closed stream's place was not freed";
  host.admin("DELETE", "/api/workspaces/ws1/sync/jobs/" + job);
  // Every follower sees the cancelled job's end.
  for (auto& c : open) {
    const auto rest = c->all();
    ASSERT_FALSE(rest.empty());
    EXPECT_EQ(rest.back().type, "end");
    EXPECT_EQ(rest.back().data["status"], "cancelled");
  }
}

// A sync whose first page takes seconds: its stream stays quiet but for the keepalive
// comments; a stopping host closes it before its end (the client resumes with Last-Event-ID,
// here or elsewhere) and exits cleanly.
TEST(Events, AQuietStreamGetsKeepalivesAndTheHostStopsWithStreamsOpen) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = "{records: 10, page_size: 10, latency_ms: 5000}";
  o.extraYaml = "api: {stream_heartbeat: 200ms}\n";
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  const std::string path = "/api/workspaces/ws1/sync/jobs/" + s.json()["jobId"].get<std::string>() + "/events";
  StreamClient a(host.url(), path, bearer(host.adminToken()));
  StreamClient b(host.url(), path, bearer(host.adminToken()));
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  auto first = a.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, "job");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const int status = host.process().stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << process::describeStatus(status) << host.log();
  for (StreamClient* c : {&a, &b}) {
    const auto rest = c->all();
    for (const auto& e : rest) EXPECT_NE(e.type, "end") << "the sync went on for seconds";
    EXPECT_GE(c->keepalives, 3) << "a keepalive every 200 ms of a quiet second";
  }
}

// A client that stops reading is dropped once it has taken no byte for api.request_timeout:
// it costs a buffer, never a thread, and the follower beside it gets every event of the sync.
TEST(Events, AStalledClientIsDroppedAndOthersGetEverything) {
  test::TestDatabase db;
  HostOptions o;
  // 1,200 pages of 2 ms, each with its progress event: megabytes of events, which the stalled
  // clients' sockets cannot hold.
  o.connectionSettings = "{records: 3000, page_size: 10, latency_ms: 2}";
  o.extraYaml = "api: {request_timeout: 1s}\nsync: {progress_interval: 1ms}\n";
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  const std::string job = s.json()["jobId"];
  const std::string path = "/api/workspaces/ws1/sync/jobs/" + job + "/events";
  std::vector<std::unique_ptr<StalledClient>> stalled;
  for (int i = 0; i < 3; ++i) {
    stalled.push_back(std::make_unique<StalledClient>(host.url(), path, host.adminToken()));
    ASSERT_TRUE(stalled.back()->connected);
  }
  StreamClient reader(host.url(), path, bearer(host.adminToken()));
  ASSERT_EQ(reader.status, 200);
  const auto events = reader.all();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "end");
  EXPECT_EQ(events.back().data["status"], "completed");
  StreamClient full(host.url(), path, bearer(host.adminToken()));
  EXPECT_EQ(idsOf(events), idsOf(full.all()));
  for (auto& c : stalled) {
    const std::string got = c->drain();
    EXPECT_NE(got.find("HTTP/1.1 200 OK"), std::string::npos);
    EXPECT_EQ(got.find("event: end"), std::string::npos) << "a stalled client got to the end";
  }
  const std::string log = host.log();
  size_t drops = 0;
  for (auto at = log.find("event stream of job " + job + " dropped: its client"); at != std::string::npos;
       at = log.find("event stream of job " + job + " dropped: its client", at + 1)) {
    ++drops;
  }
  EXPECT_EQ(drops, stalled.size()) << log;
}

// `tributary sync --follow --api URL` queues through the API and follows the sync's events to
// its end: exit 0 with progress lines when it completes, 1 when it fails.
TEST(Events, SyncFollowOverTheApiPrintsProgressAndExitsWithTheOutcome) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = kSlow;
  o.extraYaml =
      "  - {workspace: ws1, name: broken, connector: tributary.example,"
      " settings: {records: 20, page_size: 5, fail_at_page: 1, fail_mode: fatal}}\n";
  ApiHost host(db, o);
  const std::string token = host.createToken("ws1");
  auto ok = test::runProgram({test::tributaryBinary().string(), "sync", "ws1", "--connection", "example", "--follow",
                              "--api", host.url(), "--token", token});
  EXPECT_TRUE(ok.ok()) << ok.output;
  EXPECT_NE(ok.output.find("queued a sync of 1 connection: job "), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("ws1/example  deals  "), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find(": completed, 400 records"), std::string::npos) << ok.output;
  auto failed = test::runProgram(
      {test::tributaryBinary().string(), "sync", "ws1", "--connection", "broken", "--follow", "--api", host.url()},
      {{"TRIBUTARY_TOKEN", token}});
  EXPECT_EQ(WEXITSTATUS(failed.status), 1) << failed.output;
  EXPECT_NE(failed.output.find(": failed, "), std::string::npos) << failed.output;
  // A workspace sync follows the parent: both children's progress, and the failure of one.
  auto both = test::runProgram(
      {test::tributaryBinary().string(), "sync", "ws1", "--follow", "--api", host.url(), "--token", token});
  EXPECT_EQ(WEXITSTATUS(both.status), 1) << both.output;
  EXPECT_NE(both.output.find("queued a sync of 2 connections: job "), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("ws1/example  deals  "), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("ws1/broken  failed: "), std::string::npos) << both.output;
  auto denied = test::runProgram(
      {test::tributaryBinary().string(), "sync", "ws1", "--api", host.url(), "--token", "trb_" + std::string(43, 'x')});
  EXPECT_EQ(WEXITSTATUS(denied.status), 1) << denied.output;
  EXPECT_NE(denied.output.find("answered 401: the token is unknown, revoked or expired"), std::string::npos)
      << denied.output;
}
