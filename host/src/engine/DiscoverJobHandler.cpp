#include "engine/DiscoverJobHandler.h"

#include "common/Log.h"
#include "common/Strings.h"
#include "db/DbError.h"
#include "engine/ConnectionStreamsStore.h"
#include "engine/JobConnection.h"
#include "engine/RunFence.h"
#include "engine/StreamDiscovery.h"

namespace tributary::engine {
namespace {

queue::Outcome failed(queue::Outcome::Kind kind, const std::string& message) {
  queue::Outcome o;
  o.kind = kind;
  o.error = message;
  return o;
}

}  // namespace

DiscoverJobHandler::DiscoverJobHandler(std::shared_ptr<const config::Config> cfg,
                                       std::shared_ptr<const plugins::PluginRegistry> registry,
                                       std::shared_ptr<http::HttpService> http)
    : cfg_(std::move(cfg)),
      registry_(std::move(registry)),
      http_(http ? std::move(http) : std::make_shared<http::HttpService>(cfg_->http)) {}

queue::Outcome DiscoverJobHandler::run(queue::JobContext& ctx) {
  JobConnection c;
  std::unique_ptr<plugins::ConnectorInstance> instance;
  std::unique_ptr<http::VendorClient> vendor;
  try {
    c = JobConnection::load(ctx, *cfg_, *registry_);
    instance = c.createInstance(ctx);
    vendor = c.vendorClient(
        ctx, *http_, [&ctx] { return ctx.stopRequested(); }, nullptr);
  } catch (const NotHere& e) {
    return failed(queue::Outcome::Kind::Declined, e.what());
  } catch (const std::invalid_argument& e) {
    return failed(queue::Outcome::Kind::Fatal, e.what());
  } catch (const db::DbError& e) {
    return failed(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return failed(queue::Outcome::Kind::Fatal, e.what());
  }

  Discovery d = StreamDiscovery::run(
      *instance, [&ctx] { return ctx.stopRequested(); }, vendor.get());
  RunFence fence(queue::JobClaim::of(ctx.job()));
  try {
    StreamDiscovery::store(ctx.pool(), fence, c.id, ctx.job().id, c.plugin->name(), c.plugin->version(), d);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return failed(queue::Outcome::Kind::Retry, std::string("database error storing the streams: ") + e.what());
  }
  if (!d.result.ok()) {
    log::warn("engine", "{}: discover failed: {}", c.label(), d.result.message);
    return outcomeOf(d.result, "discover failed");
  }
  std::vector<std::string> names;
  for (const auto& s : d.streams) names.push_back(s.name);
  log::info("engine", "{}: {} {} {} stream(s): {}", c.label(), c.connector,
            d.discovered ? "discovered" : "has no discover hook; stored its", names.size(), strings::join(names, ", "));
  queue::Outcome o;
  o.result = Json{{"connection", c.label()},
                  {"connector", c.plugin->name()},
                  {"version", c.plugin->version()},
                  {"discovered", d.discovered},
                  {"streams", streamsJson(d.streams)}};
  return o;
}

}  // namespace tributary::engine
