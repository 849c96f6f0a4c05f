#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::engine {

// A scanner for the flat JSON objects connectors emit as canonical fields: it visits each
// member without building a document. Strings arrive unescaped (in a scratch buffer reused
// between calls); nested objects and arrays arrive as their raw JSON text.
class FlatJson {
 public:
  enum class Kind { String, Number, Bool, Null, Nested };

  struct Member {
    std::string_view key;
    Kind kind;
    std::string_view value;  // unescaped string, number lexeme, "true"/"false", raw nested JSON
  };

  // Calls `visit` for every member. Returns an error message, or nullopt when `json` is a
  // well-formed object. `visit` may return an error to stop early.
  std::optional<std::string> parse(std::string_view json,
                                   const std::function<std::optional<std::string>(const Member&)>& visit);

 private:
  std::optional<std::string> parseString(std::string_view in, size_t& pos, std::string& out);
  std::optional<std::string> skipNested(std::string_view in, size_t& pos);
  std::string keyBuf_, valueBuf_;
};

// Whether `s` is well-formed UTF-8 with no NUL byte (PostgreSQL's text rejects both).
bool validText(std::string_view s);

}  // namespace tributary::engine
