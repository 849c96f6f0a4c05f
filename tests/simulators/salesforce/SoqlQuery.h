#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::sim {

// A literal of the SOQL subset. Dates and datetimes are unquoted in SOQL.
struct SoqlLiteral {
  enum class Kind { String, Number, Boolean, Null, Date, DateTime };
  Kind kind = Kind::Null;
  std::string text;
  double number = 0;
  bool boolean = false;
  // Date: midnight UTC; DateTime: the instant.
  int64_t epochMs = 0;
  size_t column = 0;
};

struct SoqlCondition {
  enum class Kind { Compare, In, NotIn, Like, And, Or, Not };
  Kind kind = Kind::Compare;
  // Compare/In/NotIn/Like: the field as written, then its describe name once bound.
  std::string field;
  size_t fieldColumn = 0;
  // = != < <= > >=  (<> is read as !=)
  std::string op;
  std::vector<SoqlLiteral> values;
  // And/Or/Not
  std::vector<SoqlCondition> children;
};

struct SoqlOrder {
  std::string field;
  size_t column = 0;
  bool descending = false;
  bool nullsFirst = true;
};

// SELECT fields|COUNT() FROM object [WHERE ...] [ORDER BY ...] [LIMIT n]
struct SoqlQuery {
  std::string text;
  bool count = false;
  std::vector<std::string> fields;
  std::vector<size_t> fieldColumns;
  std::string object;
  size_t objectColumn = 0;
  std::optional<SoqlCondition> where;
  std::vector<SoqlOrder> orderBy;
  std::optional<uint64_t> limit;
};

}  // namespace tributary::sim
