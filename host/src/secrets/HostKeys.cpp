#include "secrets/HostKeys.h"

#include "common/Strings.h"
#include "db/Connection.h"
#include "secrets/SealedColumns.h"
#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

namespace fs = std::filesystem;

std::string configName(const config::Config& cfg) {
  return cfg.file.empty() ? std::string("the configuration") : cfg.file.string();
}

}  // namespace

std::optional<fs::path> keyFileFor(const config::Config& cfg) {
  if (cfg.secrets.keyFile) return cfg.secrets.keyFile;
  if (cfg.database.embeddedMode()) return cfg.stateDir / "secret.key";
  return std::nullopt;
}

std::string keyFileRequiredMessage(const config::Config& cfg) {
  return std::string(kKeyFileRequired) + ". Set secrets.key_file in " + configName(cfg) +
         " to the key file the other hosts use (the first time, `tributary secrets rotate-key` creates it once "
         "key_file is set; then copy it to every host; docs/operators.md, \"Secrets at rest\")";
}

std::shared_ptr<KeyRing> openKeyRing(const config::Config& cfg) {
  const auto file = keyFileFor(cfg);
  if (!file) return nullptr;
  if (cfg.database.embeddedMode()) return KeyRing::loadOrCreate(*file);
  std::error_code ec;
  if (fs::symlink_status(*file, ec).type() == fs::file_type::not_found) {
    const std::string config = cfg.file.empty() ? std::string() : " --config " + cfg.file.string();
    throw SecretError("the key file " + file->string() + " (secrets.key_file in " + configName(cfg) +
                      ") does not exist. With database.url set, every host must use the same key file, so none is "
                      "made here: create it on one host with `tributary secrets rotate-key" +
                      config + "` and copy it to every host (docs/operators.md, \"Secrets at rest\")");
  }
  return std::make_shared<KeyRing>(*file);
}

const KeyRing& requireKeyRing(const std::shared_ptr<KeyRing>& ring, const config::Config& cfg) {
  if (!ring) throw SecretError(keyFileRequiredMessage(cfg));
  return *ring;
}

std::shared_ptr<const KeyRing> requiredKeyRing(const config::Config& cfg) {
  auto ring = openKeyRing(cfg);
  requireKeyRing(ring, cfg);
  return ring;
}

void verifyDatabaseKeys(db::Connection& conn, const KeyRing* ring, const fs::path& keyFile) {
  const auto counts = countSealed(conn);
  if (counts.empty()) return;
  if (!ring) {
    throw SecretError(
        "the database holds sealed values (" + describeCounts(counts) + ") and this host has no key file" +
        (keyFile.empty() ? std::string() : " (" + keyFile.string() + ")") + " to open them: " + kKeyFileRequired +
        ". Set secrets.key_file to a copy of the key file the other hosts use; nothing was changed");
  }
  auto firstMissing = [&]() -> const SealedCount* {
    for (const auto& c : counts) {
      if (!ring->contains(c.keyId)) return &c;
    }
    return nullptr;
  };
  if (!firstMissing()) return;
  ring->reload();  // the shared file may have been copied here since this ring read it
  const SealedCount* missing = firstMissing();
  if (!missing) return;
  std::vector<SealedCount> ofKey;
  for (const auto& c : counts) {
    if (c.keyId == missing->keyId) ofKey.push_back(c);
  }
  throw SecretError("the database holds values sealed with key " + missing->keyId + " (" + describeCounts(ofKey) +
                    "), which the key file " + ring->file().string() + " does not hold (it holds " +
                    strings::join(ring->keyIds(), ", ") +
                    "): every host sharing the database must use the same key file. Copy the key file every host "
                    "shares (after a `tributary secrets rotate-key`, the one of the host that ran it) to " +
                    ring->file().string() + " and start again; nothing was changed");
}

}  // namespace tributary::secrets
