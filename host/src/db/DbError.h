#pragma once

#include <stdexcept>
#include <string>

namespace tributary::db {

// A failed database call. `sqlstate` is PostgreSQL's five-character code, empty when the
// connection itself failed.
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool isConnectionFailure() const { return sqlstate_.empty() || sqlstate_.rfind("08", 0) == 0; }
  bool isUniqueViolation() const { return sqlstate_ == "23505"; }
  bool isSerializationFailure() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
};

}  // namespace tributary::db
