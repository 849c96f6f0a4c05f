#include "SalesforceIds.h"

namespace tributary::sim {
namespace {

const char* const kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const std::string_view kPod = "Dn0";

int digitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

}  // namespace

std::string SalesforceIds::suffixFor(std::string_view id15) {
  static const char* const kSuffix = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string suffix;
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    int flags = 0;
    for (size_t j = 0; j < 5; ++j) {
      const char c = id15[chunk * 5 + j];
      if (c >= 'A' && c <= 'Z') flags |= 1 << j;
    }
    suffix += kSuffix[flags];
  }
  return suffix;
}

std::string SalesforceIds::make(std::string_view prefix, uint64_t index) {
  std::string digits(9, '0');
  for (int i = 8; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = kBase62[index % 62];
    index /= 62;
  }
  const std::string id15 = std::string(prefix) + std::string(kPod) + digits;
  return id15 + suffixFor(id15);
}

std::optional<uint64_t> SalesforceIds::parse(std::string_view prefix, std::string_view id) {
  if ((id.size() != 18 && id.size() != 15) || id.substr(0, 3) != prefix || id.substr(3, 3) != kPod) {
    return std::nullopt;
  }
  uint64_t index = 0;
  for (size_t i = 6; i < 15; ++i) {
    const int value = digitValue(id[i]);
    if (value < 0) return std::nullopt;
    index = index * 62 + static_cast<uint64_t>(value);
  }
  if (id.size() == 18 && make(prefix, index) != id) return std::nullopt;
  return index;
}

}  // namespace tributary::sim
