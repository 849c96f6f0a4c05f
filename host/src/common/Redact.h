#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/Json.h"

// Nothing secret in a log or an error (issue 16): every text that leaves the process (a log
// line, an HTTP answer) or lands in the database (a job's error, a run's metadata, an event)
// goes through text() or json() at a few choke points, which replace
//  - every value this process was told is secret (remember(): a token, a client secret, a
//    password, a secret setting's value), in the forms it takes on the wire, and
//  - whatever the patterns below hold, secret or not: header lines (Authorization:, Cookie:,
//    X-Api-Key:, ...), query and form parameters (access_token=, password=, ...), JSON members
//    ("refresh_token": "..."), a URL's password (scheme://user:PASSWORD@host) and the credential
//    after "Bearer " or "Basic ".
// with "[redacted]". Names are matched case-insensitively; see secretName() for which.
namespace tributary::redact {

inline constexpr std::string_view kRedacted = "[redacted]";

// Values shorter than this are not remembered: a secret of a few bytes ("admin", "1234") would
// redact ordinary words and numbers in every log line, and is no secret worth the name anyway.
inline constexpr std::size_t kMinRemembered = 8;

// Remembers a secret for the rest of the process (thread-safe, process-wide), with its forms on
// the wire: percent-encoded (upper- and lower-case hex, and the form encoding's '+' for a
// space) and JSON-escaped. Remembering a value twice is harmless. The registry keeps the newest
// 4096 forms: a host that refreshes tokens for months forgets the oldest (long expired) ones.
void remember(std::string_view secret);
// Remembers the password and base64("user:password"), the credential of an Authorization: Basic
// header, so that neither shows when a header or a request is echoed.
void rememberBasic(std::string_view user, std::string_view password);

// `s` with every remembered value and every pattern's value replaced by "[redacted]". Linear in
// the size of `s` whatever the number of remembered values; no allocation beyond the result
// when nothing matches.
std::string text(std::string_view s);
// `value` with text() applied to every string in it, and the string values of members whose key
// is a secret name (secretName) replaced whole: for JSON that lands in a column (a job's result,
// a run's metadata, an event) or an HTTP answer.
Json json(const Json& value);

// Whether a header, parameter or JSON member of this name holds a secret, whatever its value:
// authorization, proxy-authorization, cookie, set-cookie, token, apikey, hapikey, code_verifier;
// any name with api_key or apikey in it; any name ending in access_token, refresh_token, id_token,
// auth_token, session_token, bearer_token, secret, password or passwd. '-' and '_' are alike and
// case does not matter. Pagination cursors (page_token, next_token) are not secrets.
bool secretName(std::string_view name);

// How many forms are remembered (for tests and the bench).
std::size_t rememberedCount();
// Forgets every remembered value: for tests only (a process never unlearns a secret).
void forgetAllForTesting();

}  // namespace tributary::redact
