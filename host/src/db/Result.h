#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::db {

// The rows of one statement. Cheap to move; values are views into libpq's buffer and live as
// long as the Result.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : res_(r, &PQclear) {}

  int rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  int columns() const { return res_ ? PQnfields(res_.get()) : 0; }
  bool empty() const { return rows() == 0; }
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;
  int column(std::string_view name) const;  // throws when absent

  bool isNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::string_view view(int row, int col) const;
  std::string text(int row, int col) const { return std::string(view(row, col)); }
  std::optional<std::string> optText(int row, int col) const;
  int64_t int64(int row, int col) const;
  std::optional<int64_t> optInt64(int row, int col) const;
  double number(int row, int col) const;
  bool boolean(int row, int col) const;

  // The same by column name.
  std::string text(int row, std::string_view col) const { return text(row, column(col)); }
  std::optional<std::string> optText(int row, std::string_view col) const { return optText(row, column(col)); }
  int64_t int64(int row, std::string_view col) const { return int64(row, column(col)); }
  std::optional<int64_t> optInt64(int row, std::string_view col) const { return optInt64(row, column(col)); }
  bool boolean(int row, std::string_view col) const { return boolean(row, column(col)); }
  bool isNull(int row, std::string_view col) const { return isNull(row, column(col)); }

  PGresult* get() const { return res_.get(); }

 private:
  std::shared_ptr<PGresult> res_;
};

}  // namespace tributary::db
