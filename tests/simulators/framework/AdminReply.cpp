#include "AdminReply.h"

namespace tributary::sim {

bool AdminReply::parseBody(const std::string& body, nlohmann::json& out, SimResponse& response,
                           const std::string& endpoint) {
  if (body.empty()) {
    out = nlohmann::json::object();
    return true;
  }
  try {
    out = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    error(response, 400, endpoint + ": body is not JSON: " + e.what());
    return false;
  }
  if (!out.is_object()) {
    error(response, 400, endpoint + ": body must be a JSON object");
    return false;
  }
  return true;
}

}  // namespace tributary::sim
