#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace Poco::Net {
class HTTPClientSession;
}  // namespace Poco::Net

namespace tributary::sim::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// The real tributary-sim process for one test: its own temp dir, port 0, the ready file
// awaited by polling (never a fixed sleep), stopped by pid.
class SimProcess {
 public:
  explicit SimProcess(const std::string& scenarioYaml);
  ~SimProcess();

  const nlohmann::json& ready() const { return ready_; }
  std::string baseUrl(const std::string& vendor) const;
  std::string adminUrl(const std::string& vendor) const;
  // Sends SIGTERM and returns the exit code.
  int stop();
  bool readyFileExists() const;

  // One request on a fresh connection. Throws Poco exceptions on transport failures.
  static HttpResult request(const std::string& method, const std::string& url, const std::string& body = "",
                            const std::map<std::string, std::string>& headers = {});
  // One request on the caller's session, which keeps its connection open between calls
  // (target is the path and query). Throws like request().
  static HttpResult send(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& target,
                         const std::string& body = "", const std::map<std::string, std::string>& headers = {});

  // Runs tributary-sim with a scenario expected to be refused; returns (exit code, stderr).
  static std::pair<int, std::string> runExpectingFailure(const std::string& scenarioYaml);

 private:
  std::string dir_;
  std::string readyFile_;
  int pid_ = -1;
  bool stopped_ = false;
  nlohmann::json ready_;
};

}  // namespace tributary::sim::testing
