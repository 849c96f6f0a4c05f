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

// The rule for a request's word for connections (`connector=`), in SQL: the connection named
// `key`, and only when the workspace has no connection of that name, those whose connector type
// is `key` or ends in "." + `key` ("example" for tributary.example). `nameColumn` and
// `typeColumn` hold a row's connection name and connector type; `workspaceParam` and `keyParam`
// are the statement's placeholders ("$1"). A null key matches every row.
inline std::string connectorMatches(const std::string& nameColumn, const std::string& typeColumn,
                                    const std::string& workspaceParam, const std::string& keyParam) {
  const std::string key = keyParam + "::text";
  return "(" + key + " IS NULL OR " + nameColumn + " = " + key +
         " OR (NOT EXISTS (SELECT 1 FROM connections named WHERE named.workspace_id = " + workspaceParam +
         "::uuid AND named.name = " + key + ") AND (" + typeColumn + " = " + key + " OR right(" + typeColumn +
         ", length(" + key + ") + 1) = '.' || " + key + ")))";
}

}  // namespace tributary::api::sql
