#pragma once

#include <string>
#include <vector>

namespace tributary::config {

// One problem found in a configuration file, reported as FILE:LINE:COLUMN: key.path: message.
struct Diagnostic {
  std::string file;
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based
  std::string path;  // dotted key path, e.g. "server.port"
  std::string message;

  std::string format() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // All problems, one per line, in file order.
  std::string format() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace tributary::config
