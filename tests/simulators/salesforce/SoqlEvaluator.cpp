#include "SoqlEvaluator.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "../framework/TimeFormat.h"

namespace tributary::sim {
namespace {

// -1/0/1 between a field value and a literal; nullopt when they cannot be compared.
std::optional<int> compareValue(const nlohmann::json& value, const SoqlLiteral& literal, SalesforceFieldType type) {
  auto sign = [](auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); };
  switch (type) {
    case SalesforceFieldType::Currency:
      if (!value.is_number()) return std::nullopt;
      return sign(value.get<double>(), literal.number);
    case SalesforceFieldType::DateTime: {
      if (!value.is_string()) return std::nullopt;
      const auto ms = TimeFormat::parseIso(value.get<std::string>());
      if (!ms) return std::nullopt;
      return sign(*ms, literal.epochMs);
    }
    case SalesforceFieldType::Date:
      if (!value.is_string()) return std::nullopt;
      return sign(value.get<std::string>().compare(literal.text.substr(0, 10)), 0);
    case SalesforceFieldType::Boolean:
      if (!value.is_boolean()) return std::nullopt;
      return sign(static_cast<int>(value.get<bool>()), static_cast<int>(literal.boolean));
    default:
      if (!value.is_string()) return std::nullopt;
      return sign(strcasecmp(value.get<std::string>().c_str(), literal.text.c_str()), 0);
  }
}

bool compareOp(const std::string& op, int c) {
  if (op == "=") return c == 0;
  if (op == "!=") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool equalsLiteral(const nlohmann::json& value, const SoqlLiteral& literal, SalesforceFieldType type) {
  if (literal.kind == SoqlLiteral::Kind::Null) return value.is_null();
  if (value.is_null()) return false;
  return compareValue(value, literal, type) == 0;
}

// -1/0/1 between two values of one field; nulls handled by the caller.
int compareFieldValues(const nlohmann::json& a, const nlohmann::json& b, SalesforceFieldType type) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (type == SalesforceFieldType::Currency && a.is_number() && b.is_number()) {
    return sign(a.get<double>(), b.get<double>());
  }
  if (type == SalesforceFieldType::DateTime && a.is_string() && b.is_string()) {
    const auto x = TimeFormat::parseIso(a.get<std::string>());
    const auto y = TimeFormat::parseIso(b.get<std::string>());
    if (x && y) return sign(*x, *y);
  }
  if (a.is_boolean() && b.is_boolean()) return sign(static_cast<int>(a.get<bool>()), static_cast<int>(b.get<bool>()));
  const std::string x = a.is_string() ? a.get<std::string>() : a.dump();
  const std::string y = b.is_string() ? b.get<std::string>() : b.dump();
  if (type == SalesforceFieldType::Id || type == SalesforceFieldType::Reference) return sign(x.compare(y), 0);
  return sign(strcasecmp(x.c_str(), y.c_str()), 0);
}

}  // namespace

bool SoqlEvaluator::like(const std::string& value, const std::string& pattern) {
  // Iterative wildcard match with backtracking on the last %.
  size_t v = 0, p = 0, starP = std::string::npos, starV = 0;
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || (pattern[p] != '%' && same(pattern[p], value[v])))) {
      ++v;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      starP = p++;
      starV = v;
    } else if (starP != std::string::npos) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

bool SoqlEvaluator::matches(const SoqlCondition& condition, const nlohmann::json& record,
                            const SalesforceObject& object) {
  using Kind = SoqlCondition::Kind;
  switch (condition.kind) {
    case Kind::And:
      return std::all_of(condition.children.begin(), condition.children.end(),
                         [&](const SoqlCondition& c) { return matches(c, record, object); });
    case Kind::Or:
      return std::any_of(condition.children.begin(), condition.children.end(),
                         [&](const SoqlCondition& c) { return matches(c, record, object); });
    case Kind::Not: return !matches(condition.children.front(), record, object);
    default: break;
  }
  const SalesforceFieldType type = object.field(condition.field)->type;
  const nlohmann::json& value = record.contains(condition.field) ? record[condition.field] : nlohmann::json::object();
  if (condition.kind == Kind::In || condition.kind == Kind::NotIn) {
    const bool found = std::any_of(condition.values.begin(), condition.values.end(),
                                   [&](const SoqlLiteral& l) { return equalsLiteral(value, l, type); });
    return condition.kind == Kind::In ? found : !found;
  }
  if (condition.kind == Kind::Like) {
    return value.is_string() && like(value.get<std::string>(), condition.values.front().text);
  }
  const SoqlLiteral& literal = condition.values.front();
  if (literal.kind == SoqlLiteral::Kind::Null) {
    return condition.op == "=" ? value.is_null() : !value.is_null();
  }
  // In SOQL, "!=" also matches records where the field is null.
  if (value.is_null()) return condition.op == "!=";
  const auto c = compareValue(value, literal, type);
  if (!c) return condition.op == "!=";
  return compareOp(condition.op, *c);
}

bool SoqlEvaluator::before(const std::vector<SoqlOrder>& order, const nlohmann::json& a, const nlohmann::json& b,
                           const SalesforceObject& object) {
  for (const SoqlOrder& item : order) {
    const nlohmann::json& x = a[item.field];
    const nlohmann::json& y = b[item.field];
    if (x.is_null() || y.is_null()) {
      if (x.is_null() && y.is_null()) continue;
      return x.is_null() ? item.nullsFirst : !item.nullsFirst;
    }
    const int c = compareFieldValues(x, y, object.field(item.field)->type);
    if (c != 0) return item.descending ? c > 0 : c < 0;
  }
  return a["Id"].get<std::string>() < b["Id"].get<std::string>();
}

}  // namespace tributary::sim
