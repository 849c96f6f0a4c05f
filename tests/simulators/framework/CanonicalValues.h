#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tributary::sim {

// The sanitizing rules of docs/canonical-model.md, applied to a vendor's raw JSON value, each
// returning the canonical text rendering (nullopt is SQL null). The ground truth is computed
// with these from the very values the endpoints serve, so it is what a perfect connector
// derives.
class CanonicalValues {
 public:
  struct Numeric {
    std::optional<std::string> value;
    // Present but not a number ("TBD"): the record is poison.
    bool invalid = false;
  };

  // Empty or whitespace-only is null; numbers and booleans are rendered as text.
  static std::optional<std::string> text(const nlohmann::json& value);
  // text() cut to `maxChars` Unicode code points.
  static std::optional<std::string> truncated(const nlohmann::json& value, size_t maxChars = 255);
  // text(), trimmed and ASCII-lowercased.
  static std::optional<std::string> email(const nlohmann::json& value);
  // Shortest decimal, no trailing zeros, no exponent: "1500.50" -> "1500.5".
  static Numeric numeric(const nlohmann::json& value);
  // YYYY-MM-DD; a datetime is cut to its UTC date; epoch milliseconds are accepted; an
  // unparseable date is null.
  static std::optional<std::string> date(const nlohmann::json& value);
  // Lowercased host with "www." removed, taken from a URL when given one.
  static std::optional<std::string> domain(const nlohmann::json& value);

  static bool isBlank(const std::string& text);
  static std::string trim(const std::string& text);
  // An email "address" as the poison rule reads it: one '@' with text on both sides.
  static bool looksLikeEmail(const std::string& trimmed);
};

}  // namespace tributary::sim
