// tributary::Record: builds one tributary_record_v1 without an allocation per record.
//
// Keep one Record per stream loop and reset() it for each record: its buffers keep their
// capacity, so emitting a million records costs no million allocations. The host copies
// what it needs inside Context::emit, so the Record may be reused right after.
#ifndef TRIBUTARY_RECORD_HPP
#define TRIBUTARY_RECORD_HPP

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tributary/connector_abi.h"
#include "tributary/sanitize.hpp"

namespace tributary {

// Appends `v` to `out` as a JSON string literal (quotes included). Bytes >= 0x80 are
// copied as they are (UTF-8 passes through).
inline void appendJsonString(std::string& out, std::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of bytes needing no escape
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(v.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(v.data() + run, v.size() - run);
  out += '"';
}

// Appends the decimal text of an integer.
inline void appendInteger(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

class Record {
 public:
  // Starts a new record; keeps the buffers' capacity.
  Record& reset(std::string_view stream, std::string_view sourceId) {
    stream_.assign(stream);
    sourceId_.assign(sourceId);
    modifiedAtMs_ = TRIBUTARY_TIME_NONE;
    flags_ = 0;
    fields_.clear();
    raw_.clear();
    return *this;
  }

  // The source's modification time, epoch ms.
  Record& modifiedAt(int64_t ms) {
    modifiedAtMs_ = ms;
    return *this;
  }
  Record& modifiedAt(std::optional<int64_t> ms) {
    modifiedAtMs_ = ms ? *ms : TRIBUTARY_TIME_NONE;
    return *this;
  }
  Record& deleted(bool isDeleted = true) {
    flags_ = isDeleted ? (flags_ | TRIBUTARY_RECORD_DELETED) : (flags_ & ~TRIBUTARY_RECORD_DELETED);
    return *this;
  }
  // 1.1: seen, no new content: give only the stream, the id (and the time, if known); the
  // host keeps the row as it is and counts it as seen for a full refresh's sweep.
  Record& keysOnly(bool isKeysOnly = true) {
    flags_ = isKeysOnly ? (flags_ | TRIBUTARY_RECORD_KEYS_ONLY) : (flags_ & ~TRIBUTARY_RECORD_KEYS_ONLY);
    return *this;
  }

  // --- Canonical fields: one flat JSON object, in the order given. nullopt writes null. ---

  Record& null(std::string_view name) {
    key(name);
    fields_ += "null";
    return close();
  }
  Record& text(std::string_view name, std::optional<std::string_view> value) {
    key(name);
    if (value) appendJsonString(fields_, *value);
    else fields_ += "null";
    return close();
  }
  Record& integer(std::string_view name, std::optional<int64_t> value) {
    key(name);
    if (value) appendInteger(fields_, *value);
    else fields_ += "null";
    return close();
  }
  // A numeric as decimal text, as sanitize::number returns it ("1500.5"). Anything that is
  // not a plain decimal throws InvalidValue, so fields_json stays valid JSON.
  Record& number(std::string_view name, std::optional<std::string_view> decimal) {
    if (decimal && !isPlainDecimal(*decimal))
      throw InvalidValue(std::string(name) + ": not a canonical decimal: \"" + std::string(*decimal) + "\"");
    key(name);
    if (decimal) fields_.append(*decimal);
    else fields_ += "null";
    return close();
  }
  Record& boolean(std::string_view name, std::optional<bool> value) {
    key(name);
    fields_ += value ? (*value ? "true" : "false") : "null";
    return close();
  }
  // A date as "YYYY-MM-DD", as sanitize::date returns it.
  Record& date(std::string_view name, std::optional<std::string_view> isoDate) { return text(name, isoDate); }
  // A timestamp from epoch ms, written as ISO 8601 UTC with milliseconds.
  Record& timestamp(std::string_view name, std::optional<int64_t> epochMs) {
    key(name);
    if (epochMs) {
      char buf[32];
      size_t n = sanitize::formatTimestampTo(*epochMs, buf);
      fields_ += '"';
      fields_.append(buf, n);
      fields_ += '"';
    } else {
      fields_ += "null";
    }
    return close();
  }
  // A jsonb field (a call's transcript): any JSON value.
  Record& json(std::string_view name, const nlohmann::json& value) {
    key(name);
    fields_ += value.dump();
    return close();
  }

  // --- The source record ---

  // The source record as JSON text, copied.
  Record& raw(std::string_view jsonText) {
    raw_.assign(jsonText);
    return *this;
  }
  Record& raw(const char* jsonText) { return raw(std::string_view(jsonText)); }
  Record& raw(const std::string& jsonText) { return raw(std::string_view(jsonText)); }
  // The source record from parsed JSON, serialized.
  Record& raw(const nlohmann::json& value) {
    raw_ = value.dump();
    return *this;
  }
  // The raw buffer, to write JSON text straight into it (cleared by reset()).
  std::string& rawBuffer() { return raw_; }

  // --- Reading back ---
  const std::string& stream() const { return stream_; }
  const std::string& sourceId() const { return sourceId_; }
  int64_t modifiedAtMs() const { return modifiedAtMs_; }
  uint32_t flags() const { return flags_; }
  const std::string& fieldsJson() const { return fields_; }
  const std::string& rawJson() const { return raw_; }

  // The C view; points into this Record, valid until it is next changed.
  tributary_record_v1 view() const {
    tributary_record_v1 r{};
    r.struct_size = sizeof(tributary_record_v1);
    r.flags = flags_;
    r.stream = {stream_.data(), stream_.size()};
    r.source_id = {sourceId_.data(), sourceId_.size()};
    r.modified_at_ms = modifiedAtMs_;
    r.fields_json = {fields_.data(), fields_.size()};
    r.raw_json = {raw_.data(), raw_.size()};
    return r;
  }

 private:
  static bool isPlainDecimal(std::string_view v) {
    size_t i = (!v.empty() && v[0] == '-') ? 1 : 0;
    bool digit = false, dot = false;
    for (; i < v.size(); ++i) {
      if (v[i] >= '0' && v[i] <= '9') digit = true;
      else if (v[i] == '.' && !dot && digit) dot = true;
      else return false;
    }
    return digit && v.back() != '.';
  }
  void key(std::string_view name) {
    if (fields_.empty()) fields_ += '{';
    else {
      fields_.back() = ',';  // replaces the closing brace
    }
    appendJsonString(fields_, name);
    fields_ += ':';
  }
  Record& close() {
    fields_ += '}';
    return *this;
  }

  std::string stream_;
  std::string sourceId_;
  int64_t modifiedAtMs_ = TRIBUTARY_TIME_NONE;
  uint32_t flags_ = 0;
  std::string fields_;
  std::string raw_;
};

}  // namespace tributary

#endif  // TRIBUTARY_RECORD_HPP
