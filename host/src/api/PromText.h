#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::api {

// The Prometheus text exposition format, version 0.0.4, written one family at a time: its HELP
// and TYPE lines, then its samples. Label values and HELP text are escaped as the format says;
// values are written so that they read back exactly (the shortest form that round-trips, never
// a rounded %g: a latency sum of 123456.789 stays that), with +Inf, -Inf and NaN by name.
class PromText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  // A histogram's samples: name_bucket for each upper bound (`cumulative[i]` observations at
  // most `bounds[i]`) and for le="+Inf" (`count`), then name_sum and name_count.
  void histogram(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& cumulative, uint64_t count, double sum);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  static std::string escapeLabelValue(std::string_view value);  // \\, \" and \n
  static std::string escapeHelp(std::string_view help);         // \\ and \n
  static std::string number(double value);

 private:
  std::string out_;
};

}  // namespace tributary::api
