#include "api/PromText.h"

#include <fmt/format.h>

#include <cmath>

namespace tributary::api {

std::string PromText::escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PromText::escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PromText::number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // never "-0"
  return fmt::format("{}", value);
}

void PromText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(help), name, type);
}

void PromText::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escapeLabelValue(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void PromText::histogram(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& cumulative, uint64_t count, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  Labels withLe = labels;
  withLe.emplace_back("le", "");
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    withLe.back().second = number(bounds[i]);
    sample(bucket, withLe, static_cast<double>(cumulative[i]));
  }
  withLe.back().second = "+Inf";
  sample(bucket, withLe, static_cast<double>(count));
  sample(std::string(name) + "_sum", labels, sum);
  sample(std::string(name) + "_count", labels, static_cast<double>(count));
}

}  // namespace tributary::api
