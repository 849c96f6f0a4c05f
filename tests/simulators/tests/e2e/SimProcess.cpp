#include "SimProcess.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tributary::sim::testing {
namespace {

std::string makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tributary-sim-e2e-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

int spawn(const std::string& scenario, const std::string& readyFile, const std::string& stderrFile) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* err = std::freopen(stderrFile.c_str(), "w", stderr);
    (void)err;
    execl(TRIBUTARY_SIM_BINARY, TRIBUTARY_SIM_BINARY, "--scenario", scenario.c_str(), "--port", "0", "--ready-file",
          readyFile.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

}  // namespace

SimProcess::SimProcess(const std::string& scenarioYaml) : dir_(makeTempDir()) {
  const std::string scenario = dir_ + "/scenario.yaml";
  std::ofstream(scenario) << scenarioYaml;
  readyFile_ = dir_ + "/ready.json";
  pid_ = spawn(scenario, readyFile_, dir_ + "/stderr.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(readyFile_)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      std::ifstream err(dir_ + "/stderr.txt");
      throw std::runtime_error("tributary-sim exited before it was ready: " +
                               std::string(std::istreambuf_iterator<char>(err), {}));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      throw std::runtime_error("tributary-sim wrote no ready file in 20 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(readyFile_);
  ready_ = nlohmann::json::parse(in);
}

SimProcess::~SimProcess() {
  if (!stopped_) stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

int SimProcess::stop() {
  if (stopped_) return 0;
  stopped_ = true;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool SimProcess::readyFileExists() const { return std::filesystem::exists(readyFile_); }

std::string SimProcess::baseUrl(const std::string& vendor) const { return ready_["vendors"][vendor]["base_url"]; }

std::string SimProcess::adminUrl(const std::string& vendor) const { return ready_["vendors"][vendor]["admin_url"]; }

HttpResult SimProcess::request(const std::string& method, const std::string& url, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  const Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(30, 0));
  return send(session, method, uri.getPathAndQuery(), body, headers);
}

HttpResult SimProcess::send(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& target,
                            const std::string& body, const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!request.has("Content-Type")) request.setContentType("application/json");
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult result;
  result.status = response.getStatus();
  for (const auto& [name, value] : response) result.headers[name] = value;
  result.body.assign(std::istreambuf_iterator<char>(in), {});
  if (response.hasContentLength() && static_cast<std::streamsize>(result.body.size()) != response.getContentLength()) {
    throw std::runtime_error("short body: " + std::to_string(result.body.size()) + " of " +
                             std::to_string(response.getContentLength()) + " bytes");
  }
  return result;
}

std::pair<int, std::string> SimProcess::runExpectingFailure(const std::string& scenarioYaml) {
  const std::string dir = makeTempDir();
  std::ofstream(dir + "/scenario.yaml") << scenarioYaml;
  const int pid = spawn(dir + "/scenario.yaml", dir + "/ready.json", dir + "/stderr.txt");
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream err(dir + "/stderr.txt");
  std::string text(std::istreambuf_iterator<char>(err), {});
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace tributary::sim::testing
