#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "HubSpotObject.h"

namespace tributary::sim {

// POST /crm/v3/objects/{type}/search: the request's rules (groups x filters, one sort, 200 per
// page, the 10,000-result cap) and its evaluation against what the lagging index sees.
class HubSpotSearch {
 public:
  struct Filter {
    std::string property;
    std::string op;
    std::optional<std::string> value;
    std::optional<std::string> highValue;
    std::vector<std::string> values;
  };
  struct Request {
    std::vector<std::vector<Filter>> groups;
    std::optional<std::string> sortProperty;
    bool descending = false;
    std::vector<std::string> properties;
    std::string query;
    uint64_t limit = 10;
    uint64_t after = 0;
  };
  struct Page {
    uint64_t total = 0;
    std::vector<nlohmann::json> results;
    std::optional<uint64_t> nextAfter;
  };

  static constexpr uint64_t kMaxResults = 10000;

  // On a bad request returns false and sets `error` to HubSpot's validation message.
  static bool parse(const std::string& body, Request& out, std::string& error);
  // Records as the index saw them at wall time `indexedAtWallMs`; archived ones never match.
  static Page run(const Request& request, const HubSpotObject& object, int64_t indexedAtWallMs);
  // One filter against one property value (nullopt when unset or "").
  static bool matches(const Filter& filter, const std::optional<std::string>& value, HubSpotPropertyType type);
};

}  // namespace tributary::sim
