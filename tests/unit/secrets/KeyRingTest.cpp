// The key ring: AES-256-GCM sealing and opening with the keys of a key file, and the key file's
// format, mode and line checks (docs/operators.md, "Secrets at rest").
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>

#include "TestSupport.h"
#include "common/Files.h"
#include "secrets/Cipher.h"
#include "secrets/KeyFile.h"
#include "secrets/KeyRing.h"
#include "secrets/SealedColumns.h"
#include "secrets/SecretError.h"

using namespace tributary;
using namespace tributary::secrets;
namespace fs = std::filesystem;

namespace key_ring_test {

// bytes(range(32)) and 32 x 0xff, with their ids as Python's hashlib computes them:
// "k" + sha256(b"tributary-secret-key\n" + key)[:8].hex().
constexpr const char* kIdA = "k17714c7789b0580c";
constexpr const char* kKeyA = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kIdB = "k5702b2c453199a98";
constexpr const char* kKeyB = "//////////////////////////////////////////8=";

std::string lineA() { return std::string(kIdA) + " " + kKeyA + "\n"; }
std::string lineB() { return std::string(kIdB) + " " + kKeyB + "\n"; }

fs::path writeKeyFile(const test::TempDir& dir, const std::string& text, mode_t mode = 0600,
                      const std::string& name = "secret.key") {
  auto path = dir.write(name, text);
  fs::permissions(path, static_cast<fs::perms>(mode));
  return path;
}

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const SecretError& e) {
    return e.what();
  }
  return "(no SecretError)";
}

std::string fromHexString(const std::string& hex) { return fromHex(hex); }

TEST(KeyRing, SealsAndOpensWithTheCurrentKey) {
  test::TempDir dir;
  KeyRing ring(writeKeyFile(dir, "# two keys\n\n" + lineA() + lineB()));
  EXPECT_EQ(ring.currentKeyId(), kIdA) << "the first key line is the current one";
  EXPECT_EQ(ring.keyIds(), (std::vector<std::string>{kIdA, kIdB}));
  for (const std::string& plain :
       {std::string(), std::string("{\"access_token\":\"at-1\"}"), std::string(5000, '\0')}) {
    const auto sealed = ring.seal(plain, "auth_credentials:1");
    EXPECT_EQ(sealed.keyId, kIdA);
    EXPECT_EQ(sealed.bytes.size(), kNonceSize + plain.size() + kTagSize);
    EXPECT_EQ(sealed.bytes.find(plain.empty() ? "\x01\x02\x03" : plain), std::string::npos) << "no plaintext in it";
    EXPECT_EQ(ring.open(sealed, "auth_credentials:1"), plain);
  }
  // A fresh nonce each time: the same value seals differently.
  EXPECT_NE(ring.seal("same", "a").bytes, ring.seal("same", "a").bytes);
}

TEST(KeyRing, OpensWhatAnyKeyOfTheFileSealed) {
  test::TempDir dir;
  const auto oldFile = writeKeyFile(dir, lineB(), 0600, "old.key");
  const auto sealedWithB = KeyRing(oldFile).seal("token", "oauth_states:abc");
  KeyRing ring(writeKeyFile(dir, lineA() + lineB()));
  EXPECT_EQ(ring.open(sealedWithB, "oauth_states:abc"), "token");
}

// The format is plain AES-256-GCM, nonce || ciphertext || tag: a value sealed by another
// implementation (Python's cryptography, AESGCM(key).encrypt(nonce, data, aad)) opens.
TEST(KeyRing, OpensStandardAes256GcmWithTheNonceFirstAndTheTagLast) {
  test::TempDir dir;
  KeyRing ring(writeKeyFile(dir, lineA()));
  const Sealed sealed{kIdA,
                      fromHexString("6465666768696a6b6c6d6e6f3339bf051a8c25ed61163083bf0b48c760a37227ba4e8e2caa8fe3ab5"
                                    "1dec8431b7d65e496964a")};
  EXPECT_EQ(ring.open(sealed, "auth_credentials:6f1c2b1e-0000-4000-8000-000000000001"), "{\"access_token\":\"at-1\"}");
}

TEST(KeyRing, RefusesAValueSealedForOtherAssociatedData) {
  test::TempDir dir;
  const auto file = writeKeyFile(dir, lineA());
  KeyRing ring(file);
  const auto sealed = ring.seal("refresh-token-1", "auth_credentials:row-1");
  const auto message = errorOf([&] { ring.open(sealed, "auth_credentials:row-2"); });
  EXPECT_EQ(message, "the value of auth_credentials:row-2 does not open with key " + std::string(kIdA) + " of " +
                         file.string() + ": it was tampered with, or sealed for another row; nothing was changed");
  EXPECT_EQ(message.find("refresh-token-1"), std::string::npos);
}

TEST(KeyRing, RefusesAValueWithAnyByteChanged) {
  test::TempDir dir;
  KeyRing ring(writeKeyFile(dir, lineA()));
  const auto sealed = ring.seal("a secret value", "t:1");
  // The nonce, the ciphertext and the tag: every byte counts.
  for (size_t i = 0; i < sealed.bytes.size(); ++i) {
    Sealed tampered = sealed;
    tampered.bytes[i] = static_cast<char>(tampered.bytes[i] ^ 0x01);
    EXPECT_NE(errorOf([&] { ring.open(tampered, "t:1"); }).find("does not open with key " + std::string(kIdA)),
              std::string::npos)
        << "byte " << i;
  }
  Sealed truncated = sealed;
  truncated.bytes.resize(kNonceSize + kTagSize - 1);
  EXPECT_NE(errorOf([&] { ring.open(truncated, "t:1"); }).find("does not open"), std::string::npos);
}

TEST(KeyRing, AnUnknownKeyIdNamesTheFileAndTheIdAndSaysToCopyTheSharedFile) {
  test::TempDir dir;
  const auto file = writeKeyFile(dir, lineA());
  KeyRing ring(file);
  const Sealed other{"k0123456789abcdef", std::string(40, 'x')};
  EXPECT_EQ(errorOf([&] { ring.open(other, "auth_credentials:7"); }),
            "the value of auth_credentials:7 is sealed with key k0123456789abcdef, which the key file " +
                file.string() + " does not hold (it holds " + kIdA +
                "): copy the key file that every host sharing this database uses to " + file.string() +
                " (docs/operators.md, \"Secrets at rest\"); nothing was changed");
}

// A value sealed with a key the ring lacks makes it read its file again: the shared file may
// have been copied here after another host rotated the key.
TEST(KeyRing, AKeyItLacksMakesItReadTheFileAgain) {
  test::TempDir dir;
  const auto sealedWithB = KeyRing(writeKeyFile(dir, lineB(), 0600, "b.key")).seal("v", "t:1");
  const auto file = writeKeyFile(dir, lineA());
  KeyRing ring(file);
  EXPECT_FALSE(ring.contains(kIdB));
  files::writeFileAtomic(file, lineB() + lineA());
  fs::permissions(file, static_cast<fs::perms>(0600));
  EXPECT_EQ(ring.open(sealedWithB, "t:1"), "v");
  EXPECT_EQ(ring.currentKeyId(), kIdB) << "the file read again brings its current key";
}

TEST(KeyRing, AReloadThatFailsKeepsTheKeysItHad) {
  test::TempDir dir;
  const auto file = writeKeyFile(dir, lineA());
  KeyRing ring(file);
  fs::permissions(file, static_cast<fs::perms>(0644));
  EXPECT_NE(errorOf([&] { ring.reload(); }).find("is mode 0644"), std::string::npos);
  EXPECT_EQ(ring.currentKeyId(), kIdA);
  EXPECT_EQ(ring.open(ring.seal("x", "t:1"), "t:1"), "x");
}

TEST(KeyRing, IsSafeFromManyThreadsWhileItReloads) {
  test::TempDir dir;
  KeyRing ring(writeKeyFile(dir, lineA() + lineB()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string aad = "t:" + std::to_string(t) + ":" + std::to_string(i);
        if (ring.open(ring.seal(aad, aad), aad) != aad) ++failures;
        if (i % 50 == 0) ring.reload();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(KeyFile, AFileReadableByGroupOrOthersIsRefusedWithItsModeAndTheFix) {
  test::TempDir dir;
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    const auto file = writeKeyFile(dir, lineA(), mode);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_EQ(errorOf([&] { KeyRing ring(file); }),
              "the key file " + file.string() + " is mode " + octal +
                  ", readable by group or others: it opens every sealed credential, so it must be readable by its "
                  "owner only (0600 or stricter). Run `chmod 600 " +
                  file.string() + "`");
  }
  // Stricter than 0600 is fine.
  EXPECT_EQ(KeyRing(writeKeyFile(dir, lineA(), 0400)).currentKeyId(), kIdA);
}

TEST(KeyFile, ABadLineIsNamedByFileAndLineWithoutQuotingIt) {
  test::TempDir dir;
  const std::string a = lineA();
  struct Case {
    std::string text;
    std::string expected;  // after "FILE:"
  };
  const std::vector<Case> cases = {
      {"# ok\n" + std::string(kKeyA) + "\n",
       "2: a key line is `<key-id> <base64 of 32 random bytes>` (comments start with #); this one has 1 fields"},
      {a + std::string(kIdB) + " " + kKeyB + " trailing\n",
       "2: a key line is `<key-id> <base64 of 32 random bytes>` (comments start with #); this one has 3 fields"},
      {std::string(kKeyA) + " " + kIdA + "\n",
       "1: the first field is not a key id (k and 16 lowercase hex digits); a key line is `<key-id> <base64 of 32 "
       "random bytes>`"},
      {"\n\n" + std::string(kIdA) + " AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
       "3: the key of " + std::string(kIdA) + " is not valid base64 (standard alphabet, = padding)"},
      {std::string(kIdA) + " AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A\n",
       "1: the key of " + std::string(kIdA) + " is 33 bytes; a key is 32 bytes (base64 of 32 random bytes)"},
      {a + "  # indented comments and blank lines are fine\n\t\n" + a,
       "4: key " + std::string(kIdA) + " is given twice (first at line 1)"},
  };
  for (const auto& c : cases) {
    const auto file = writeKeyFile(dir, c.text);
    const auto message = errorOf([&] { KeyRing ring(file); });
    EXPECT_EQ(message, file.string() + ":" + c.expected);
    EXPECT_EQ(message.find(kKeyA), std::string::npos) << "a key in a message: " << message;
    EXPECT_EQ(message.find(kKeyB), std::string::npos) << "a key in a message: " << message;
  }
}

TEST(KeyFile, ALineWhoseIdDoesNotMatchItsKeyIsRefused) {
  test::TempDir dir;
  const auto file = writeKeyFile(dir, "# edited by hand\n" + std::string(kIdB) + " " + kKeyA + "\n");
  EXPECT_EQ(errorOf([&] { KeyRing ring(file); }),
            file.string() + ":2: the key id " + kIdB + " does not match its key (whose id is " + kIdA +
                "): the line was edited, or its id or key was copied wrong. Copy the key file the other hosts use, "
                "or restore this line");
}

TEST(KeyFile, AFileWithNoKeyIsRefused) {
  test::TempDir dir;
  const auto file = writeKeyFile(dir, "# nothing here yet\n\n");
  EXPECT_EQ(errorOf([&] { KeyRing ring(file); }),
            "the key file " + file.string() +
                " holds no key: a key line is `<key-id> <base64 of 32 random bytes>` (docs/operators.md, \"Secrets at "
                "rest\")");
  EXPECT_EQ(errorOf([&] { KeyRing ring(dir / "absent.key"); }),
            "the key file " + (dir / "absent.key").string() + " does not exist");
}

TEST(KeyFile, AcceptsCrlfAndTrailingBlanks) {
  test::TempDir dir;
  KeyRing ring(writeKeyFile(dir, std::string(kIdA) + "\t" + kKeyA + " \r\n" + std::string(kIdB) + " " + kKeyB));
  EXPECT_EQ(ring.keyIds(), (std::vector<std::string>{kIdA, kIdB}));
}

TEST(KeyFile, EditsKeepEveryOtherLineAndWriteMode0600) {
  test::TempDir dir;
  const auto path = writeKeyFile(dir, "# header\n" + lineA() + "# between\n" + lineB());
  auto file = KeyFile::read(path);
  file.makeCurrent(kIdB);
  EXPECT_EQ(file.text(), "# header\n" + lineB() + lineA() + "# between\n");
  file.remove(kIdA);
  EXPECT_EQ(file.text(), "# header\n" + lineB() + "# between\n");
  Key a = KeyFile::read(writeKeyFile(dir, lineA(), 0600, "a.key")).keys().front();
  file.addLast(a);
  EXPECT_EQ(file.text(), "# header\n" + lineB() + "# between\n" + lineA());
  file.remove(kIdA);
  file.addCurrent(a);
  EXPECT_EQ(file.text(), "# header\n" + lineA() + lineB() + "# between\n");
  ::umask(0);  // the file's mode must not depend on the umask
  file.write();
  ::umask(022);
  EXPECT_EQ(modeOf(path), 0600u);
  EXPECT_EQ(files::readFile(path), file.text());
  EXPECT_EQ(KeyFile::read(path).currentId(), kIdA);
  EXPECT_EQ(errorOf([&] { file.remove("k0000000000000000"); }),
            "the key file " + path.string() + " holds no key k0000000000000000");
}

TEST(KeyFile, AKeyIdIsDerivedFromItsKey) {
  Key k = generateKey();
  EXPECT_EQ(k.id, keyIdOf(k.bytes));
  EXPECT_EQ(k.id.size(), 17u);
  EXPECT_EQ(k.id[0], 'k');
  EXPECT_NE(generateKey().id, k.id);
  std::array<unsigned char, kKeySize> a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(keyIdOf(a), kIdA) << "the same key has the same id on every host";
}

TEST(KeyRing, LoadOrCreateMakesAFileOfMode0600AndASecondCallReusesIt) {
  test::TempDir dir;
  const auto path = dir / "state" / "secret.key";
  fs::create_directories(path.parent_path());
  ::umask(0);  // created with its mode, not chmod'ed after a umask let others in
  auto first = KeyRing::loadOrCreate(path);
  ::umask(022);
  EXPECT_EQ(modeOf(path), 0600u);
  const std::string text = files::readFile(path);
  EXPECT_EQ(first->keyIds().size(), 1u);
  EXPECT_NE(text.find(first->currentKeyId() + " "), std::string::npos);
  EXPECT_EQ(text.rfind("# ", 0), 0u) << "it says what it is";
  auto second = KeyRing::loadOrCreate(path);
  EXPECT_EQ(second->currentKeyId(), first->currentKeyId());
  EXPECT_EQ(files::readFile(path), text) << "reused, not rewritten";
  EXPECT_EQ(second->open(first->seal("v", "t:1"), "t:1"), "v");
  // No stray temporary file beside it.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(path.parent_path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(KeyRing, LoadOrCreateNeedsTheDirectoryAndRefusesABadFile) {
  test::TempDir dir;
  const auto path = dir / "missing" / "secret.key";
  EXPECT_EQ(errorOf([&] { KeyRing::loadOrCreate(path); }), "cannot create the key file: cannot write the key file " +
                                                               path.string() + ": its directory " +
                                                               (dir / "missing").string() + " does not exist");
  const auto open = writeKeyFile(dir, lineA(), 0644);
  EXPECT_NE(errorOf([&] { KeyRing::loadOrCreate(open); }).find("is mode 0644"), std::string::npos)
      << "an existing file is never replaced";
  EXPECT_EQ(files::readFile(open), lineA());
}

TEST(KeyRing, ConcurrentCreatorsEndUpWithOneKey) {
  test::TempDir dir;
  const auto path = dir / "secret.key";
  std::vector<std::string> ids(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] { ids[i] = KeyRing::loadOrCreate(path)->currentKeyId(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(KeyFile::read(path).keys().size(), 1u);
}

TEST(SealedColumns, ListTheTablesOfMigrations016And018WithTheirAssociatedData) {
  ASSERT_EQ(sealedColumns().size(), 3u);
  EXPECT_EQ(sealedColumns()[0].table, "auth_credentials");
  EXPECT_EQ(sealedColumns()[0].idColumn, "credential");
  EXPECT_EQ(sealedColumns()[1].table, "oauth_states");
  EXPECT_EQ(sealedColumns()[1].idColumn, "id");
  EXPECT_EQ(sealedColumns()[2].table, "webhook_secrets");
  EXPECT_EQ(sealedColumns()[2].idColumn, "id");
  EXPECT_EQ(aadFor(sealedColumns()[0], "6f1c"), "auth_credentials:6f1c");
  EXPECT_EQ(byteaParam(std::string("\x00\xff\x10", 3)), "\\x00ff10");
  EXPECT_EQ(fromHex("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_THROW(fromHex("0g"), SecretError);
}

}  // namespace key_ring_test
