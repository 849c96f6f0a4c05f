#include "OrderBook.h"

#include "AdminReply.h"
#include "TimeFormat.h"

namespace tributary::sim {

void OrderBook::handle(const SimRequest& request, int64_t wallMs, SimResponse& response) {
  if (request.path != kOrdersPath) {
    AdminReply::error(response, 404,
                      request.method + " " + request.path + ": no such simulator route (the only one is POST " +
                          std::string(kOrdersPath) + ")");
    return;
  }
  if (request.method != "POST") {
    AdminReply::error(response, 405,
                      request.method + " " + request.path + ": use POST (GET /admin/orders lists the orders)");
    response.setHeader("Allow", "POST");
    return;
  }
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = nextId_++;
    orders_.push_back({id, request.body, request.connection, wallMs});
  }
  response.setJson(201, {{"id", id}});
}

nlohmann::json OrderBook::list() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const Order& order : orders_) {
    out.push_back({{"id", order.id},
                   {"body", order.body},
                   {"connection", order.connection},
                   {"time_ms", order.wallMs},
                   {"time", TimeFormat::isoMillisZ(order.wallMs)}});
  }
  return out;
}

void OrderBook::clear() {
  std::lock_guard lock(mutex_);
  orders_.clear();
}

}  // namespace tributary::sim
