#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Standard Webhooks signing (https://www.standardwebhooks.com): what a receiver's library checks,
// and the seeds' X-Webhook-Signature beside it.
namespace tributary::webhooks {

// A secret as given over the API: "whsec_<base64>" is its base64-decoded bytes; anything else is
// its own bytes. Throws std::invalid_argument (naming what is wrong, never the secret) for an
// empty secret, a whsec_ one that is not base64, or one under 8 bytes or over 256.
std::string decodeSecret(std::string_view given);
// 32 random bytes.
std::string generateSecret();
// "whsec_<base64>": how a secret is shown (once) and how receivers' libraries take it.
std::string displaySecret(std::string_view secretBytes);

// "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
std::string sign(std::string_view secretBytes, std::string_view messageId, int64_t timestampSeconds,
                 std::string_view body);
// The webhook-signature header: one "v1,..." per secret, space-separated (during a rotation the
// current secret's first, then each older one's still in its overlap).
std::string signatureHeader(const std::vector<std::string>& secrets, std::string_view messageId,
                            int64_t timestampSeconds, std::string_view body);
// X-Webhook-Signature for the seeds' receivers: "sha256=<hex HMAC-SHA256 of the body>" under
// the current secret.
std::string legacySignature(std::string_view secretBytes, std::string_view body);

}  // namespace tributary::webhooks
