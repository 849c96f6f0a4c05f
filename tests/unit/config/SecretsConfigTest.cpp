// The secrets: section: the key file that seals what the host stores.
#include <gtest/gtest.h>

#include "TestSupport.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace secrets_config_test {

LoadResult load(const std::string& yaml, const std::filesystem::path& dir = "/etc/trib") {
  return ConfigLoader([](const std::string&) { return std::optional<std::string>(); }).loadString(yaml, "t.yaml", dir);
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

TEST(SecretsConfig, AbsentOrNullMeansTheDefault) {
  for (const char* yaml : {"", "secrets:\n", "secrets:\n  key_file: ~\n"}) {
    auto r = load(yaml);
    ASSERT_TRUE(r.ok()) << r.diagnostics.format();
    EXPECT_FALSE(r.config.secrets.keyFile.has_value()) << yaml;
  }
}

TEST(SecretsConfig, TheKeyFileResolvesAgainstTheConfigFilesDirectoryAndNeedNotExistYet) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "keys");
  auto r = load("secrets:\n  key_file: keys/secret.key\n", dir.path());
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.secrets.keyFile, dir / "keys" / "secret.key");
  r = load("secrets: {key_file: /abs/secret.key}\n", dir.path());
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:21: secrets.key_file: the directory of the key file does "
                                                  "not exist: /abs"});
}

TEST(SecretsConfig, BadValuesAreReportedAtTheirKey) {
  test::TempDir dir;
  EXPECT_EQ(messages(load("secrets:\n  key_file: missing/secret.key\n")),
            std::vector<std::string>{
                "t.yaml:2:13: secrets.key_file: the directory of the key file does not exist: /etc/trib/missing"});
  EXPECT_EQ(messages(load("secrets:\n  key_file: \"\"\n")),
            std::vector<std::string>{"t.yaml:2:13: secrets.key_file: must not be empty: give the path of the key "
                                     "file, or leave it out (with the embedded database, STATE_DIR/secret.key)"});
  std::filesystem::create_directories(dir / "keys");
  EXPECT_EQ(messages(load("secrets:\n  key_file: keys\n", dir.path())),
            std::vector<std::string>{"t.yaml:2:13: secrets.key_file: is a directory, not a file: " +
                                     (dir / "keys").string()});
  const auto unknown = messages(load("secrets:\n  keyfile: secret.key\n"));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].rfind("t.yaml:2:3: secrets.keyfile: unknown key", 0), 0u) << unknown[0];
  EXPECT_NE(unknown[0].find("key_file"), std::string::npos) << unknown[0];
}

}  // namespace secrets_config_test
