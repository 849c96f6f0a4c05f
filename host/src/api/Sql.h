#pragma once

#include <optional>
#include <string>

#include "common/Json.h"

// Small helpers the API's routes share for what they read from the database.
namespace tributary::api::sql {

// A nullable column as JSON: the text or null.
inline Json opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

// `column` (a timestamptz) as ISO 8601 in UTC with milliseconds, in SQL.
inline std::string iso(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

// The same with microseconds, where a client must be able to name a row's time exactly.
inline std::string isoMicros(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace tributary::api::sql
