#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::engine {

enum class ColumnType { Text, Numeric, Integer, BigInt, Date, Timestamp, Json };

struct Column {
  std::string name;
  ColumnType type;
};

// A canonical entity (docs/canonical-model.md): the table and its typed columns, in order.
struct Entity {
  std::string table;
  std::vector<Column> columns;
  int columnIndex(std::string_view name) const;
};

// The entity named `name` (deals, contacts, accounts, calls, documents, tasks), or null.
const Entity* findEntity(std::string_view name);
const std::vector<Entity>& allEntities();

std::string_view sqlType(ColumnType t);

// Appends `value` to a COPY text-format line, escaped.
void appendCopyText(std::string& line, std::string_view value);
inline void appendCopyNull(std::string& line) { line.append("\\N"); }

}  // namespace tributary::engine
