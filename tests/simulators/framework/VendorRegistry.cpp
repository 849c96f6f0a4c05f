#include "VendorRegistry.h"

namespace tributary::sim {

const VendorRegistration* findVendor(const std::string& name) {
  for (const auto& registration : registeredVendors()) {
    if (registration.name == name) return &registration;
  }
  return nullptr;
}

std::vector<std::string> registeredVendorNames() {
  std::vector<std::string> names;
  for (const auto& registration : registeredVendors()) names.push_back(registration.name);
  return names;
}

}  // namespace tributary::sim
