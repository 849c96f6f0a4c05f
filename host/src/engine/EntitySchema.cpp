#include "engine/EntitySchema.h"

namespace tributary::engine {

int Entity::columnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<Entity>& allEntities() {
  using T = ColumnType;
  static const std::vector<Entity> kEntities = {
      {"deals",
       {{"name", T::Text},
        {"amount", T::Numeric},
        {"stage", T::Text},
        {"close_date", T::Date},
        {"pipeline", T::Text},
        {"owner_id", T::Text},
        {"account_id", T::Text}}},
      {"contacts", {{"email", T::Text}, {"first_name", T::Text}, {"last_name", T::Text}, {"account_id", T::Text}}},
      {"accounts", {{"name", T::Text}, {"domain", T::Text}, {"industry", T::Text}}},
      {"calls",
       {{"title", T::Text},
        {"started_at", T::Timestamp},
        {"duration_seconds", T::Integer},
        {"direction", T::Text},
        {"url", T::Text},
        {"transcript", T::Json}}},
      {"documents",
       {{"title", T::Text},
        {"mime_type", T::Text},
        {"url", T::Text},
        {"size_bytes", T::BigInt},
        {"parent_id", T::Text}}},
      {"tasks",
       {{"title", T::Text},
        {"status", T::Text},
        {"due_date", T::Date},
        {"assignee", T::Text},
        {"project_id", T::Text}}},
  };
  return kEntities;
}

const Entity* findEntity(std::string_view name) {
  for (const auto& e : allEntities()) {
    if (e.table == name) return &e;
  }
  return nullptr;
}

std::string_view sqlType(ColumnType t) {
  switch (t) {
    case ColumnType::Text: return "text";
    case ColumnType::Numeric: return "numeric";
    case ColumnType::Integer: return "integer";
    case ColumnType::BigInt: return "bigint";
    case ColumnType::Date: return "date";
    case ColumnType::Timestamp: return "timestamptz";
    case ColumnType::Json: return "jsonb";
  }
  return "text";
}

void appendCopyText(std::string& line, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default: continue;
    }
    line.append(value.data() + start, i - start);
    line.append(esc);
    start = i + 1;
  }
  line.append(value.data() + start, value.size() - start);
}

}  // namespace tributary::engine
