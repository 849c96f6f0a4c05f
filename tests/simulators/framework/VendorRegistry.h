#pragma once

#include <memory>
#include <string>
#include <vector>

#include "Vendor.h"
#include "VendorContext.h"

namespace tributary::sim {

using VendorFactory = std::unique_ptr<Vendor> (*)(VendorContext& context);

struct VendorRegistration {
  std::string name;
  VendorFactory make;
};

// The vendors this build knows, defined in VendorCatalog.cpp (one line per vendor).
const std::vector<VendorRegistration>& registeredVendors();
const VendorRegistration* findVendor(const std::string& name);
std::vector<std::string> registeredVendorNames();

}  // namespace tributary::sim
