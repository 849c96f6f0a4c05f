// `tributary secrets rotate-key|retire-key|status` as an operator runs them, and `tributary serve`
// on a database whose sealed values it has no key for (docs/operators.md, "Secrets at rest").
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "TestSupport.h"
#include "common/Files.h"
#include "common/Strings.h"
#include "db/Connection.h"
#include "secrets/KeyFile.h"
#include "secrets/KeyRing.h"
#include "secrets/SealedColumns.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace secrets_cli_test {

// Everything the commands of a test printed, to check that none showed a key.
std::string transcript;

process::RunResult cli(std::vector<std::string> args) {
  std::vector<std::string> argv = {test::tributaryBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::runProgram(argv);
  transcript += r.output;
  return r;
}

// A connection with an oauth2 credential sealed by `ring`, in a migrated database.
std::string sealCredential(const std::string& conninfo, const secrets::KeyRing& ring, const std::string& token) {
  db::Connection c(conninfo);
  auto ws = c.exec(
                 "INSERT INTO workspaces (slug, name) VALUES ('acme', 'acme') ON CONFLICT (slug) DO UPDATE SET "
                 "name = excluded.name RETURNING id")
                .text(0, 0);
  auto conn = c.exec(
                   "INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, $2, "
                   "'tributary.example') RETURNING id",
                   ws, "c" + std::to_string(c.exec("SELECT count(*) FROM connections").int64(0, 0)))
                  .text(0, 0);
  const auto sealed = ring.seal("{\"access_token\":\"" + token + "\"}", secrets::aadFor("auth_credentials", conn));
  c.exec(
      "INSERT INTO auth_credentials (credential, connection_id, auth_type, key_id, sealed)"
      " VALUES ($1::text, $1::uuid, 'oauth2', $2, $3::bytea)",
      conn, sealed.keyId, secrets::byteaParam(sealed.bytes));
  return conn;
}

// The base64 keys of a key file, to check that no output shows one.
std::vector<std::string> keyMaterial(const fs::path& file) {
  std::vector<std::string> out;
  for (const auto& line : strings::split(files::readFile(file), '\n')) {
    auto fields = strings::split(line, ' ');
    if (fields.size() == 2 && fields[0].rfind('k', 0) == 0) out.push_back(fields[1]);
  }
  return out;
}

std::vector<std::string> serveArgs(const fs::path& cfg, const fs::path& ready) {
  return {test::tributaryBinary().string(),
          "serve",
          "--config",
          cfg.string(),
          "--port",
          "0",
          "--ready-file",
          ready.string()};
}

TEST(CliSecrets, RotateStatusAndRetireOnADatabaseSharedByHosts) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto cfg =
      dir.write("t.yaml", "database:\n  url: \"" + db.conninfo() + "\"\nsecrets:\n  key_file: keys/secret.key\n");
  fs::create_directories(dir / "keys");
  const auto keyFile = dir / "keys" / "secret.key";
  ASSERT_TRUE(cli({"migrate", "--config", cfg.string()}).ok());

  auto r = cli({"secrets", "status", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, "key file: " + keyFile.string() +
                          " does not exist yet (create it on one host with `tributary secrets rotate-key --config " +
                          cfg.string() + "`, then copy it to every host)\nsealed values: none\n");

  // The first rotate-key makes the file.
  r = cli({"secrets", "rotate-key", "--config", cfg.string()});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  const std::string first = secrets::KeyFile::read(keyFile).currentId();
  EXPECT_EQ(r.output, "created the key file " + keyFile.string() + " (mode 0600)\nnew key " + first +
                          " is the current key of " + keyFile.string() + "\nre-sealed 0 value(s) under " + first +
                          ", in one transaction: auth_credentials 0, oauth_states 0, webhook_secrets 0\nnext: copy " +
                          keyFile.string() +
                          " to every host that shares this database (mode 600, the same file on each: "
                          "docs/operators.md, \"Secrets at rest\")\n");
  struct stat st {};
  ASSERT_EQ(::stat(keyFile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  const auto connection = sealCredential(db.conninfo(), secrets::KeyRing(keyFile), "at-secret-1");
  r = cli({"secrets", "rotate-key", "--config", cfg.string()});
  ASSERT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  const std::string second = secrets::KeyFile::read(keyFile).currentId();
  EXPECT_NE(second, first);
  EXPECT_NE(r.output.find("new key " + second + " is the current key of " + keyFile.string() +
                          "\nre-sealed 1 value(s) "
                          "under " +
                          second +
                          ", in one transaction: auth_credentials 1, oauth_states 0, webhook_secrets 0\nkept after it "
                          "in the file: " +
                          first + ". "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Once every host has it, retire the old key: `tributary secrets retire-key " + first +
                          " --config " + cfg.string() + "`\n"),
            std::string::npos)
      << r.output;
  {
    db::Connection c(db.conninfo());
    auto row = c.exec("SELECT key_id, encode(sealed, 'hex') FROM auth_credentials WHERE credential = $1", connection);
    EXPECT_EQ(row.text(0, 0), second);
    EXPECT_EQ(secrets::KeyRing(keyFile).open({second, secrets::fromHex(row.text(0, 1))},
                                             secrets::aadFor("auth_credentials", connection)),
              "{\"access_token\":\"at-secret-1\"}");
  }

  r = cli({"secrets", "status", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, "key file: " + keyFile.string() + " (mode 0600)\nkeys:\n  " + second +
                          "  current: seals new values, opens\n  " + first +
                          "  opens only\nsealed values:\n  auth_credentials  " + second + "  1\n");
  const auto material = keyMaterial(keyFile);
  ASSERT_EQ(material.size(), 2u);

  // The current key is not retired; the old one, which seals nothing now, is.
  r = cli({"secrets", "retire-key", second, "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("tributary secrets retire-key: " + second + " is the current key of " + keyFile.string()),
            std::string::npos)
      << r.output;
  r = cli({"secrets", "retire-key", first, "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
  EXPECT_EQ(r.output, "retired key " + first + ": removed from " + keyFile.string() + ", which holds " + second + " (" +
                          second + " current)\ncopy it to every host that shares this database, as after a rotation\n");
  EXPECT_EQ(keyMaterial(keyFile), std::vector<std::string>{material[0]});

  r = cli({"secrets", "retire-key", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 2)) << r.output;
  EXPECT_EQ(r.output, "usage: tributary secrets retire-key KEY_ID\n");

  // A key file others can read is refused by every command, with the fix.
  fs::permissions(keyFile, static_cast<fs::perms>(0644));
  r = cli({"secrets", "status", "--config", cfg.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("tributary secrets status: the key file " + keyFile.string() +
                          " is mode 0644, readable by group or others: it opens every sealed credential, so it must "
                          "be readable by its owner only (0600 or stricter). Run `chmod 600 " +
                          keyFile.string() + "`\n"),
            std::string::npos)
      << r.output;
  fs::permissions(keyFile, static_cast<fs::perms>(0600));

  // No command printed a key.
  for (const auto& key : material) EXPECT_EQ(transcript.find(key), std::string::npos);
  EXPECT_NE(transcript.find(first), std::string::npos) << "key ids are shown";

  // Without secrets.key_file, database.url hosts have no key file: rotation says what to set,
  // and status says the values cannot be opened here.
  const auto bare = dir.write("bare.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  r = cli({"secrets", "rotate-key", "--config", bare.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_EQ(r.output.rfind("tributary secrets rotate-key: secrets.key_file is required when database.url is set: "
                           "several hosts share the database and must share one key file. Set secrets.key_file in " +
                               bare.string(),
                           0),
            0u)
      << r.output;
  r = cli({"secrets", "status", "--config", bare.string()});
  EXPECT_TRUE(test::exitedWith(r.status, 1)) << r.output;
  EXPECT_NE(r.output.find("sealed values:\n  auth_credentials  " + second + "  1\n"), std::string::npos) << r.output;
}

// A host started without the key the database's values are sealed with refuses to start, naming
// its key file and the key id, before it applies its configuration or registers; given the
// shared file, it starts.
TEST(CliSecrets, ServeWithoutTheSharedKeyRefusesToStartAndChangesNothing) {
  test::TestDatabase db;
  test::TempDir dir;
  const auto base = "database:\n  url: \"" + db.conninfo() +
                    "\"\nworkers: {processes: 1}\nworkspaces: [{slug: acme}]\n"
                    "connections: [{workspace: acme, connector: tributary.example}]\n";
  const auto shared = dir / "shared.key";
  const auto own = dir / "own.key";
  auto sharedRing = secrets::KeyRing::loadOrCreate(shared);
  auto ownRing = secrets::KeyRing::loadOrCreate(own);
  ASSERT_TRUE(cli({"migrate", "--config", dir.write("m.yaml", base).string()}).ok());
  sealCredential(db.conninfo(), *sharedRing, "at-secret-2");
  auto countApplied = [&] {
    db::Connection c(db.conninfo());
    return c.exec("SELECT (SELECT count(*) FROM config_applied) + (SELECT count(*) FROM config_hosts)").int64(0, 0);
  };

  const auto wrong = dir.write("wrong.yaml", base + "secrets: {key_file: own.key}\n");
  test::ServerProcess a(serveArgs(wrong, dir / "a.json"), dir / "a.log");
  auto status = a.waitForExit(std::chrono::seconds(60));
  ASSERT_TRUE(status) << a.log();
  EXPECT_TRUE(test::exitedWith(*status, 1)) << a.log();
  EXPECT_NE(a.log().find("cannot start: the database holds values sealed with key " + sharedRing->currentKeyId() +
                         " (auth_credentials 1), which the key file " + own.string() + " does not hold (it holds " +
                         ownRing->currentKeyId() + "): every host sharing the database must use the same key file."),
            std::string::npos)
      << a.log();
  EXPECT_NE(a.log().find(" and start again; nothing was changed"), std::string::npos) << a.log();
  EXPECT_FALSE(fs::exists(dir / "a.json"));

  const auto none = dir.write("none.yaml", base);
  test::ServerProcess b(serveArgs(none, dir / "b.json"), dir / "b.log");
  status = b.waitForExit(std::chrono::seconds(60));
  ASSERT_TRUE(status) << b.log();
  EXPECT_TRUE(test::exitedWith(*status, 1)) << b.log();
  EXPECT_NE(b.log().find("cannot start: the database holds sealed values (auth_credentials 1) and this host has no key "
                         "file to open them: secrets.key_file is required when database.url is set: several hosts "
                         "share the database and must share one key file."),
            std::string::npos)
      << b.log();
  EXPECT_EQ(countApplied(), 0) << "a refused host applied or registered something";

  // Given a copy of the shared file, the same host starts.
  fs::copy_file(shared, dir / "copy.key");
  fs::permissions(dir / "copy.key", static_cast<fs::perms>(0600));
  const auto right = dir.write("right.yaml", base + "secrets: {key_file: copy.key}\n");
  test::ServerProcess c(serveArgs(right, dir / "c.json"), dir / "c.log");
  ASSERT_TRUE(c.waitForReadyFile(dir / "c.json")) << c.log();
  EXPECT_NE(c.log().find("secrets: key file " + (dir / "copy.key").string() + ", current key " +
                         sharedRing->currentKeyId() + " (1 key(s))"),
            std::string::npos)
      << c.log();
  EXPECT_TRUE(test::exitedWith(c.stop(), 0)) << c.log();
}

// With the embedded database, the first start makes STATE_DIR/secret.key, mode 0600, and the CLI
// finds it through the running serve's cluster.
TEST(CliSecrets, EmbeddedServeCreatesStateDirSecretKeyMode0600AtItsFirstStart) {
  test::TempDir dir;
  const auto cfg = dir.write("t.yaml", "state_dir: state\nworkers: {processes: 1}\n");
  const auto keyFile = dir / "state" / "secret.key";
  {
    test::ServerProcess serve(serveArgs(cfg, dir / "ready.json"), dir / "serve.log");
    ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json", std::chrono::seconds(120))) << serve.log();
    struct stat st {};
    ASSERT_EQ(::stat(keyFile.c_str(), &st), 0) << serve.log();
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    const std::string id = secrets::KeyFile::read(keyFile).currentId();
    auto r = cli({"secrets", "status", "--config", cfg.string()});
    EXPECT_TRUE(test::exitedWith(r.status, 0)) << r.output;
    EXPECT_EQ(r.output, "key file: " + keyFile.string() + " (mode 0600)\nkeys:\n  " + id +
                            "  current: seals new values, opens\nsealed values: none\n");
    EXPECT_TRUE(test::exitedWith(serve.stop(), 0)) << serve.log();
  }
  // The next start keeps it.
  const std::string text = files::readFile(keyFile);
  test::ServerProcess again(serveArgs(cfg, dir / "ready2.json"), dir / "serve2.log");
  ASSERT_TRUE(again.waitForReadyFile(dir / "ready2.json", std::chrono::seconds(120))) << again.log();
  EXPECT_EQ(files::readFile(keyFile), text);
  EXPECT_TRUE(test::exitedWith(again.stop(), 0)) << again.log();
}

}  // namespace secrets_cli_test
