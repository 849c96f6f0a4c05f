#pragma once

#include <stdexcept>
#include <string>

namespace tributary::http {

// No response arrived. Transient: worth retrying (timeout, refused, reset, TLS handshake).
// InvalidRequest: never worth retrying (malformed URL, scheme not allowed).
class HttpError : public std::runtime_error {
 public:
  enum class Kind { Transient, InvalidRequest };
  HttpError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace tributary::http
