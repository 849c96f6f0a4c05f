#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "SimResponse.h"

namespace tributary::sim {

// Admin API answers: JSON bodies, and errors as {"error": "..."} that name the field at fault.
class AdminReply {
 public:
  static void ok(SimResponse& response, const nlohmann::json& body) { response.setJson(200, body); }
  static void error(SimResponse& response, int status, const std::string& message) {
    response.setJson(status, {{"error", message}});
  }
  // Parses a JSON object body; on failure writes a 400 and returns nullopt-like null.
  static bool parseBody(const std::string& body, nlohmann::json& out, SimResponse& response,
                        const std::string& endpoint);
};

}  // namespace tributary::sim
