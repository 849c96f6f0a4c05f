#pragma once

// Helpers every integration and end-to-end test shares: a database of its own on the fixture's
// cluster, temporary directories, child servers that report their ports, and plain HTTP.

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "common/Process.h"

namespace tributary::test {

// The fixture cluster's connection string (to its "postgres" database). Fails the test with
// what to do when the fixture did not run.
std::string fixtureConninfo();

// CREATE DATABASE t_<suite>_<test> on the fixture cluster (dropped first if left over) and
// DROP it on destruction. Unique per test, so ctest -j2 is safe.
class TestDatabase {
 public:
  TestDatabase();
  explicit TestDatabase(const std::string& suffix);
  ~TestDatabase();
  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }
  // As a postgresql:// URL, for `database.url` in a config file.
  std::string url() const;

 private:
  std::string name_;
  std::string conninfo_;
};

// mkdtemp under /tmp (short, for socket paths), removed on destruction. Mode 0755 so that a
// cluster run as the postgres user can reach what lives inside.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes a file (creating parent directories) and returns its path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// Paths of the built programs and the source tree.
std::filesystem::path tributaryBinary();
std::filesystem::path sourceDir();
std::filesystem::path buildDir();
std::filesystem::path migrationsDir();

// A program started for a test: output goes to a log file; stopped (by its pid) on destruction.
class ServerProcess {
 public:
  // `ownProcessGroup`: the process leads a new process group (as a shell's foreground job does).
  ServerProcess(std::vector<std::string> argv, std::filesystem::path logFile,
                std::map<std::string, std::string> env = {}, bool ownProcessGroup = false);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;

  // Waits for a JSON ready file to appear; fails (returns nullopt) if the process exits first or
  // the timeout passes.
  std::optional<Json> waitForReadyFile(const std::filesystem::path& file,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits for the process to exit; returns its wait status, or nullopt on timeout.
  std::optional<int> waitForExit(std::chrono::milliseconds timeout);
  void signal(int sig);
  // SIGTERM, then SIGKILL after `grace`; returns the wait status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  pid_t pid() const { return child_.pid(); }
  std::string log() const;

 private:
  process::Child child_;
  std::filesystem::path logFile_;
  bool exited_ = false;
  int status_ = 0;
};

// Runs a program to completion, capturing output.
process::RunResult runProgram(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

struct HttpResult {
  int status = 0;  // 0 when the request failed to connect
  std::string body;
  std::map<std::string, std::string> headers;
  Json json() const;
};
HttpResult httpRequest(const std::string& method, const std::string& url, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {});
inline HttpResult httpGet(const std::string& url) { return httpRequest("GET", url); }
// The admin token a serve wrote at its first start (its ready file's admin_token_file).
std::string adminTokenOf(const Json& readyFile);
// GET with that token.
HttpResult httpGetAsAdmin(const Json& readyFile, const std::string& url);

// Whether a wait status (waitpid's, or a finished process's) is a normal exit with `code`.
inline bool exitedWith(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

// Polls `condition` every 50 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace tributary::test
