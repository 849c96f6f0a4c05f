#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tributary::db {

// A PostgreSQL array literal of text ("{"a","b"}"), for a `$1::text[]` (or uuid[], jsonb[], ...)
// parameter: one round trip for many values. nullopt items are NULL.
std::string textArray(const std::vector<std::string>& items);
std::string textArray(const std::vector<std::optional<std::string>>& items);

}  // namespace tributary::db
