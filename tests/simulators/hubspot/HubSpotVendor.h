#pragma once

#include <memory>

#include "../framework/OAuthTokenStore.h"
#include "../framework/RollingWindowLimiter.h"
#include "../framework/Vendor.h"
#include "../framework/VendorContext.h"
#include "HubSpotAssociations.h"
#include "HubSpotCompanies.h"
#include "HubSpotContacts.h"
#include "HubSpotDeals.h"
#include "HubSpotErrors.h"

namespace tributary::sim {

// The HubSpot CRM API as docs/simulators.md and ../shared/saas-apis.md describe it: v3 object
// lists and search, v4 association batch reads, OAuth, the app/daily/search rate limits.
class HubSpotVendor : public Vendor {
 public:
  static std::unique_ptr<Vendor> create(VendorContext& context);

  std::string name() const override { return "hubspot"; }
  void handle(const SimRequest& request, SimResponse& response) override;
  std::vector<SimObject*> objects() override;
  void faultResponse(FaultKind kind, int status, const SimRequest& request, SimResponse& response) override;
  bool carriesCursor(const SimRequest& request) const override;
  void resetQuotas() override;
  void expireTokens() override;
  nlohmann::json readyInfo(const std::string& baseUrl) const override;

 private:
  struct Limits {
    uint64_t appMax;
    int64_t appWindowMs;
    uint64_t dailyMax;
    int64_t dailyWindowMs;
    uint64_t searchMax;
    int64_t searchWindowMs;
  };
  HubSpotVendor(VendorContext& context, const Limits& limits);

  HubSpotObject* objectForType(const std::string& type);
  // Writes the 401 and returns false when the token is missing, unknown or expired.
  bool authenticate(const SimRequest& request, SimResponse& response, bool& privateApp);
  // Counts the call against the app and daily limits; writes the 429 and returns false if over.
  bool admitApp(SimResponse& response, bool privateApp);
  void rateHeaders(SimResponse& response, bool privateApp);

  void list(const SimRequest& request, SimResponse& response, HubSpotObject& object);
  void readOne(const std::string& id, const SimRequest& request, SimResponse& response, HubSpotObject& object);
  void search(const SimRequest& request, SimResponse& response, HubSpotObject& object);
  void associations(const std::string& from, const std::string& to, const SimRequest& request, SimResponse& response);
  void authorizeRedirect(const SimRequest& request, SimResponse& response);
  void token(const SimRequest& request, SimResponse& response);
  void revoke(const std::string& token, SimResponse& response);

  SimClock& clock_;
  WallClock wall_;
  std::unique_ptr<HubSpotAssociations> associations_;
  std::unique_ptr<HubSpotCompanies> companies_;
  std::unique_ptr<HubSpotContacts> contacts_;
  std::unique_ptr<HubSpotDeals> deals_;
  std::unique_ptr<OAuthTokenStore> tokens_;
  RollingWindowLimiter app_;
  RollingWindowLimiter daily_;
  RollingWindowLimiter search_;
  int64_t indexingLagMs_ = 3000;
  HubSpotErrors errors_;
};

}  // namespace tributary::sim
