#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/EntitySchema.h"
#include "engine/FlatJson.h"

namespace tributary::engine {

// Checks a record's canonical fields against its entity and writes them as COPY text
// columns. One per stream writer: it reuses its buffers between records.
class RecordEncoder {
 public:
  explicit RecordEncoder(const Entity* entity) : entity_(entity) {
    if (entity_) {
      values_.resize(entity_->columns.size());
      owned_.resize(entity_->columns.size(), false);
    }
  }

  // The column at `index` belongs to a link type: encode() writes it NULL whatever the fields
  // say, and counts the records that gave it a value (ignored, never checked).
  void own(size_t index) { owned_.at(index) = true; }
  int64_t ownedValuesIgnored() const { return ownedIgnored_; }

  // Appends "\t<col1>\t<col2>..." for every column of the entity. Returns an error naming the
  // field when a value does not have its column's type, or names no column.
  std::optional<std::string> encode(std::string_view fieldsJson, std::string& line);

 private:
  struct Value {
    bool present = false;
    std::string text;  // already converted to PostgreSQL's input form
  };
  std::optional<std::string> convert(const Column& col, const FlatJson::Member& m, std::string& out);
  const Entity* entity_;
  FlatJson json_;
  std::vector<Value> values_;
  std::vector<bool> owned_;
  int64_t ownedIgnored_ = 0;
};

}  // namespace tributary::engine
