#pragma once

#include <string>
#include <vector>

namespace tributary::sim {

// The SOAP/REST field types SOQL cares about when it checks a literal against a field.
enum class SalesforceFieldType { Id, String, Picklist, Email, Url, Currency, Date, DateTime, Boolean, Reference };

struct SalesforceField {
  std::string name;
  SalesforceFieldType type;
};

// The type name Salesforce uses in "must be of type X" messages.
inline std::string soqlTypeName(SalesforceFieldType type) {
  switch (type) {
    case SalesforceFieldType::Currency: return "currency";
    case SalesforceFieldType::Date: return "date";
    case SalesforceFieldType::DateTime: return "dateTime";
    case SalesforceFieldType::Boolean: return "boolean";
    case SalesforceFieldType::Id:
    case SalesforceFieldType::Reference: return "id";
    case SalesforceFieldType::Email: return "email";
    case SalesforceFieldType::Url: return "url";
    case SalesforceFieldType::Picklist: return "picklist";
    default: return "string";
  }
}

}  // namespace tributary::sim
