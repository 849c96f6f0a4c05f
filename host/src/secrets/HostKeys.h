#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "config/Config.h"
#include "secrets/KeyRing.h"

namespace tributary::db {
class Connection;
}

namespace tributary::secrets {

// Why a host on database.url with no secrets.key_file has no ring.
inline constexpr const char* kKeyFileRequired =
    "secrets.key_file is required when database.url is set: several hosts share the database and must share one key "
    "file";

// The host's key file: secrets.key_file when set; else, with the embedded database,
// STATE_DIR/secret.key; else (database.url and no key_file) none.
std::optional<std::filesystem::path> keyFileFor(const config::Config& cfg);

// The host's ring, from keyFileFor(cfg). With the embedded database the file is created (one new
// key, mode 0600) when it does not exist; with database.url it must exist, since every host must
// have the same one (the message says how to make it). nullptr when there is no key file
// (database.url and no secrets.key_file): nothing is sealed or opened until one is set, and
// requireKeyRing says so. Throws SecretError naming the file.
std::shared_ptr<KeyRing> openKeyRing(const config::Config& cfg);

// `ring` itself, or a SecretError when there is none: kKeyFileRequired, and where to set it.
const KeyRing& requireKeyRing(const std::shared_ptr<KeyRing>& ring, const config::Config& cfg);
// openKeyRing's ring, or a SecretError when there is none (keyFileRequiredMessage): for a process
// about to seal or open a value.
std::shared_ptr<const KeyRing> requiredKeyRing(const config::Config& cfg);
// That message.
std::string keyFileRequiredMessage(const config::Config& cfg);

// The start-up check of a host (after migrations): every key id of every sealed table
// (sealedColumns()) must be in `ring`, read again once when it lacks one. Throws SecretError
// naming the key file, the first id it lacks and the values that id seals, or, with no ring
// while values are sealed, kKeyFileRequired; the message says that nothing was changed.
// `keyFile` is named when there is no ring (empty: none was configured).
void verifyDatabaseKeys(db::Connection& conn, const KeyRing* ring, const std::filesystem::path& keyFile);

}  // namespace tributary::secrets
