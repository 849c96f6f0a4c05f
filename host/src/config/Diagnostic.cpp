#include "config/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace tributary::config {

std::string Diagnostic::format() const {
  std::string out = line > 0 ? fmt::format("{}:{}:{}: ", file, line, column) : file + ": ";
  if (!path.empty()) fmt::format_to(std::back_inserter(out), "{}: ", path);
  out.append(message);
  return out;
}

std::string Diagnostics::format() const {
  auto sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  std::string out;
  for (const auto& d : sorted) out += d.format() + "\n";
  return out;
}

}  // namespace tributary::config
