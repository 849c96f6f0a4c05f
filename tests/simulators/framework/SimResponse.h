#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tributary::sim {

// A response, plus how the transport must (mis)deliver it when a fault says so.
struct SimResponse {
  enum class Delivery {
    Normal,
    // Close with TCP RST before sending anything.
    ResetConnection,
    // Announce the full Content-Length, send half the body, then drop the connection.
    TruncatedBody,
  };

  int status = 200;
  std::string contentType = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Delivery delivery = Delivery::Normal;
  int latencyMs = 0;
  // Names of the faults that shaped this response, for the request log.
  std::string faults;

  void setJson(int statusCode, const nlohmann::json& value) {
    status = statusCode;
    contentType = "application/json;charset=UTF-8";
    body = value.dump();
  }
  void setHeader(const std::string& name, const std::string& value) {
    for (auto& header : headers) {
      if (header.first == name) {
        header.second = value;
        return;
      }
    }
    headers.emplace_back(name, value);
  }
  std::string header(const std::string& name) const {
    for (const auto& header : headers) {
      if (header.first == name) return header.second;
    }
    return "";
  }
};

}  // namespace tributary::sim
