#include "SoqlBinder.h"

#include <strings.h>

#include "SoqlError.h"

namespace tributary::sim {
namespace {

const SalesforceField& resolve(const std::string& query, const SalesforceObject& object, const std::string& name,
                               size_t column) {
  const SalesforceField* field = object.field(name);
  if (!field) {
    throw SoqlError("INVALID_FIELD", SoqlError::located(query, column,
                                                        "No such column '" + name + "' on entity '" + object.name() +
                                                            "'. If you are attempting to use a custom field, be "
                                                            "sure to append the '__c' after the custom field name. "
                                                            "Please reference your WSDL or the describe call for "
                                                            "the appropriate names."));
  }
  return *field;
}

void checkLiteral(const std::string& query, const SalesforceField& field, const SoqlLiteral& value,
                  const std::string& op) {
  using Kind = SoqlLiteral::Kind;
  using Type = SalesforceFieldType;
  if (value.kind == Kind::Null) {
    if (op == "=" || op == "!=" || op == "IN" || op == "NOT IN") return;
    throw SoqlError("MALFORMED_QUERY", SoqlError::located(query, value.column, "unexpected token: 'null'"));
  }
  bool ok = false;
  bool quoted = false;
  switch (field.type) {
    case Type::Currency:
      ok = value.kind == Kind::Number;
      quoted = false;
      break;
    case Type::Date: ok = value.kind == Kind::Date; break;
    case Type::DateTime: ok = value.kind == Kind::DateTime; break;
    case Type::Boolean: ok = value.kind == Kind::Boolean; break;
    default:
      ok = value.kind == Kind::String;
      quoted = true;
      break;
  }
  if (ok) return;
  const std::string detail = "value of filter criterion for field '" + field.name + "' must be of type " +
                             soqlTypeName(field.type) + " and should " + (quoted ? "" : "not ") +
                             "be enclosed in quotes";
  throw SoqlError("INVALID_FIELD", SoqlError::located(query, value.column, detail));
}

void bindCondition(const std::string& query, const SalesforceObject& object, SoqlCondition& c) {
  if (c.kind == SoqlCondition::Kind::And || c.kind == SoqlCondition::Kind::Or || c.kind == SoqlCondition::Kind::Not) {
    for (auto& child : c.children) bindCondition(query, object, child);
    return;
  }
  const SalesforceField& field = resolve(query, object, c.field, c.fieldColumn);
  c.field = field.name;
  if (c.kind == SoqlCondition::Kind::Like) {
    const auto t = field.type;
    if (t == SalesforceFieldType::Currency || t == SalesforceFieldType::Date || t == SalesforceFieldType::DateTime ||
        t == SalesforceFieldType::Boolean) {
      throw SoqlError("INVALID_FIELD",
                      SoqlError::located(query, c.fieldColumn, "invalid operator on " + soqlTypeName(t) + " field"));
    }
  }
  for (const auto& value : c.values) checkLiteral(query, field, value, c.op);
}

}  // namespace

const SalesforceObject& SoqlBinder::bind(SoqlQuery& query, const std::vector<const SalesforceObject*>& objects) {
  const SalesforceObject* object = nullptr;
  for (const SalesforceObject* candidate : objects) {
    if (strcasecmp(candidate->name().c_str(), query.object.c_str()) == 0) object = candidate;
  }
  if (!object) {
    throw SoqlError("INVALID_TYPE", SoqlError::located(query.text, query.objectColumn,
                                                       "sObject type '" + query.object +
                                                           "' is not supported. If you are attempting to use a "
                                                           "custom object, be sure to append the '__c' after the "
                                                           "entity name. Please reference your WSDL or the "
                                                           "describe call for the appropriate names."));
  }
  query.object = object->name();
  for (size_t i = 0; i < query.fields.size(); ++i) {
    query.fields[i] = resolve(query.text, *object, query.fields[i], query.fieldColumns[i]).name;
    for (size_t j = 0; j < i; ++j) {
      if (query.fields[j] == query.fields[i]) {
        throw SoqlError("MALFORMED_QUERY", SoqlError::located(query.text, query.fieldColumns[i],
                                                              "duplicate field selected: " + query.fields[i]));
      }
    }
  }
  if (query.where) bindCondition(query.text, *object, *query.where);
  for (auto& order : query.orderBy) {
    order.field = resolve(query.text, *object, order.field, order.column).name;
  }
  return *object;
}

}  // namespace tributary::sim
