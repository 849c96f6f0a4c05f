#include "SoqlError.h"

namespace tributary::sim {

std::string SoqlError::located(const std::string& query, size_t column, const std::string& detail) {
  std::string line = query;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return "\n" + line + "\n" + std::string(column > 0 ? column - 1 : 0, ' ') +
         "^\nERROR at Row:1:Column:" + std::to_string(column) + "\n" + detail;
}

}  // namespace tributary::sim
