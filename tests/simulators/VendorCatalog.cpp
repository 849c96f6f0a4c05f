// The vendors tributary-sim serves: one line each. A new vendor is a folder beside hubspot/ and
// a line here.
#include "framework/VendorRegistry.h"
#include "hubspot/HubSpotVendor.h"
#include "salesforce/SalesforceVendor.h"

namespace tributary::sim {

const std::vector<VendorRegistration>& registeredVendors() {
  static const std::vector<VendorRegistration> vendors = {
      {"hubspot", &HubSpotVendor::create},
      {"salesforce", &SalesforceVendor::create},
  };
  return vendors;
}

}  // namespace tributary::sim
