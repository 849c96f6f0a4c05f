#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "FaultKind.h"
#include "SimObject.h"
#include "SimRequest.h"
#include "SimResponse.h"

namespace tributary::sim {

// One simulated vendor: its endpoints and objects, and how its own error bodies look when the
// framework injects a fault. Everything generic (admin API, faults, request log, HTTP) lives in
// the framework; a vendor is one folder plus one line in VendorCatalog.cpp.
class Vendor {
 public:
  virtual ~Vendor() = default;

  virtual std::string name() const = 0;
  // Vendor routes only; /admin never reaches here. Must not throw for bad client input: answer
  // with the vendor's own error body instead.
  virtual void handle(const SimRequest& request, SimResponse& response) = 0;
  virtual std::vector<SimObject*> objects() = 0;
  // The vendor's answer for an injected fault that replaces the response.
  virtual void faultResponse(FaultKind kind, int status, const SimRequest& request, SimResponse& response) = 0;
  // True when the request continues a paging cursor (for the expired_cursor fault).
  virtual bool carriesCursor(const SimRequest& request) const = 0;
  virtual void resetQuotas() = 0;
  virtual void expireTokens() = 0;
  // Extra fields for this vendor's entry in the ready file.
  virtual nlohmann::json readyInfo(const std::string& baseUrl) const {
    (void)baseUrl;
    return nlohmann::json::object();
  }

  SimObject* object(const std::string& objectName) {
    for (SimObject* candidate : objects()) {
      if (candidate->name() == objectName) return candidate;
    }
    return nullptr;
  }
};

}  // namespace tributary::sim
