#include "secrets/KeyRotation.h"

#include <openssl/crypto.h>

#include "common/Strings.h"
#include "db/AdvisoryLocks.h"
#include "db/Connection.h"
#include "secrets/Cipher.h"
#include "secrets/KeyFile.h"
#include "secrets/SealedColumns.h"
#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

namespace fs = std::filesystem;

// One rotation or retirement per database at a time, for the file edits and the rows together.
class RotationLock {
 public:
  explicit RotationLock(db::Connection& conn) : conn_(conn) {
    if (!conn_.exec("SELECT pg_try_advisory_lock($1, $2)", db::advisory::kClass, db::advisory::kKeyRotation)
             .boolean(0, 0)) {
      throw SecretError(
          "another `tributary secrets rotate-key` or `retire-key` is running on this database; nothing was changed: "
          "run this again when it has finished");
    }
  }
  ~RotationLock() {
    try {
      if (!conn_.isBroken()) {
        conn_.exec("SELECT pg_advisory_unlock($1, $2)", db::advisory::kClass, db::advisory::kKeyRotation);
      }
    } catch (...) {
      // The session's end frees it.
    }
  }
  RotationLock(const RotationLock&) = delete;
  RotationLock& operator=(const RotationLock&) = delete;

 private:
  db::Connection& conn_;
};

std::vector<std::string> idsOf(const KeyFile& file) {
  std::vector<std::string> out;
  for (const auto& k : file.keys()) out.push_back(k.id);
  return out;
}

// Re-seals every value of `column` under `fresh`, opening each with its key from `file`; the
// rows are locked until the caller's transaction ends. Returns how many were re-sealed.
int64_t resealColumn(db::Connection& conn, const SealedColumn& column, const KeyFile& file, const Key& fresh) {
  const std::string table = strings::quoteIdent(column.table);
  const std::string id = strings::quoteIdent(column.idColumn);
  const std::string keyId = strings::quoteIdent(column.keyIdColumn);
  const std::string sealed = strings::quoteIdent(column.sealedColumn);
  auto rows = conn.exec("SELECT " + id + "::text, " + keyId + ", encode(" + sealed + ", 'hex') FROM " + table +
                        " ORDER BY " + id + " FOR UPDATE");
  const std::string update =
      "UPDATE " + table + " SET " + keyId + " = $1, " + sealed + " = $2::bytea WHERE " + id + " = $3";
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string rowId = rows.text(i, 0);
    const std::string rowKey = rows.text(i, 1);
    const std::string aad = aadFor(column, rowId);
    const Key* key = file.find(rowKey);
    if (!key) {
      throw SecretError("the value of " + aad + " is sealed with key " + rowKey + ", which the key file " +
                        file.path().string() + " does not hold (it holds " + strings::join(idsOf(file), ", ") +
                        "): copy the key file every host shares to " + file.path().string() +
                        " first (a rotation opens every value)");
    }
    auto plain = openWith(*key, fromHex(rows.view(i, 2)), aad);
    if (!plain) {
      throw SecretError("the value of " + aad + " does not open with key " + rowKey + " of " + file.path().string() +
                        ": it was tampered with, or sealed for another row");
    }
    const Sealed resealed = sealWith(fresh, *plain, aad);
    OPENSSL_cleanse(plain->data(), plain->size());
    conn.exec(update, fresh.id, byteaParam(resealed.bytes), rowId);
  }
  return rows.rows();
}

}  // namespace

RotationResult rotateKey(db::Connection& conn, const fs::path& keyFile) {
  RotationLock lock(conn);
  const std::optional<KeyFile> original = KeyFile::readIfExists(keyFile);
  const Key fresh = generateKey();
  RotationResult result;
  result.newKeyId = fresh.id;
  if (original) result.keptKeyIds = idsOf(*original);

  // 1. The new key opens before any value needs it: appended, after every key.
  KeyFile edited = original ? *original : KeyFile::fresh(keyFile, fresh);
  if (original) {
    edited.addLast(fresh);
    edited.write();
  } else {
    if (!edited.create()) {
      throw SecretError("the key file " + keyFile.string() +
                        " was created by someone else while this rotation started; nothing was changed: run it again");
    }
    result.createdFile = true;
  }

  // 2. Every value, re-sealed in one transaction.
  try {
    db::Transaction tx(conn);
    for (const auto& column : sealedColumns()) {
      result.resealed.emplace_back(std::string(column.table), resealColumn(conn, column, edited, fresh));
    }
    tx.commit();
  } catch (const std::exception& e) {
    std::string file;
    try {
      if (original) {
        original->write();
      } else {
        fs::remove(keyFile);
      }
      file = original ? "the key file " + keyFile.string() + " is as it was" : "the key file it made was removed";
    } catch (const std::exception& undo) {
      file = "the key file " + keyFile.string() + " could not be put back (" + undo.what() +
             "): it holds the new key " + fresh.id +
             " after the others, which seals nothing; remove it with `tributary secrets retire-key " + fresh.id + "`";
    }
    throw SecretError(std::string("the rotation changed nothing: ") + e.what() +
                      ". The transaction was rolled back (every value stays sealed with its key) and " + file);
  }

  // 3. The new key seals from now on.
  if (original) {
    edited.makeCurrent(fresh.id);
    try {
      edited.write();
    } catch (const std::exception& e) {
      throw SecretError("every value was re-sealed under the new key " + fresh.id + ", but it could not be made the " +
                        "current key of " + keyFile.string() + " (" + e.what() +
                        "). The file holds it after the others, so every value still opens: move its line first "
                        "in the file, or run `tributary secrets rotate-key` again");
    }
  }
  return result;
}

RetireResult retireKey(db::Connection& conn, const fs::path& keyFile, std::string_view keyId) {
  RotationLock lock(conn);
  KeyFile file = KeyFile::read(keyFile);
  const std::string id(keyId);
  if (!file.find(id)) {
    throw SecretError("the key file " + keyFile.string() + " holds no key " + id + " (it holds " +
                      strings::join(idsOf(file), ", ") + "); nothing was changed");
  }
  if (file.currentId() == id) {
    throw SecretError(id + " is the current key of " + keyFile.string() +
                      " (it seals new values), so it cannot be retired: run `tributary secrets rotate-key` first, "
                      "copy the file to every host, then retire " +
                      id + "; nothing was changed");
  }
  db::Transaction tx(conn);
  for (const auto& column : sealedColumns()) {
    conn.exec("LOCK TABLE " + strings::quoteIdent(column.table) + " IN SHARE MODE");
  }
  std::vector<SealedCount> inUse;
  int64_t values = 0;
  for (const auto& c : countSealed(conn)) {
    if (c.keyId != id) continue;
    inUse.push_back(c);
    values += c.values;
  }
  if (!inUse.empty()) {
    throw SecretError("key " + id + " still seals " + std::to_string(values) + " value(s) (" + describeCounts(inUse) +
                      "), so it stays in " + keyFile.string() +
                      ": hosts that have not got the file whose current key is " + file.currentId() +
                      " still seal with it. Copy the file to every host and restart them, then run `tributary secrets "
                      "rotate-key` (it re-seals every value under a new key) and retire " +
                      id + " after; nothing was changed");
  }
  file.remove(id);
  file.write();
  tx.commit();
  RetireResult result;
  result.keyId = id;
  result.remainingKeyIds = idsOf(file);
  return result;
}

}  // namespace tributary::secrets
