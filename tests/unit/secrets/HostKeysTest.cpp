// Which key file a host uses, and when it has none (secrets::keyFileFor, openKeyRing,
// requireKeyRing).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>

#include "TestSupport.h"
#include "config/ConfigLoader.h"
#include "secrets/HostKeys.h"
#include "secrets/SecretError.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

config::Config load(const test::TempDir& dir, const std::string& yaml) {
  const auto file = dir.write("tributary.yaml", yaml);
  auto r = config::ConfigLoader([](const std::string&) { return std::optional<std::string>(); }).loadFile(file);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format();
  return r.config;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const secrets::SecretError& e) {
    return e.what();
  }
  return "(no SecretError)";
}

}  // namespace

TEST(HostKeys, TheEmbeddedDatabaseDefaultsToStateDirSecretKeyCreatedMode0600OnFirstUse) {
  test::TempDir dir;
  fs::create_directories(dir / "state");
  const auto cfg = load(dir, "state_dir: state\n");
  EXPECT_EQ(secrets::keyFileFor(cfg), dir / "state" / "secret.key");
  auto ring = secrets::openKeyRing(cfg);
  ASSERT_TRUE(ring);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "state" / "secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(secrets::openKeyRing(cfg)->currentKeyId(), ring->currentKeyId()) << "the next start reuses it";
  EXPECT_EQ(&secrets::requireKeyRing(ring, cfg), ring.get());
}

TEST(HostKeys, AKeyFileSetIsUsedAndWithTheEmbeddedDatabaseCreated) {
  test::TempDir dir;
  fs::create_directories(dir / "keys");
  const auto cfg = load(dir, "secrets:\n  key_file: keys/tributary.key\n");
  EXPECT_EQ(secrets::keyFileFor(cfg), dir / "keys" / "tributary.key");
  EXPECT_TRUE(secrets::openKeyRing(cfg));
  EXPECT_TRUE(fs::exists(dir / "keys" / "tributary.key"));
}

// Several hosts on one database must share one key: none is made up on a host's own.
TEST(HostKeys, WithDatabaseUrlAMissingKeyFileIsRefusedNotCreated) {
  test::TempDir dir;
  const auto cfg = load(dir, "database:\n  url: postgresql://db.invalid/t\nsecrets:\n  key_file: shared.key\n");
  const auto file = dir / "shared.key";
  EXPECT_EQ(errorOf([&] { secrets::openKeyRing(cfg); }),
            "the key file " + file.string() + " (secrets.key_file in " + cfg.file.string() +
                ") does not exist. With database.url set, every host must use the same key file, so none is made "
                "here: create it on one host with `tributary secrets rotate-key --config " +
                cfg.file.string() + "` and copy it to every host (docs/operators.md, \"Secrets at rest\")");
  EXPECT_FALSE(fs::exists(file));
}

// database.url without secrets.key_file is a valid configuration (hosts that seal nothing need no
// key); whoever must seal or open something is told what to set.
TEST(HostKeys, WithDatabaseUrlAndNoKeyFileThereIsNoRingUntilOneIsNeeded) {
  test::TempDir dir;
  const auto cfg = load(dir, "database:\n  url: postgresql://db.invalid/t\n");
  EXPECT_FALSE(secrets::keyFileFor(cfg));
  auto ring = secrets::openKeyRing(cfg);
  EXPECT_FALSE(ring);
  const auto message = errorOf([&] { secrets::requireKeyRing(ring, cfg); });
  EXPECT_EQ(
      message.rfind("secrets.key_file is required when database.url is set: several hosts share the database and must "
                    "share one key file. Set secrets.key_file in " +
                        cfg.file.string() + " to the key file the other hosts use",
                    0),
      0u)
      << message;
}
