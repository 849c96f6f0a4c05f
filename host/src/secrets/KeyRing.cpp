#include "secrets/KeyRing.h"

#include "common/Hash.h"
#include "common/Strings.h"
#include "secrets/Cipher.h"
#include "secrets/KeyFile.h"
#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

std::shared_ptr<const std::vector<Key>> readKeys(const std::filesystem::path& file) {
  return std::make_shared<const std::vector<Key>>(KeyFile::read(file).keys());
}

std::string valueOf(std::string_view aad) {
  return aad.empty() ? std::string("a sealed value") : "the value of " + std::string(aad);
}

const Key* findIn(const std::vector<Key>& keys, std::string_view id) {
  for (const auto& k : keys) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

}  // namespace

KeyRing::KeyRing(std::filesystem::path file) : file_(std::move(file)), keys_(readKeys(file_)) {}

std::shared_ptr<KeyRing> KeyRing::loadOrCreate(const std::filesystem::path& file) {
  if (!KeyFile::readIfExists(file)) KeyFile::fresh(file, generateKey()).create();
  return std::make_shared<KeyRing>(file);
}

std::shared_ptr<const KeyRing::Keys> KeyRing::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_;
}

void KeyRing::reload() const {
  auto fresh = readKeys(file_);
  std::lock_guard<std::mutex> lock(mutex_);
  keys_ = std::move(fresh);
}

std::string KeyRing::currentKeyId() const { return snapshot()->front().id; }

std::vector<std::string> KeyRing::keyIds() const {
  std::vector<std::string> out;
  for (const auto& k : *snapshot()) out.push_back(k.id);
  return out;
}

bool KeyRing::contains(std::string_view keyId) const { return findIn(*snapshot(), keyId) != nullptr; }

std::shared_ptr<const Key> KeyRing::keyFor(std::string_view id) const {
  auto keys = snapshot();
  if (const Key* k = findIn(*keys, id)) return std::shared_ptr<const Key>(keys, k);
  reload();
  keys = snapshot();
  if (const Key* k = findIn(*keys, id)) return std::shared_ptr<const Key>(keys, k);
  return nullptr;
}

Sealed KeyRing::seal(std::string_view plaintext, std::string_view aad) const {
  auto keys = snapshot();
  return sealWith(keys->front(), plaintext, aad);
}

std::string KeyRing::derive(std::string_view keyId, std::string_view purpose) const {
  auto key = keyFor(keyId);
  if (!key) {
    throw SecretError("key " + std::string(keyId) + " is not in the key file " + file_.string() + " (it holds " +
                      strings::join(keyIds(), ", ") + ")");
  }
  try {
    return hash::hmacSha256(std::string_view(reinterpret_cast<const char*>(key->bytes.data()), key->bytes.size()),
                            purpose);
  } catch (const std::runtime_error&) {
    throw SecretError("HMAC-SHA256 failed deriving a key from " + std::string(keyId));
  }
}

std::string KeyRing::open(const Sealed& sealed, std::string_view aad) const {
  auto key = keyFor(sealed.keyId);
  if (!key) {
    throw SecretError(valueOf(aad) + " is sealed with key " + sealed.keyId + ", which the key file " + file_.string() +
                      " does not hold (it holds " + strings::join(keyIds(), ", ") +
                      "): copy the key file that every host sharing this database uses to " + file_.string() +
                      " (docs/operators.md, \"Secrets at rest\"); nothing was changed");
  }
  auto plain = openWith(*key, sealed.bytes, aad);
  if (!plain) {
    throw SecretError(valueOf(aad) + " does not open with key " + sealed.keyId + " of " + file_.string() +
                      ": it was tampered with, or sealed for another row; nothing was changed");
  }
  return std::move(*plain);
}

}  // namespace tributary::secrets
