#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tributary::strings {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
std::string toLower(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Edit distance, for "did you mean" suggestions.
size_t levenshtein(std::string_view a, std::string_view b);
// The closest candidate within a small distance, or "" when none is close enough.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

// Quotes a value for a libpq conninfo string.
std::string conninfoQuote(std::string_view value);
// Quotes an identifier for SQL.
std::string quoteIdent(std::string_view ident);
// Quotes a string literal for SQL (standard_conforming_strings on).
std::string quoteLiteral(std::string_view value);

// `s` as valid UTF-8 that PostgreSQL's text accepts: each byte that starts no well-formed
// sequence, and each NUL, becomes U+FFFD. For text from outside (a plugin's error message, a
// vendor's body echoed in it) that must reach a text column whatever it holds.
std::string validUtf8(std::string_view s);

// At most `maxBytes` of `s` (cut before a UTF-8 sequence, never inside one) and "..." when it
// was cut: for showing a value that may be long (a stream's carried state) on one line.
std::string truncate(std::string_view s, size_t maxBytes);

// Whether `s` is a uuid in its canonical 8-4-4-4-12 hex form (either case), as PostgreSQL's
// uuid type prints it: for refusing an id by name before it reaches a ::uuid cast.
bool isUuid(std::string_view s);

// Compares dotted version numbers ("1.10.2" > "1.9"): negative, 0 or positive. Missing parts
// are 0; a part that is not a number compares as text, after the numbers.
int compareVersions(std::string_view a, std::string_view b);

}  // namespace tributary::strings
