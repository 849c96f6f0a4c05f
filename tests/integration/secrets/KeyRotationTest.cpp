// Key rotation, retirement and the start-up check against the sealed tables of migrations/016
// on a real PostgreSQL (secrets::rotateKey, retireKey, verifyDatabaseKeys).
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "QueueTestSupport.h"
#include "common/Files.h"
#include "db/AdvisoryLocks.h"
#include "secrets/HostKeys.h"
#include "secrets/KeyFile.h"
#include "secrets/KeyRing.h"
#include "secrets/KeyRotation.h"
#include "secrets/SealedColumns.h"
#include "secrets/SecretError.h"
#include "webhooks/EndpointStore.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

struct Row {
  std::string table, id, keyId, sealedHex;
  bool operator==(const Row&) const = default;
};

// A migrated database with a workspace, and a key file of one key.
struct SecretsRoom {
  test::QueueDatabase qdb;
  test::TempDir dir;
  fs::path keyFile = dir / "secret.key";
  std::shared_ptr<secrets::KeyRing> ring = secrets::KeyRing::loadOrCreate(keyFile);
  std::string workspace = qdb.workspace();
  db::Connection conn{qdb.db.conninfo()};

  // An oauth2 credential of a new connection, sealed with `with` (default: the ring's current key).
  std::string credential(const std::string& plaintext, const secrets::KeyRing* with = nullptr,
                         std::optional<std::string> aadOf = std::nullopt) {
    const std::string connection = qdb.connection(workspace, "c" + std::to_string(++made));
    const auto sealed =
        (with ? *with : *ring).seal(plaintext, secrets::aadFor("auth_credentials", aadOf.value_or(connection)));
    conn.exec(
        "INSERT INTO auth_credentials (credential, connection_id, auth_type, key_id, sealed)"
        " VALUES ($1::text, $1::uuid, 'oauth2', $2, $3::bytea)",
        connection, sealed.keyId, secrets::byteaParam(sealed.bytes));
    return connection;
  }
  std::string state(const std::string& id, const std::string& verifier, std::optional<std::string> aadOf = {}) {
    const std::string connection = qdb.connection(workspace, "s" + std::to_string(++made));
    const auto sealed = ring->seal(verifier, secrets::aadFor("oauth_states", aadOf.value_or(id)));
    conn.exec(
        "INSERT INTO oauth_states (id, connection_id, redirect_uri, key_id, sealed, expires_at) VALUES ($1, $2, "
        "'http://127.0.0.1/oauth/callback', $3, $4::bytea, now() + interval '10 minutes')",
        id, connection, sealed.keyId, secrets::byteaParam(sealed.bytes));
    return id;
  }
  std::vector<Row> rows() {
    std::vector<Row> out;
    for (const auto& c : secrets::sealedColumns()) {
      auto r = conn.exec("SELECT " + std::string(c.idColumn) + "::text, key_id, encode(sealed, 'hex') FROM " +
                         std::string(c.table) + " ORDER BY 1");
      for (int i = 0; i < r.rows(); ++i)
        out.push_back({std::string(c.table), r.text(i, 0), r.text(i, 1), r.text(i, 2)});
    }
    return out;
  }
  std::string open(const secrets::KeyRing& with, const Row& row) {
    return with.open({row.keyId, secrets::fromHex(row.sealedHex)}, secrets::aadFor(row.table, row.id));
  }
  int made = 0;
};

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const secrets::SecretError& e) {
    return e.what();
  }
  return "(no SecretError)";
}

}  // namespace

TEST(KeyRotation, RotateKeyResealsEveryRowOfEveryTableUnderTheNewKeyAndKeepsTheOldOne) {
  SecretsRoom room;
  const std::string oldKey = room.ring->currentKeyId();
  std::map<std::string, std::string> plain;  // aad -> plaintext
  for (int i = 0; i < 3; ++i) {
    const std::string value = "{\"access_token\":\"at-" + std::to_string(i) + "\",\"refresh_token\":\"rt\"}";
    plain[secrets::aadFor("auth_credentials", room.credential(value))] = value;
  }
  for (const std::string id : {"aa01", "bb02"}) {
    plain[secrets::aadFor("oauth_states", room.state(id, "verifier-" + id))] = "verifier-" + id;
  }
  // A webhook endpoint's signing secret, stored as the API stores it.
  webhooks::EndpointStore(*room.ring)
      .create(room.conn, room.workspace, {"https://93.184.215.14/h", "whsec-bytes-1", {}, "", true});
  plain[secrets::aadFor("webhook_secrets", room.conn.exec("SELECT id FROM webhook_secrets").text(0, 0))] =
      "whsec-bytes-1";
  const auto before = room.rows();

  const auto result = secrets::rotateKey(room.conn, room.keyFile);
  EXPECT_NE(result.newKeyId, oldKey);
  EXPECT_FALSE(result.createdFile);
  EXPECT_EQ(result.keptKeyIds, std::vector<std::string>{oldKey});
  EXPECT_EQ(result.resealed, (std::vector<std::pair<std::string, int64_t>>{
                                 {"auth_credentials", 3}, {"oauth_states", 2}, {"webhook_secrets", 1}}));

  // The file: the new key first (it seals), the old one kept after it (it opens), mode 0600.
  const auto file = secrets::KeyFile::read(room.keyFile);
  EXPECT_EQ(file.currentId(), result.newKeyId);
  ASSERT_EQ(file.keys().size(), 2u);
  EXPECT_EQ(file.keys()[1].id, oldKey);
  EXPECT_EQ(file.mode(), 0600u);

  // Every row: the new key id, new bytes, and it opens with the new key to what it held.
  const auto after = room.rows();
  ASSERT_EQ(after.size(), before.size());
  secrets::KeyRing fresh(room.keyFile);
  EXPECT_EQ(fresh.currentKeyId(), result.newKeyId);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].keyId, result.newKeyId) << after[i].table << " " << after[i].id;
    EXPECT_NE(after[i].sealedHex, before[i].sealedHex);
    EXPECT_EQ(room.open(fresh, after[i]), plain[secrets::aadFor(after[i].table, after[i].id)]);
  }
  // The ring a host opened before the rotation still opens them: it reads the file again when it
  // meets the new key.
  EXPECT_EQ(room.open(*room.ring, after[0]), plain[secrets::aadFor(after[0].table, after[0].id)]);
  EXPECT_EQ(room.ring->currentKeyId(), result.newKeyId);
}

// The rows are re-sealed in one transaction: when a value of the last table does not open (sealed
// for another row), the rows of the first table, already re-sealed in it, are rolled back too, and
// the file loses the new key it had been given.
TEST(KeyRotation, ARotationWhoseTransactionFailsChangesNeitherTheRowsNorTheFile) {
  SecretsRoom room;
  const std::string key = room.ring->currentKeyId();
  room.credential("token-1");
  room.credential("token-2");
  room.state("aa01", "verifier");
  room.state("zz99", "copied from another row", std::string("aa01"));  // sealed for aa01, stored as zz99
  const auto rowsBefore = room.rows();
  const std::string fileBefore = files::readFile(room.keyFile);

  const auto message = errorOf([&] { secrets::rotateKey(room.conn, room.keyFile); });
  EXPECT_EQ(message, "the rotation changed nothing: the value of oauth_states:zz99 does not open with key " + key +
                         " of " + room.keyFile.string() +
                         ": it was tampered with, or sealed for another row. The transaction was rolled back (every "
                         "value stays sealed with its key) and the key file " +
                         room.keyFile.string() + " is as it was");
  EXPECT_EQ(room.rows(), rowsBefore);
  EXPECT_EQ(files::readFile(room.keyFile), fileBefore);
  EXPECT_EQ(secrets::KeyFile::read(room.keyFile).mode(), 0600u);
  EXPECT_EQ(message.find("copied from another row"), std::string::npos);

  // Once the bad row is gone, the same rotation goes through.
  room.conn.exec("DELETE FROM oauth_states WHERE id = 'zz99'");
  const auto result = secrets::rotateKey(room.conn, room.keyFile);
  EXPECT_EQ(result.resealed, (std::vector<std::pair<std::string, int64_t>>{
                                 {"auth_credentials", 2}, {"oauth_states", 1}, {"webhook_secrets", 0}}));
}

TEST(KeyRotation, ARowSealedWithAKeyTheFileLacksStopsTheRotationAndChangesNothing) {
  SecretsRoom room;
  const auto otherFile = room.dir / "other.key";
  auto other = secrets::KeyRing::loadOrCreate(otherFile);
  room.credential("mine");
  room.credential("from a host with another key file", other.get());
  const auto rowsBefore = room.rows();
  const std::string fileBefore = files::readFile(room.keyFile);
  const auto message = errorOf([&] { secrets::rotateKey(room.conn, room.keyFile); });
  EXPECT_NE(message.find("the rotation changed nothing: the value of auth_credentials:"), std::string::npos) << message;
  EXPECT_NE(message.find(" is sealed with key " + other->currentKeyId() + ", which the key file " +
                         room.keyFile.string() + " does not hold (it holds " + room.ring->currentKeyId() + ", "),
            std::string::npos)
      << message << "\n(the new key is in the file while the transaction runs)";
  EXPECT_EQ(room.rows(), rowsBefore);
  EXPECT_EQ(files::readFile(room.keyFile), fileBefore);
}

TEST(KeyRotation, RotateKeyCreatesAMissingKeyFileAndRemovesItAgainWhenTheRotationFails) {
  SecretsRoom room;
  const auto path = room.dir / "new" / "secret.key";
  fs::create_directories(path.parent_path());
  auto created = secrets::rotateKey(room.conn, path);
  EXPECT_TRUE(created.createdFile);
  EXPECT_TRUE(created.keptKeyIds.empty());
  EXPECT_EQ(secrets::KeyFile::read(path).currentId(), created.newKeyId);
  EXPECT_EQ(secrets::KeyFile::read(path).mode(), 0600u);

  // With values it cannot open, the file it would make is not left behind.
  room.credential("sealed with the room's key");
  const auto other = room.dir / "new" / "other.key";
  EXPECT_NE(errorOf([&] { secrets::rotateKey(room.conn, other); }).find("and the key file it made was removed"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(other));
}

TEST(KeyRotation, OneRotationAtATime) {
  SecretsRoom room;
  db::Connection holder(room.qdb.db.conninfo());
  holder.exec("SELECT pg_advisory_lock($1, $2)", db::advisory::kClass, db::advisory::kKeyRotation);
  const std::string fileBefore = files::readFile(room.keyFile);
  EXPECT_EQ(errorOf([&] { secrets::rotateKey(room.conn, room.keyFile); }),
            "another `tributary secrets rotate-key` or `retire-key` is running on this database; nothing was changed: "
            "run this again when it has finished");
  EXPECT_EQ(files::readFile(room.keyFile), fileBefore);
}

TEST(KeyRotation, RetireKeyRefusesWhileARowUsesTheKeyAndRemovesItOnceNoneDoes) {
  SecretsRoom room;
  const std::string oldKey = room.ring->currentKeyId();
  room.credential("token");
  // A host that will not get the new file in time: its copy of the old one.
  const auto oldCopy = room.dir.write("old-copy.key", files::readFile(room.keyFile));
  fs::permissions(oldCopy, fs::perms::owner_read | fs::perms::owner_write);
  secrets::KeyRing laggard(oldCopy);
  const auto rotated = secrets::rotateKey(room.conn, room.keyFile);

  // Hosts that have not read the new file seal with the old key.
  room.credential("sealed by a host without the new file", &laggard);
  room.state("aa01", "verifier");  // this ring has not read the file again yet
  room.ring->reload();
  room.state("aa02", "verifier");  // now it seals with the new key
  const std::string fileBefore = files::readFile(room.keyFile);
  EXPECT_EQ(errorOf([&] { secrets::retireKey(room.conn, room.keyFile, oldKey); }),
            "key " + oldKey + " still seals 2 value(s) (auth_credentials 1, oauth_states 1), so it stays in " +
                room.keyFile.string() + ": hosts that have not got the file whose current key is " + rotated.newKeyId +
                " still seal with it. Copy the file to every host and restart them, then run `tributary secrets "
                "rotate-key` (it re-seals every value under a new key) and retire " +
                oldKey + " after; nothing was changed");
  EXPECT_EQ(files::readFile(room.keyFile), fileBefore);

  // The current key is never retired, nor a key the file lacks.
  EXPECT_NE(errorOf([&] {
              secrets::retireKey(room.conn, room.keyFile, rotated.newKeyId);
            }).find(rotated.newKeyId + " is the current key of " + room.keyFile.string()),
            std::string::npos);
  EXPECT_EQ(errorOf([&] { secrets::retireKey(room.conn, room.keyFile, "k0123456789abcdef"); }),
            "the key file " + room.keyFile.string() + " holds no key k0123456789abcdef (it holds " + rotated.newKeyId +
                ", " + oldKey + "); nothing was changed");

  // Every host has the file: a second rotation re-seals the laggards' values, and the first
  // key no longer seals anything.
  const auto second = secrets::rotateKey(room.conn, room.keyFile);
  EXPECT_EQ(second.keptKeyIds, (std::vector<std::string>{rotated.newKeyId, oldKey}));
  const auto retired = secrets::retireKey(room.conn, room.keyFile, oldKey);
  EXPECT_EQ(retired.remainingKeyIds, (std::vector<std::string>{second.newKeyId, rotated.newKeyId}));
  EXPECT_EQ(secrets::KeyFile::read(room.keyFile).find(oldKey), nullptr);
  EXPECT_EQ(secrets::KeyFile::read(room.keyFile).mode(), 0600u);
  secrets::KeyRing now(room.keyFile);
  for (const auto& row : room.rows()) EXPECT_NO_THROW(room.open(now, row)) << row.table << " " << row.id;
}

TEST(VerifyDatabaseKeys, AHostWhoseRingLacksAKeyIdIsRefusedNamingTheFileAndTheId) {
  SecretsRoom room;
  room.credential("a");
  room.state("aa01", "v");
  secrets::verifyDatabaseKeys(room.conn, room.ring.get(), room.keyFile);  // its own key: fine

  // Another host, with a key file of its own.
  const auto otherFile = room.dir / "other.key";
  auto other = secrets::KeyRing::loadOrCreate(otherFile);
  const std::string otherBefore = files::readFile(otherFile);
  const auto rowsBefore = room.rows();
  EXPECT_EQ(errorOf([&] { secrets::verifyDatabaseKeys(room.conn, other.get(), otherFile); }),
            "the database holds values sealed with key " + room.ring->currentKeyId() +
                " (auth_credentials 1, oauth_states 1), which the key file " + otherFile.string() +
                " does not hold (it holds " + other->currentKeyId() +
                "): every host sharing the database must use the same key file. Copy the key file every host shares "
                "(after a `tributary secrets rotate-key`, the one of the host that ran it) to " +
                otherFile.string() + " and start again; nothing was changed");
  EXPECT_EQ(room.rows(), rowsBefore);
  EXPECT_EQ(files::readFile(otherFile), otherBefore);

  // Once the shared file is copied there, the same ring passes: it reads the file again.
  files::writeFileAtomic(otherFile, files::readFile(room.keyFile));
  fs::permissions(otherFile, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NO_THROW(secrets::verifyDatabaseKeys(room.conn, other.get(), otherFile));
}

TEST(VerifyDatabaseKeys, AHostWithNoKeyFileIsRefusedOnlyWhenSomethingIsSealed) {
  SecretsRoom room;
  EXPECT_NO_THROW(secrets::verifyDatabaseKeys(room.conn, nullptr, ""));
  room.credential("a");
  EXPECT_EQ(errorOf([&] { secrets::verifyDatabaseKeys(room.conn, nullptr, ""); }),
            "the database holds sealed values (auth_credentials 1) and this host has no key file to open them: "
            "secrets.key_file is required when database.url is set: several hosts share the database and must share "
            "one key file. Set secrets.key_file to a copy of the key file the other hosts use; nothing was changed");
}
