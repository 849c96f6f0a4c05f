#include "VendorRuntime.h"

#include <strings.h>

#include <exception>

namespace tributary::sim {

VendorRuntime::VendorRuntime(std::unique_ptr<Vendor> vendor, SimClock& clock, WallClock wallClock,
                             size_t requestLogCapacity, uint64_t seed)
    : vendor_(std::move(vendor)),
      clock_(clock),
      wallClock_(std::move(wallClock)),
      log_(requestLogCapacity),
      admin_(*vendor_, clock_, wallClock_, faults_, log_, orders_, seed) {}

void VendorRuntime::loadFaults(const ConfigNode& faults) {
  for (const ConfigNode& item : faults.items()) {
    try {
      faults_.add(FaultRule::fromJson(item.toJson(), faults.file() + ": " + item.path()));
    } catch (const ConfigError&) {
      throw;
    }
  }
}

SimResponse VendorRuntime::dispatch(const SimRequest& request) {
  SimResponse response;
  if (request.path == "/admin" || request.path.rfind("/admin/", 0) == 0) {
    // Admin calls are neither faulted nor logged: tests count only what a connector did.
    admin_.handle(request, response);
    return response;
  }
  serveVendor(request, response);
  log_.append({0, request.method, request.path, request.rawQuery,
               response.delivery == SimResponse::Delivery::ResetConnection ? 0 : response.status, wallClock_(),
               clock_.nowMs(), request.bearerToken(), response.faults, request.connection});
  return response;
}

void VendorRuntime::serveVendor(const SimRequest& request, SimResponse& response) {
  const bool framework = OrderBook::owns(request.path);
  const auto fired = faults_.decide(request, !framework && vendor_->carriesCursor(request));
  bool replaced = false, truncate = false, malform = false;
  for (const FiredFault& fault : fired) {
    if (!response.faults.empty()) response.faults += ",";
    response.faults += faultKindName(fault.kind);
    switch (fault.kind) {
      case FaultKind::Latency: response.latencyMs += fault.latencyMs; break;
      case FaultKind::TruncatedBody: truncate = true; break;
      case FaultKind::MalformedJson: malform = true; break;
      case FaultKind::ConnectionReset:
        if (!replaced) response.delivery = SimResponse::Delivery::ResetConnection;
        replaced = true;
        break;
      case FaultKind::Respond:
        if (!replaced) {
          response.status = fault.status;
          response.body = fault.body;
          for (const auto& [name, value] : fault.headers) {
            if (strcasecmp(name.c_str(), "Content-Type") == 0) {
              response.contentType = value;
            } else {
              response.setHeader(name, value);
            }
          }
        }
        replaced = true;
        break;
      default:
        if (!replaced) vendor_->faultResponse(fault.kind, fault.status, request, response);
        replaced = true;
        break;
    }
  }
  if (!replaced) {
    try {
      if (framework) {
        orders_.handle(request, wallClock_(), response);
      } else {
        vendor_->handle(request, response);
      }
    } catch (const std::exception& error) {
      // A simulator bug must still look like the vendor's 500, and say what broke.
      response = SimResponse{};
      vendor_->faultResponse(FaultKind::ServerError, 500, request, response);
      response.setHeader("X-Simulator-Error", error.what());
    }
  }
  if (malform && response.delivery == SimResponse::Delivery::Normal) {
    // Cut mid-document so no JSON parser accepts it; keep the 200 a flaky proxy would send.
    response.body = response.body.substr(0, response.body.size() / 2) + "\x01<html>";
  }
  if (truncate && response.delivery == SimResponse::Delivery::Normal) {
    response.delivery = SimResponse::Delivery::TruncatedBody;
  }
}

}  // namespace tributary::sim
