// Who tells the redactor (common/Redact.h) a connection's secrets: the loader, for values from
// a secret_file and ${ENV} values under a secret's name; the validator, for the settings a plugin
// declares secret, wherever they came from.
#include <gtest/gtest.h>

#include <map>

#include "TestSupport.h"
#include "app/ConnectionValidator.h"
#include "common/Redact.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace secret_settings_test {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

const char* kConnection =
    "workspaces: [{slug: acme}]\n"
    "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings:\n";

TEST(SecretSettings, TheLoaderRemembersSecretFilesAndEnvValuesUnderASecretsName) {
  test::TempDir dir;
  dir.write("key", "from-a-secret-file-0001\n");
  auto r = ConfigLoader(env({{"SEED", "1234567890123"}, {"SECRET", "from-the-env-0002"}}))
               .loadString(std::string(kConnection) +
                               "      api_key: {secret_file: key}\n      seed: ${SEED}\n"
                               "      client_secret: ${SECRET}\n",
                           "t.yaml", dir.path());
  // client_secret is no setting of the example: the validator would say so; the loader still
  // takes it for a secret by its name.
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(redact::text("key from-a-secret-file-0001 sent"), "key [redacted] sent");
  EXPECT_EQ(redact::text("client from-the-env-0002 sent"), "client [redacted] sent");
  // An ${ENV} value under an ordinary name is no secret: it stays readable.
  EXPECT_EQ(redact::text("seed 1234567890123"), "seed 1234567890123");
}

TEST(SecretSettings, TheValidatorRemembersTheSettingsAPluginDeclaresSecret) {
  auto r = ConfigLoader(env({})).loadString(
      std::string(kConnection) + "      api_key: literal-api-key-0003\n      records: 10\n", "t.yaml", "/etc/trib");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(redact::text("literal-api-key-0003"), "literal-api-key-0003");  // a literal: the loader cannot tell
  plugins::PluginRegistry::Options o;
  o.dirs = {TRIBUTARY_TEST_PLUGIN_DIR};
  const auto registry = plugins::PluginRegistry::scan(o);
  ASSERT_TRUE(registry.find("tributary.example"));
  Diagnostics d;
  app::validateConnections(r.config, registry, d);
  ASSERT_EQ(d.size(), 1u);  // the secret in the file, reported without its value
  EXPECT_EQ(d.items()[0].format().find("literal-api-key-0003"), std::string::npos) << d.items()[0].format();
  EXPECT_EQ(redact::text("the key literal-api-key-0003"), "the key [redacted]");
}

}  // namespace secret_settings_test
