#pragma once

#include <stdexcept>
#include <string>

namespace tributary::sim {

// A query Salesforce would refuse: errorCode (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE)
// and Salesforce's own message, caret and "ERROR at Row:1:Column:N" included.
class SoqlError : public std::runtime_error {
 public:
  SoqlError(std::string errorCode, const std::string& message)
      : std::runtime_error(message), errorCode_(std::move(errorCode)) {}
  const std::string& errorCode() const { return errorCode_; }

  // "\n<query>\n<caret at column>\nERROR at Row:1:Column:<column>\n<detail>"
  static std::string located(const std::string& query, size_t column, const std::string& detail);

 private:
  std::string errorCode_;
};

}  // namespace tributary::sim
