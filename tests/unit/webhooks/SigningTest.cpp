// Standard Webhooks signing, the seeds' legacy header, and how a secret is given.
#include "webhooks/Signing.h"

#include <gtest/gtest.h>

#include "common/Base64.h"

using namespace tributary;
using namespace tributary::webhooks;

namespace signing_test {

// The Standard Webhooks reference libraries' own test vector.
TEST(Signing, SignsTheSpecificationsTestVector) {
  const std::string secret = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signing, ARotationSendsTheCurrentSignatureFirstThenTheOlder) {
  const std::string a(24, 'a'), b(24, 'b');
  const std::string both = signatureHeader({a, b}, "msg_1", 100, "{}");
  EXPECT_EQ(both, sign(a, "msg_1", 100, "{}") + " " + sign(b, "msg_1", 100, "{}"));
  EXPECT_NE(sign(a, "msg_1", 100, "{}"), sign(a, "msg_1", 101, "{}")) << "the timestamp is signed";
  EXPECT_NE(sign(a, "msg_1", 100, "{}"), sign(a, "msg_2", 100, "{}")) << "the id is signed";
}

TEST(Signing, TheLegacyHeaderIsTheHexHmacOfTheBodyAlone) {
  // printf '{"a":1}' | openssl dgst -sha256 -hmac test-secret-key
  EXPECT_EQ(legacySignature("test-secret-key", R"({"a":1})"),
            "sha256=d73208ff11b52cb14463f8cad8c71c3c4fe06fa00734d90e070b7f9dde903d47");
  EXPECT_NE(legacySignature("test-secret-key", R"({"a":1})"), legacySignature("test-secret-key", R"({"a":2})"));
}

TEST(Signing, AWhsecSecretIsItsBase64BytesAndAnyOtherItsOwnBytes) {
  EXPECT_EQ(decodeSecret("test-secret-key"), "test-secret-key");
  EXPECT_EQ(decodeSecret("whsec_" + base64::encode("0123456789abcdef")), "0123456789abcdef");
  const std::string generated = generateSecret();
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(decodeSecret(displaySecret(generated)), generated);
  EXPECT_NE(generateSecret(), generated);
}

TEST(Signing, ABadSecretIsRefusedSayingWhyWithoutTheSecret) {
  auto why = [](const std::string& s) {
    try {
      decodeSecret(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why(""), "is empty: give a secret, or leave it out to have one generated");
  EXPECT_EQ(why("whsec_***"), "starts with whsec_ but what follows is not base64 (standard alphabet, padded)");
  EXPECT_EQ(why("short"), "must be 8 to 256 bytes (after whsec_ decoding), got 5");
  EXPECT_EQ(why(std::string(257, 'x')), "must be 8 to 256 bytes (after whsec_ decoding), got 257");
}

}  // namespace signing_test
