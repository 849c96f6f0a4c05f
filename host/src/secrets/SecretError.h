#pragma once

#include <stdexcept>

namespace tributary::secrets {

// A key file that cannot be used, a value that does not open, a key the ring lacks. Its message
// is for an operator: it names the key file and the key id, never a key or a plaintext.
class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tributary::secrets
