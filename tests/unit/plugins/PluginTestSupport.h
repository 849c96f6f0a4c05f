#pragma once

// Helpers for the plugin loader's tests: a recording RunServices, per-test temp dirs, and
// the paths of the built plugins.

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "plugins/ConnectorInstance.h"
#include "plugins/PluginLoader.h"
#include "plugins/RunServices.h"

namespace tributary::plugins::testing {

inline std::filesystem::path fixtureDir() { return TRIBUTARY_TEST_FIXTURE_PLUGIN_DIR; }
inline std::filesystem::path fixture(const std::string& name) { return fixtureDir() / (name + ".so"); }
inline std::filesystem::path examplePlugin() { return TRIBUTARY_TEST_EXAMPLE_PLUGIN; }
// Plugins that crash or hang whatever loads them: only ever probed in a child process.
inline std::filesystem::path probeFixture(const std::string& name) {
  return std::filesystem::path(TRIBUTARY_TEST_PROBE_FIXTURE_PLUGIN_DIR) / (name + ".so");
}

// Loads a plugin file, failing the test with the loader's reason if it is refused.
inline std::shared_ptr<const ConnectorPlugin> loadPlugin(const std::filesystem::path& file) {
  PluginLoader::Outcome out = PluginLoader().load(file);
  if (!out.plugin) throw std::runtime_error("refused: " + out.refused->reason);
  return out.plugin;
}

// An instance with these settings (and secrets); fails loudly if create fails.
inline std::unique_ptr<ConnectorInstance> makeInstance(const std::shared_ptr<const ConnectorPlugin>& plugin,
                                                       std::map<std::string, std::string, std::less<>> settings,
                                                       std::map<std::string, std::string, std::less<>> secrets = {},
                                                       LogSink log = {}) {
  InstanceOptions options;
  options.settings = std::move(settings);
  options.secrets = std::move(secrets);
  options.log = std::move(log);
  options.label = "acme/demo";
  auto created = ConnectorInstance::create(plugin, std::move(options));
  if (!created.instance) throw std::runtime_error("create failed: " + created.result.message);
  return std::move(created.instance);
}

// A fresh directory for one test, removed when it ends (ctest -j2 safe).
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() / ("tributary-" + std::string(info->test_suite_name()) + "-" +
                                                      info->name() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

  // Copies a file in (mode 0755 unless told), returning the copy's path.
  std::filesystem::path copy(const std::filesystem::path& from, const std::string& name, mode_t mode = 0755) const {
    auto to = path_ / name;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    ::chmod(to.c_str(), mode);
    return to;
  }

 private:
  std::filesystem::path path_;
};

// Records everything a plugin sends, copying as the contract requires.
class RecordingRunServices : public RunServices {
 public:
  struct Record {
    std::string stream, sourceId;
    std::optional<int64_t> modifiedAtMs;
    bool deleted;
    std::string fieldsJson, rawJson;
  };
  struct RecordError {
    std::string stream, sourceId, message, rawJson;
  };
  struct Checkpoint {
    std::string stream, cursorJson;
    size_t recordsBefore;  // records emitted before it (all streams)
  };

  void emitRecord(const RecordView& r) override {
    if (throwOnRecord && records.size() == *throwOnRecord) throw RunStopped(stopCode, stopMessage);
    records.push_back({std::string(r.stream), std::string(r.sourceId), r.modifiedAtMs, r.deleted,
                       std::string(r.fieldsJson), std::string(r.rawJson)});
  }
  void emitRecordError(const RecordErrorView& e) override {
    errors.push_back({std::string(e.stream), std::string(e.sourceId), std::string(e.message), std::string(e.rawJson)});
  }
  void commitCheckpoint(std::string_view stream, std::string_view cursor) override {
    checkpoints.push_back({std::string(stream), std::string(cursor), records.size()});
    if (cancelAfterCheckpoints && checkpoints.size() >= *cancelAfterCheckpoints) cancelled = true;
  }
  void reportProgress(int64_t current, int64_t total, std::string_view message) override {
    progress.push_back({current, total, std::string(message)});
  }
  bool isCancelled() override { return cancelled; }
  http::HttpResponse httpRequest(const http::HttpRequest& request) override {
    httpRequests.push_back(request);
    if (httpHandler) return httpHandler(request);
    return RunServices::httpRequest(request);
  }

  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.sourceId);
    return out;
  }

  std::vector<Record> records;
  std::vector<RecordError> errors;
  std::vector<Checkpoint> checkpoints;
  struct Progress {
    int64_t current, total;
    std::string message;
  };
  std::vector<Progress> progress;
  std::vector<http::HttpRequest> httpRequests;
  std::function<http::HttpResponse(const http::HttpRequest&)> httpHandler;
  std::atomic<bool> cancelled{false};
  std::optional<size_t> cancelAfterCheckpoints;
  std::optional<size_t> throwOnRecord;
  ResultCode stopCode = ResultCode::Retry;
  std::string stopMessage = "batch write failed";
};

}  // namespace tributary::plugins::testing
