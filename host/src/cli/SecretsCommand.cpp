#include "cli/SecretsCommand.h"

#include <algorithm>
#include <iostream>
#include <set>

#include "common/Strings.h"
#include "db/Connection.h"
#include "db/DatabaseHandle.h"
#include "secrets/HostKeys.h"
#include "secrets/KeyFile.h"
#include "secrets/KeyRotation.h"
#include "secrets/SealedColumns.h"
#include "secrets/SecretError.h"

namespace tributary::cli {

namespace {

std::string wordOf(SecretsCommand::Action a) {
  switch (a) {
    case SecretsCommand::Action::RotateKey: return "secrets rotate-key";
    case SecretsCommand::Action::RetireKey: return "secrets retire-key";
    case SecretsCommand::Action::Status: return "secrets status";
  }
  return "secrets";
}

std::string synopsis(SecretsCommand::Action a) { return a == SecretsCommand::Action::RetireKey ? "KEY_ID" : ""; }

std::string describe(SecretsCommand::Action a) {
  switch (a) {
    case SecretsCommand::Action::RotateKey:
      return "Makes a new key the current one of the key file (secrets.key_file, or STATE_DIR/secret.key with the "
             "embedded database) and re-seals every sealed value under it in one transaction. The old keys stay in "
             "the file after it, so what hosts without the new file still seal opens everywhere. The new key is "
             "appended to the file first, the values re-sealed, then the key moved first; if the transaction fails, "
             "the file is put back and nothing changes. Creates the key file when there is none. Then copy the file "
             "to every host that shares the database, and once every host has it, retire the old keys.";
    case SecretsCommand::Action::RetireKey:
      return "Removes a key that is not the current one from the key file, once no sealed value uses it (else it "
             "refuses, naming the tables and how many values each holds). Retire a key only once every host has the "
             "file whose current key is another.";
    case SecretsCommand::Action::Status:
      return "Prints the key file, its keys (which one seals) and how many sealed values each key id seals in each "
             "table. Exits 1 when some values cannot be opened here (a key id the file lacks, no key file). Never "
             "prints key material.";
  }
  return "";
}

std::string configOption(const config::Config& cfg) {
  return cfg.file.empty() ? std::string() : " --config " + cfg.file.string();
}

// "k1, k2", or "none".
std::string listOrNone(const std::vector<std::string>& ids) { return ids.empty() ? "none" : strings::join(ids, ", "); }

}  // namespace

SecretsCommand::SecretsCommand(Action action)
    : Command(wordOf(action), synopsis(action), describe(action)), action_(action) {}

int SecretsCommand::execute(const std::vector<std::string>& args) {
  const std::string word = "tributary " + wordOf(action_);
  const size_t expected = action_ == Action::RetireKey ? 1 : 0;
  if (args.size() != expected) {
    std::cerr << "usage: " << word << (expected ? " " + synopsis(action_) : std::string()) << "\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  const auto keyFile = secrets::keyFileFor(*cfg);
  if (action_ == Action::Status) return status(*cfg, keyFile);
  if (!keyFile) throw secrets::SecretError(secrets::keyFileRequiredMessage(*cfg));
  if (action_ == Action::RotateKey) return rotate(*cfg, *keyFile);
  return retire(*cfg, *keyFile, args[0]);
}

int SecretsCommand::rotate(const config::Config& cfg, const std::filesystem::path& keyFile) {
  auto handle = openDatabase(cfg);
  db::Connection conn(handle->conninfo());
  const auto r = secrets::rotateKey(conn, keyFile);
  const std::string file = keyFile.string();
  if (r.createdFile) std::cout << "created the key file " << file << " (mode 0600)\n";
  std::cout << "new key " << r.newKeyId << " is the current key of " << file << "\n";
  std::vector<std::string> counts;
  int64_t total = 0;
  for (const auto& [table, n] : r.resealed) {
    counts.push_back(table + " " + std::to_string(n));
    total += n;
  }
  std::cout << "re-sealed " << total << " value(s) under " << r.newKeyId
            << ", in one transaction: " << strings::join(counts, ", ") << "\n";
  if (r.keptKeyIds.empty()) {
    std::cout << "next: copy " << file << " to every host that shares this database (mode 600, the same file on "
              << "each: docs/operators.md, \"Secrets at rest\")\n";
    return kOk;
  }
  std::cout << "kept after it in the file: " << strings::join(r.keptKeyIds, ", ")
            << ". Hosts that have not got the new file yet keep sealing with their current key, and every host "
               "opens what they seal; but they cannot open values sealed with "
            << r.newKeyId << " until they have it\n";
  std::cout << "next: copy " << file << " to every host that shares this database now (a running host reads it "
            << "again when it meets a value sealed with " << r.newKeyId << "; or restart it). Once every host has it, "
            << "retire the old key" << (r.keptKeyIds.size() == 1 ? "" : "s") << ":";
  for (const auto& id : r.keptKeyIds) std::cout << " `tributary secrets retire-key " << id << configOption(cfg) << "`";
  std::cout << "\n";
  return kOk;
}

int SecretsCommand::retire(const config::Config& cfg, const std::filesystem::path& keyFile, const std::string& keyId) {
  auto handle = openDatabase(cfg);
  db::Connection conn(handle->conninfo());
  const auto r = secrets::retireKey(conn, keyFile, keyId);
  std::cout << "retired key " << r.keyId << ": removed from " << keyFile.string() << ", which holds "
            << listOrNone(r.remainingKeyIds) << " (" << r.remainingKeyIds.front() << " current)\n"
            << "copy it to every host that shares this database, as after a rotation\n";
  return kOk;
}

int SecretsCommand::status(const config::Config& cfg, const std::optional<std::filesystem::path>& keyFile) {
  auto handle = openDatabase(cfg);
  db::Connection conn(handle->conninfo());
  const auto counts = secrets::countSealed(conn);
  std::optional<secrets::KeyFile> file;
  bool openable = true;
  if (!keyFile) {
    std::cout << "key file: none. " << secrets::keyFileRequiredMessage(cfg) << "\n";
    openable = counts.empty();
  } else {
    file = secrets::KeyFile::readIfExists(*keyFile);
    if (!file) {
      std::cout << "key file: " << keyFile->string() << " does not exist yet ("
                << (cfg.database.embeddedMode() ? "serve creates it at its first start, or "
                                                : "create it on one host with ")
                << "`tributary secrets rotate-key" << configOption(cfg) << "`"
                << (cfg.database.embeddedMode() ? "" : ", then copy it to every host") << ")\n";
      openable = counts.empty();
    } else {
      std::cout << "key file: " << keyFile->string() << " (mode " << secrets::formatMode(file->mode()) << ")\n";
      std::cout << "keys:\n";
      bool first = true;
      for (const auto& k : file->keys()) {
        std::cout << "  " << k.id << "  " << (first ? "current: seals new values, opens" : "opens only") << "\n";
        first = false;
      }
    }
  }
  if (counts.empty()) {
    std::cout << "sealed values: none\n";
    return openable ? kOk : kFailure;
  }
  std::cout << "sealed values:\n";
  size_t width = 0;
  for (const auto& c : counts) width = std::max(width, c.table.size());
  for (const auto& c : counts) {
    const bool held = file && file->find(c.keyId);
    if (!held) openable = false;
    std::cout << "  " << c.table << std::string(width - c.table.size() + 2, ' ') << c.keyId << "  " << c.values
              << (held || !file ? "" : "  NOT IN THE KEY FILE: this host cannot open them") << "\n";
  }
  return openable ? kOk : kFailure;
}

}  // namespace tributary::cli
