#include "db/Result.h"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace tributary::db {

int64_t Result::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

int Result::column(std::string_view name) const {
  int c = PQfnumber(res_.get(), std::string(name).c_str());
  if (c < 0) throw std::out_of_range("no column " + std::string(name) + " in result");
  return c;
}

std::string_view Result::view(int row, int col) const {
  return {PQgetvalue(res_.get(), row, col), static_cast<size_t>(PQgetlength(res_.get(), row, col))};
}

std::optional<std::string> Result::optText(int row, int col) const {
  if (isNull(row, col)) return std::nullopt;
  return text(row, col);
}

int64_t Result::int64(int row, int col) const {
  auto v = view(row, col);
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc()) {
    throw std::runtime_error("column " + std::string(PQfname(res_.get(), col)) +
                             " is not an integer: " + std::string(v));
  }
  return out;
}

std::optional<int64_t> Result::optInt64(int row, int col) const {
  if (isNull(row, col)) return std::nullopt;
  return int64(row, col);
}

double Result::number(int row, int col) const { return std::strtod(PQgetvalue(res_.get(), row, col), nullptr); }

bool Result::boolean(int row, int col) const {
  auto v = view(row, col);
  return !v.empty() && v[0] == 't';
}

}  // namespace tributary::db
