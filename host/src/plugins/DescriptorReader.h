#pragma once

#include <cstdint>
#include <string>

#include "tributary/connector_abi.h"

namespace tributary::plugins {

// Reads a plugin's descriptor the way the ABI says: arrays strided by their elements'
// struct_size, nothing read beyond a struct_size. validate() says what is wrong, if anything.
class DescriptorReader {
 public:
  explicit DescriptorReader(const tributary_connector_v1& descriptor) : d_(descriptor) {}

  const tributary_stream_v1& stream(uint32_t i) const;
  const tributary_config_key_v1& configKey(uint32_t i) const;

  // The first problem found ("stream 2 has an empty name"), or "" when the descriptor is
  // usable by this host. Call after the ABI version check.
  std::string validate() const;

 private:
  const tributary_connector_v1& d_;
};

// The canonical entities of docs/canonical-model.md.
bool isCanonicalEntity(const std::string& entity);

}  // namespace tributary::plugins
