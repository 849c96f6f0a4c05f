#include "TestSupport.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <functional>
#include <sstream>
#include <thread>

#include "common/Files.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "db/Connection.h"

namespace fs = std::filesystem;

namespace tributary::test {

std::string fixtureConninfo() {
  const char* dir = std::getenv("TRIBUTARY_TEST_PGDIR");
  if (!dir) {
    ADD_FAILURE() << "TRIBUTARY_TEST_PGDIR is not set: run this test through ctest, which starts "
                     "the PostgreSQL fixture";
    throw std::runtime_error("no PostgreSQL fixture");
  }
  auto file = fs::path(dir) / "conninfo";
  try {
    return std::string(strings::trim(files::readFile(file)));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the PostgreSQL fixture did not run (" << e.what()
                  << "): run through ctest, which runs fixture.postgres.start first";
    throw;
  }
}

namespace {

std::string currentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string raw = info ? std::string(info->test_suite_name()) + "_" + info->name() : "adhoc";
  std::string out;
  for (char c : strings::toLower(raw)) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

std::string withDbname(const std::string& conninfo, const std::string& db) { return conninfo + " dbname=" + db; }

}  // namespace

TestDatabase::TestDatabase() : TestDatabase("") {}

TestDatabase::TestDatabase(const std::string& suffix) {
  std::string base = "t_" + currentTestName() + (suffix.empty() ? "" : "_" + suffix);
  if (base.size() > 60) base = base.substr(0, 47) + "_" + hash::sha256Hex(base).substr(0, 12);
  name_ = base;
  const std::string admin = fixtureConninfo();
  db::Connection c(admin);
  c.execScript("DROP DATABASE IF EXISTS " + strings::quoteIdent(name_) + " WITH (FORCE)");
  c.execScript("CREATE DATABASE " + strings::quoteIdent(name_));
  conninfo_ = withDbname(admin, name_);
}

TestDatabase::~TestDatabase() {
  if (std::getenv("TRIBUTARY_KEEP_TEST_DB")) return;
  try {
    db::Connection c(fixtureConninfo());
    c.execScript("DROP DATABASE IF EXISTS " + strings::quoteIdent(name_) + " WITH (FORCE)");
  } catch (...) {
  }
}

std::string TestDatabase::url() const {
  // libpq accepts key=value strings wherever it takes a URL.
  return conninfo_;
}

TempDir::TempDir() {
  std::string tmpl = "/tmp/trib-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  ::chmod(tmpl.c_str(), 0755);
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (std::getenv("TRIBUTARY_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& relative, const std::string& content) const {
  auto p = path_ / relative;
  fs::create_directories(p.parent_path());
  files::writeFileAtomic(p, content);
  return p;
}

fs::path tributaryBinary() { return fs::path(TRIBUTARY_BUILD_DIR) / "bin" / "tributary"; }
fs::path sourceDir() { return TRIBUTARY_SOURCE_DIR; }
fs::path buildDir() { return TRIBUTARY_BUILD_DIR; }
fs::path migrationsDir() { return sourceDir() / "migrations"; }

ServerProcess::ServerProcess(std::vector<std::string> argv, fs::path logFile, std::map<std::string, std::string> env,
                             bool ownProcessGroup)
    : logFile_(std::move(logFile)) {
  process::SpawnOptions o;
  o.argv = std::move(argv);
  o.outputFile = logFile_.string();
  o.env = std::move(env);
  o.newProcessGroup = ownProcessGroup;
  // If the test dies, its servers die with it.
  o.parentDeathSignal = SIGKILL;
  child_ = process::Child::spawn(o);
}

ServerProcess::~ServerProcess() {
  if (!exited_) stop(std::chrono::seconds(10));
}

std::optional<Json> ServerProcess::waitForReadyFile(const fs::path& file, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (fs::exists(file, ec)) {
      try {
        return Json::parse(files::readFile(file));
      } catch (...) {
      }
    }
    if (auto st = child_.poll()) {
      exited_ = true;
      status_ = *st;
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::optional<int> ServerProcess::waitForExit(std::chrono::milliseconds timeout) {
  if (exited_) return status_;
  auto st = child_.waitFor(timeout);
  if (st) {
    exited_ = true;
    status_ = *st;
  }
  return st;
}

void ServerProcess::signal(int sig) { child_.signal(sig); }

int ServerProcess::stop(std::chrono::milliseconds grace) {
  if (exited_) return status_;
  child_.signal(SIGTERM);
  auto st = child_.waitFor(grace);
  if (!st) {
    child_.signal(SIGKILL);
    st = child_.wait();
  }
  exited_ = true;
  status_ = *st;
  return status_;
}

std::string ServerProcess::log() const {
  try {
    return files::readFile(logFile_);
  } catch (...) {
    return "";
  }
}

process::RunResult runProgram(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  process::SpawnOptions o;
  o.argv = argv;
  o.env = env;
  return process::run(o);
}

Json HttpResult::json() const { return Json::parse(body); }

HttpResult httpRequest(const std::string& method, const std::string& url, const std::string& body,
                       const std::map<std::string, std::string>& headers) {
  HttpResult out;
  try {
    Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      if (!req.has("Content-Type")) req.setContentType("application/json");
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.status = res.getStatus();
    out.body = ss.str();
    for (const auto& [k, v] : res) out.headers[strings::toLower(k)] = v;
  } catch (const std::exception& e) {
    out.status = 0;
    out.body = e.what();
  }
  return out;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string adminTokenOf(const Json& readyFile) {
  std::string token = files::readFile(readyFile.at("admin_token_file").get<std::string>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

HttpResult httpGetAsAdmin(const Json& readyFile, const std::string& url) {
  return httpRequest("GET", url, "", {{"Authorization", "Bearer " + adminTokenOf(readyFile)}});
}

}  // namespace tributary::test
