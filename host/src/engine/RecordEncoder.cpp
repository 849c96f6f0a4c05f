#include "engine/RecordEncoder.h"

#include <date/date.h>

#include <charconv>
#include <cmath>

#include "common/Json.h"
#include "common/Time.h"

namespace tributary::engine {
namespace {

bool plainDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else if ((s[i] == 'e' || s[i] == 'E') && digits) {
      ++i;
      if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
      if (i == s.size()) return false;
      for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
      }
      return true;
    } else {
      return false;
    }
  }
  return digits;
}

bool isoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int y = 0, m = 0, d = 0;
  if (std::from_chars(s.data(), s.data() + 4, y).ec != std::errc() ||
      std::from_chars(s.data() + 5, s.data() + 7, m).ec != std::errc() ||
      std::from_chars(s.data() + 8, s.data() + 10, d).ec != std::errc()) {
    return false;
  }
  return date::year_month_day{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}}
      .ok();
}

std::string quoteForMessage(std::string_view v) {
  std::string s(v.substr(0, 60));
  if (v.size() > 60) s += "…";
  return "\"" + s + "\"";
}

}  // namespace

std::optional<std::string> RecordEncoder::convert(const Column& col, const FlatJson::Member& m, std::string& out) {
  using K = FlatJson::Kind;
  out.clear();
  switch (col.type) {
    case ColumnType::Text:
      if (m.kind == K::Nested) return col.name + ": expected text, got an object or array";
      out.assign(m.value);
      return std::nullopt;
    case ColumnType::Numeric:
      if ((m.kind == K::Number || m.kind == K::String) && plainDecimal(m.value)) {
        out.assign(m.value);
        return std::nullopt;
      }
      return col.name + ": expected a number, got " + quoteForMessage(m.value);
    case ColumnType::Integer:
    case ColumnType::BigInt: {
      int64_t v = 0;
      auto r = std::from_chars(m.value.data(), m.value.data() + m.value.size(), v);
      const bool ok = (m.kind == K::Number || m.kind == K::String) && r.ec == std::errc() &&
                      r.ptr == m.value.data() + m.value.size() &&
                      (col.type == ColumnType::BigInt || (v >= INT32_MIN && v <= INT32_MAX));
      if (!ok) return col.name + ": expected an integer, got " + quoteForMessage(m.value);
      out.assign(m.value);
      return std::nullopt;
    }
    case ColumnType::Date:
      if (m.kind == K::String && isoDate(m.value)) {
        out.assign(m.value);
        return std::nullopt;
      }
      return col.name + ": expected a date YYYY-MM-DD, got " + quoteForMessage(m.value);
    case ColumnType::Timestamp: {
      if (m.kind == K::Number) {
        int64_t ms = 0;
        auto r = std::from_chars(m.value.data(), m.value.data() + m.value.size(), ms);
        if (r.ec == std::errc() && r.ptr == m.value.data() + m.value.size()) {
          out = time::iso8601Ms(ms);
          return std::nullopt;
        }
      } else if (m.kind == K::String) {
        if (auto t = time::parseIso8601(m.value)) {
          out = time::iso8601(*t);
          return std::nullopt;
        }
      }
      return col.name + ": expected an ISO 8601 time or epoch milliseconds, got " + quoteForMessage(m.value);
    }
    case ColumnType::Json:
      if (m.kind == K::String) {
        // A JSON string value, re-serialized as JSON text: every control character escaped,
        // and invalid UTF-8 refused rather than passed on to fail the batch's write.
        try {
          out = Json(std::string(m.value)).dump();
        } catch (const Json::exception&) {
          return col.name + ": not valid UTF-8 text";
        }
      } else {
        out.assign(m.value);
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> RecordEncoder::encode(std::string_view fieldsJson, std::string& line) {
  if (!entity_) return std::nullopt;
  for (auto& v : values_) v.present = false;
  bool ignored = false;
  if (!fieldsJson.empty()) {
    bool fromVisit = false;
    auto err = json_.parse(fieldsJson, [&](const FlatJson::Member& m) -> std::optional<std::string> {
      fromVisit = true;
      int idx = entity_->columnIndex(m.key);
      if (idx < 0) return "field \"" + std::string(m.key) + "\" is not a column of " + entity_->table;
      auto& slot = values_[static_cast<size_t>(idx)];
      if (m.kind == FlatJson::Kind::Null || (m.kind == FlatJson::Kind::String && m.value.empty())) {
        slot.present = false;  // "" is null for every type (the seeds' lesson)
        return std::nullopt;
      }
      if (owned_[static_cast<size_t>(idx)]) {
        ignored = true;  // the link type's to write, not the record's
        fromVisit = false;
        return std::nullopt;
      }
      if (auto e = convert(entity_->columns[static_cast<size_t>(idx)], m, slot.text)) return e;
      if (!validText(slot.text)) return std::string(m.key) + ": not valid UTF-8 text";
      slot.present = true;
      fromVisit = false;
      return std::nullopt;
    });
    if (err) return fromVisit ? *err : "fields are not a valid JSON object: " + *err;
  }
  if (ignored) ++ownedIgnored_;
  for (auto& v : values_) {
    line.push_back('\t');
    if (v.present) appendCopyText(line, v.text);
    else appendCopyNull(line);
  }
  return std::nullopt;
}

}  // namespace tributary::engine
