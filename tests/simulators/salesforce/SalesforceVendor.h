#pragma once

#include <memory>

#include "../framework/OAuthTokenStore.h"
#include "../framework/RollingWindowLimiter.h"
#include "../framework/Vendor.h"
#include "../framework/VendorContext.h"
#include "BulkQueryJobs.h"
#include "QueryCursorStore.h"
#include "SalesforceAccounts.h"
#include "SalesforceContacts.h"
#include "SalesforceOpportunities.h"

namespace tributary::sim {

// The Salesforce REST API subset of docs/simulators.md: OAuth without expires_in, query and
// queryAll with a SOQL subset and nextRecordsUrl paging, the deleted/updated feeds, Bulk API
// 2.0 query jobs, and the daily API allocation reported in Sforce-Limit-Info.
class SalesforceVendor : public Vendor {
 public:
  static std::unique_ptr<Vendor> create(VendorContext& context);

  std::string name() const override { return "salesforce"; }
  void handle(const SimRequest& request, SimResponse& response) override;
  std::vector<SimObject*> objects() override;
  void faultResponse(FaultKind kind, int status, const SimRequest& request, SimResponse& response) override;
  bool carriesCursor(const SimRequest& request) const override;
  void resetQuotas() override;
  void expireTokens() override;
  nlohmann::json readyInfo(const std::string& baseUrl) const override;

 private:
  struct Settings {
    uint64_t dailyMax = 100000;
    int64_t dailyWindowMs = 86400000;
    size_t pageSize = 2000;
    int64_t cursorTtlMs = 15 * 60000;
    size_t maxOpenCursors = 200;
    int pollsToComplete = 2;
    size_t bulkPageSize = 50000;
    bool rotateRefreshTokens = false;
  };
  SalesforceVendor(VendorContext& context, const Settings& settings);

  static void errorArray(SimResponse& response, int status, const std::string& errorCode, const std::string& message);
  void limitHeader(SimResponse& response);
  std::vector<const SalesforceObject*> sobjects() const;
  SalesforceObject* sobject(const std::string& name);

  void data(const std::string& version, const std::vector<std::string>& parts, const SimRequest& request,
            SimResponse& response);
  void query(const std::string& version, bool scanAll, const SimRequest& request, SimResponse& response);
  void queryMore(const std::string& version, const std::string& locatorAndOffset, SimResponse& response);
  void page(const std::string& version, const QueryCursorStore::Cursor& cursor, size_t offset, SimResponse& response);
  void feed(const std::string& objectName, bool deleted, const SimRequest& request, SimResponse& response);
  void bulk(const std::string& version, const std::vector<std::string>& parts, const SimRequest& request,
            SimResponse& response);
  void bulkResults(const std::string& version, BulkQueryJobs::Job& job, const SimRequest& request,
                   SimResponse& response);
  void authorizeRedirect(const SimRequest& request, SimResponse& response);
  void token(const SimRequest& request, SimResponse& response);
  void revoke(const SimRequest& request, SimResponse& response);

  SimClock& clock_;
  Settings settings_;
  std::unique_ptr<SalesforceAccounts> accounts_;
  std::unique_ptr<SalesforceContacts> contacts_;
  std::unique_ptr<SalesforceOpportunities> opportunities_;
  std::unique_ptr<OAuthTokenStore> tokens_;
  RollingWindowLimiter daily_;
  QueryCursorStore cursors_;
  BulkQueryJobs jobs_;
};

}  // namespace tributary::sim
