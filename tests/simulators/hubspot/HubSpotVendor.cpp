#include "HubSpotVendor.h"

#include <algorithm>

#include "../framework/TimeFormat.h"
#include "HubSpotSearch.h"

namespace tributary::sim {
namespace {

const char* const kNoCredentials =
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string pluralType(const std::string& type) {
  if (type == "deal" || type == "0-3") return "deals";
  if (type == "contact" || type == "0-1") return "contacts";
  if (type == "company" || type == "0-2") return "companies";
  return type;
}

}  // namespace

std::unique_ptr<Vendor> HubSpotVendor::create(VendorContext& context) {
  const ConfigNode& config = context.config;
  config.allowOnly({"objects", "dirty_rate", "poison_rate", "auth", "rate_limits", "search", "faults"});
  const ConfigNode limits = config.child("rate_limits");
  limits.allowOnly({"app", "daily", "search"});
  const ConfigNode app = limits.child("app");
  const ConfigNode daily = limits.child("daily");
  const ConfigNode search = limits.child("search");
  for (const ConfigNode* node : {&app, &daily, &search}) node->allowOnly({"max", "window_ms"});
  const Limits values{app.count("max", 100),      app.integer("window_ms", 10000),
                      daily.count("max", 250000), daily.integer("window_ms", 86400000),
                      search.count("max", 5),     search.integer("window_ms", 1000)};
  for (const ConfigNode* node : {&app, &daily, &search}) {
    if (node->integer("window_ms", 1) <= 0) node->fail("window_ms", "expected a positive integer");
  }
  return std::unique_ptr<Vendor>(new HubSpotVendor(context, values));
}

HubSpotVendor::HubSpotVendor(VendorContext& context, const Limits& limits)
    : clock_(context.clock),
      wall_(context.wallClock),
      app_(limits.appMax, limits.appWindowMs, context.wallClock),
      daily_(limits.dailyMax, limits.dailyWindowMs, context.wallClock),
      search_(limits.searchMax, limits.searchWindowMs, context.wallClock),
      errors_(context.seed) {
  const ConfigNode& config = context.config;
  const ConfigNode objects = config.child("objects");
  objects.allowOnly({"deals", "contacts", "companies"});
  const double dirtyRate = config.probability("dirty_rate", 0.1);
  const double poisonRate = config.probability("poison_rate", 0.01);
  auto options = [&](const std::string& name) {
    ObjectStore::Options o;
    o.object = "hubspot/" + name;
    o.seed = context.seed;
    o.baseCount = objects.count(name, 100);
    o.clockStartMs = context.clock.startMs();
    o.poisonRate = poisonRate;
    return o;
  };
  const auto companyOptions = options("companies");
  const auto contactOptions = options("contacts");
  associations_ =
      std::make_unique<HubSpotAssociations>(context.seed, contactOptions.baseCount, companyOptions.baseCount);
  companies_ = std::make_unique<HubSpotCompanies>(companyOptions, dirtyRate);
  contacts_ = std::make_unique<HubSpotContacts>(contactOptions, dirtyRate, *associations_, HubSpotCompanies::kIdBase);
  deals_ = std::make_unique<HubSpotDeals>(options("deals"), dirtyRate);

  const ConfigNode auth = config.child("auth");
  auth.allowOnly({"static_tokens", "clients", "access_token_ttl_s"});
  OAuthTokenStore::Options tokenOptions;
  tokenOptions.tokenPrefix = "hs-";
  tokenOptions.accessTtlMs = static_cast<int64_t>(auth.count("access_token_ttl_s", 1800)) * 1000;
  tokenOptions.seed = context.seed;
  tokenOptions.staticTokens =
      auth.has("static_tokens") ? auth.texts("static_tokens") : std::vector<std::string>{"hubspot-test-token"};
  if (auth.has("clients")) {
    for (const ConfigNode& client : auth.child("clients").items()) {
      client.allowOnly({"client_id", "client_secret"});
      if (!client.has("client_id") || !client.has("client_secret")) {
        client.fail("", "a client needs client_id and client_secret");
      }
      tokenOptions.clients.push_back({client.text("client_id", ""), client.text("client_secret", "")});
    }
  } else {
    tokenOptions.clients.push_back({"hubspot-client", "hubspot-secret"});
  }
  tokens_ = std::make_unique<OAuthTokenStore>(tokenOptions, context.clock);

  const ConfigNode searchConfig = config.child("search");
  searchConfig.allowOnly({"indexing_lag_ms"});
  indexingLagMs_ = searchConfig.integer("indexing_lag_ms", 3000);
}

std::vector<SimObject*> HubSpotVendor::objects() { return {deals_.get(), contacts_.get(), companies_.get()}; }

nlohmann::json HubSpotVendor::readyInfo(const std::string& baseUrl) const {
  return {{"token_url", baseUrl + "/oauth/v1/token"}, {"authorize_url", baseUrl + "/oauth/authorize"}};
}

HubSpotObject* HubSpotVendor::objectForType(const std::string& type) {
  const std::string plural = pluralType(type);
  if (plural == "deals") return deals_.get();
  if (plural == "contacts") return contacts_.get();
  if (plural == "companies") return companies_.get();
  return nullptr;
}

void HubSpotVendor::resetQuotas() {
  app_.reset();
  daily_.reset();
  search_.reset();
}

void HubSpotVendor::expireTokens() { tokens_->expireAll(); }

bool HubSpotVendor::carriesCursor(const SimRequest& request) const {
  if (request.method == "GET") return request.param("after").has_value();
  if (request.path.size() > 7 && request.path.compare(request.path.size() - 7, 7, "/search") == 0) {
    try {
      const auto body = nlohmann::json::parse(request.body);
      return body.contains("after") && !body["after"].is_null() && body["after"] != "0" && body["after"] != 0;
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

void HubSpotVendor::faultResponse(FaultKind kind, int status, const SimRequest& request, SimResponse& response) {
  switch (kind) {
    case FaultKind::RateLimit:
      if (request.path.find("/search") != std::string::npos) {
        errors_.rateLimited(response, "SECONDLY", search_.windowMs());
      } else {
        errors_.rateLimited(response, "TEN_SECONDLY_ROLLING", app_.windowMs());
        response.setHeader("X-HubSpot-RateLimit-Max", std::to_string(app_.max()));
        response.setHeader("X-HubSpot-RateLimit-Remaining", "0");
        response.setHeader("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(app_.windowMs()));
      }
      break;
    case FaultKind::ExpiredToken:
      errors_.error(response, 401, "EXPIRED_AUTHENTICATION",
                    "The OAuth token used to make this call expired 1 second(s) ago.");
      break;
    case FaultKind::ExpiredCursor:
      errors_.error(response, 400, "VALIDATION_ERROR",
                    "The paging cursor 'after' is invalid or has expired; restart from the first "
                    "page.");
      break;
    default:
      errors_.error(response, status, "INTERNAL_ERROR",
                    status == 500 ? "internal error" : "The service is temporarily unavailable.");
      break;
  }
}

bool HubSpotVendor::authenticate(const SimRequest& request, SimResponse& response, bool& privateApp) {
  const std::string token = request.bearerToken();
  if (token.empty()) {
    errors_.error(response, 401, "INVALID_AUTHENTICATION", kNoCredentials);
    return false;
  }
  const auto info = tokens_->check(token);
  if (info.check == OAuthTokenStore::Check::Expired) {
    errors_.error(response, 401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired.");
    return false;
  }
  if (info.check != OAuthTokenStore::Check::Valid) {
    errors_.error(response, 401, "INVALID_AUTHENTICATION", kNoCredentials);
    return false;
  }
  privateApp = info.isStatic;
  return true;
}

void HubSpotVendor::rateHeaders(SimResponse& response, bool privateApp) {
  if (!app_.enabled()) return;
  response.setHeader("X-HubSpot-RateLimit-Max", std::to_string(app_.max()));
  response.setHeader("X-HubSpot-RateLimit-Remaining", std::to_string(app_.max() - std::min(app_.max(), app_.used())));
  response.setHeader("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(app_.windowMs()));
  // Daily headers go to private apps only; OAuth apps never see them.
  if (privateApp && daily_.enabled()) {
    response.setHeader("X-HubSpot-RateLimit-Daily", std::to_string(daily_.max()));
    response.setHeader("X-HubSpot-RateLimit-Daily-Remaining",
                       std::to_string(daily_.max() - std::min(daily_.max(), daily_.used())));
  }
}

bool HubSpotVendor::admitApp(SimResponse& response, bool privateApp) {
  const auto daily = daily_.acquire();
  if (!daily.allowed) {
    errors_.rateLimited(response, "DAILY", daily.retryAfterMs);
    return false;
  }
  const auto app = app_.acquire();
  if (!app.allowed) {
    errors_.rateLimited(response, "TEN_SECONDLY_ROLLING", app.retryAfterMs);
    rateHeaders(response, privateApp);
    return false;
  }
  return true;
}

void HubSpotVendor::handle(const SimRequest& request, SimResponse& response) {
  const auto parts = splitPath(request.path);
  if (request.method == "GET" && request.path == "/oauth/authorize") {
    return authorizeRedirect(request, response);
  }
  if (request.method == "POST" && request.path == "/oauth/v1/token") return token(request, response);
  if (request.method == "DELETE" && parts.size() == 4 && parts[0] == "oauth" && parts[2] == "refresh-tokens") {
    return revoke(parts[3], response);
  }
  const bool isCrmV3 = parts.size() >= 4 && parts[0] == "crm" && parts[1] == "v3" && parts[2] == "objects";
  const bool isAssociations = parts.size() == 7 && parts[0] == "crm" && parts[1] == "v4" &&
                              parts[2] == "associations" && parts[5] == "batch" && parts[6] == "read";
  if (!isCrmV3 && !isAssociations) {
    errors_.error(response, 404, "OBJECT_NOT_FOUND", "No route for " + request.method + " " + request.path);
    return;
  }
  bool privateApp = false;
  if (!authenticate(request, response, privateApp)) return;

  if (isCrmV3 && parts.size() == 5 && parts[4] == "search" && request.method == "POST") {
    // Search has its own per-second limit and carries no rate-limit headers.
    const auto decision = search_.acquire();
    if (!decision.allowed) {
      errors_.rateLimited(response, "SECONDLY", decision.retryAfterMs);
      return;
    }
    HubSpotObject* object = objectForType(parts[3]);
    if (!object) {
      errors_.error(response, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + parts[3]);
      return;
    }
    return search(request, response, *object);
  }
  if (!admitApp(response, privateApp)) return;
  if (isAssociations && request.method == "POST") {
    associations(parts[3], parts[4], request, response);
  } else if (isCrmV3 && request.method == "GET" && (parts.size() == 4 || parts.size() == 5)) {
    HubSpotObject* object = objectForType(parts[3]);
    if (!object) {
      errors_.error(response, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + parts[3]);
    } else if (parts.size() == 4) {
      list(request, response, *object);
    } else {
      readOne(parts[4], request, response, *object);
    }
  } else {
    errors_.error(response, 405, "VALIDATION_ERROR",
                  "Method " + request.method + " is not supported on " + request.path);
  }
  rateHeaders(response, privateApp);
}

namespace {

std::vector<std::string> requestedProperties(const SimRequest& request, bool& given) {
  std::vector<std::string> names;
  given = false;
  for (const auto& [key, value] : request.query) {
    if (key != "properties") continue;
    given = true;
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      if (end > start) names.push_back(value.substr(start, end - start));
      start = end + 1;
    }
  }
  return names;
}

}  // namespace

void HubSpotVendor::list(const SimRequest& request, SimResponse& response, HubSpotObject& object) {
  uint64_t limit = 10;
  if (auto value = request.param("limit")) {
    if (value->empty() || value->find_first_not_of("0123456789") != std::string::npos || value->size() > 6 ||
        std::stoull(*value) < 1 || std::stoull(*value) > 100) {
      errors_.error(response, 400, "VALIDATION_ERROR", "limit must be an integer from 1 to 100, got '" + *value + "'");
      return;
    }
    limit = std::stoull(*value);
  }
  const bool archived = request.param("archived").value_or("false") == "true";
  uint64_t start = 0;
  if (auto after = request.param("after"); after && !after->empty()) {
    const auto index = object.indexOf(*after);
    // An id past the end is a finished listing, not an error; garbage is an error.
    if (!index) {
      if (after->find_first_not_of("0123456789") == std::string::npos && after->size() <= 18 &&
          std::stoull(*after) >= std::stoull(object.sourceId(0))) {
        start = object.store().size();
      } else {
        errors_.error(response, 400, "VALIDATION_ERROR",
                      "Invalid 'after' value '" + *after + "'; use paging.next.after as given.");
        return;
      }
    } else {
      start = *index;
    }
  }
  bool given = false;
  const auto properties = requestedProperties(request, given);
  std::string results;
  size_t count = 0;
  std::optional<uint64_t> next;
  const uint64_t size = object.store().size();
  for (uint64_t i = start; i < size; ++i) {
    const auto state = object.store().latest(i);
    if (!state || state->deleted != archived) continue;
    if (count == limit) {
      next = i;
      break;
    }
    const nlohmann::json full = object.generate(*state);
    if (count++ > 0) results += ',';
    results +=
        HubSpotObject::project(full, properties, !given, object.defaultProperties(), object.lastModifiedProperty())
            .dump();
  }
  std::string body = "{\"results\":[" + results + "]";
  if (next) {
    const std::string after = object.sourceId(*next);
    std::string link = request.baseUrl + request.path + "?after=" + after + "&limit=" + std::to_string(limit);
    if (archived) link += "&archived=true";
    body += ",\"paging\":{\"next\":{\"after\":\"" + after + "\",\"link\":" + nlohmann::json(link).dump() + "}}";
  }
  body += "}";
  response.status = 200;
  response.body = std::move(body);
}

void HubSpotVendor::readOne(const std::string& id, const SimRequest& request, SimResponse& response,
                            HubSpotObject& object) {
  const auto index = object.indexOf(id);
  const auto state = index ? object.store().latest(*index) : std::nullopt;
  const bool archived = request.param("archived").value_or("false") == "true";
  if (!state || state->deleted != archived) {
    errors_.error(response, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.");
    return;
  }
  bool given = false;
  const auto properties = requestedProperties(request, given);
  response.setJson(200, HubSpotObject::project(object.generate(*state), properties, !given, object.defaultProperties(),
                                               object.lastModifiedProperty()));
}

void HubSpotVendor::search(const SimRequest& request, SimResponse& response, HubSpotObject& object) {
  HubSpotSearch::Request parsed;
  std::string error;
  if (!HubSpotSearch::parse(request.body, parsed, error)) {
    errors_.error(response, 400, "VALIDATION_ERROR", error);
    return;
  }
  const auto page = HubSpotSearch::run(parsed, object, wall_() - indexingLagMs_);
  nlohmann::json body = {{"total", page.total}, {"results", page.results}};
  if (page.nextAfter) {
    body["paging"] = {{"next", {{"after", std::to_string(*page.nextAfter)}}}};
  }
  response.setJson(200, body);
}

void HubSpotVendor::associations(const std::string& from, const std::string& to, const SimRequest& request,
                                 SimResponse& response) {
  HubSpotObject* fromObject = objectForType(from);
  HubSpotObject* toObject = objectForType(to);
  if (!fromObject || !toObject || fromObject == toObject) {
    errors_.error(response, 400, "VALIDATION_ERROR", "Unsupported association from '" + from + "' to '" + to + "'");
    return;
  }
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body);
  } catch (const std::exception& e) {
    errors_.error(response, 400, "VALIDATION_ERROR", std::string("Invalid input JSON: ") + e.what());
    return;
  }
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array()) {
    errors_.error(response, 400, "VALIDATION_ERROR", "Invalid input JSON: 'inputs' is required");
    return;
  }
  if (body["inputs"].size() > 1000) {
    errors_.error(response, 400, "VALIDATION_ERROR", "Too many inputs: at most 1000 per batch");
    return;
  }
  const std::string fromName = fromObject->name(), toName = toObject->name();
  // (pair, from is the child, typeId) for each supported direction; typeIds are HubSpot's.
  std::string pair;
  bool fromIsChild = true;
  int typeId = 0;
  if (fromName == "deals" && toName == "companies") {
    pair = "deals->companies";
    typeId = 5;
  } else if (fromName == "companies" && toName == "deals") {
    pair = "deals->companies";
    fromIsChild = false;
    typeId = 6;
  } else if (fromName == "contacts" && toName == "companies") {
    pair = "contacts->companies";
    typeId = 1;
  } else if (fromName == "companies" && toName == "contacts") {
    pair = "contacts->companies";
    fromIsChild = false;
    typeId = 2;
  } else if (fromName == "deals" && toName == "contacts") {
    pair = "deals->contacts";
    typeId = 3;
  } else {
    pair = "deals->contacts";
    fromIsChild = false;
    typeId = 4;
  }

  const std::string started = TimeFormat::isoMillisZ(clock_.nowMs());
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& input : body["inputs"]) {
    const std::string id = input.is_object() && input.contains("id")
                               ? (input["id"].is_string() ? input["id"].get<std::string>() : input["id"].dump())
                               : "";
    const auto index = fromObject->indexOf(id);
    const auto state = index ? fromObject->store().latest(*index) : std::nullopt;
    if (!state || state->deleted) {
      errors.push_back({{"status", "error"},
                        {"category", "OBJECT_NOT_FOUND"},
                        {"subCategory", "crm.associations.INVALID_OBJECT_IDS"},
                        {"message", "No " + fromName + " found with id " + id},
                        {"context", {{"ids", {id}}}}});
      continue;
    }
    std::vector<uint64_t> targets;
    if (fromIsChild) {
      if (auto parent = associations_->parentOf(pair, *index)) targets.push_back(*parent);
    } else {
      targets = associations_->childrenOf(pair, *index, toObject->store().size());
    }
    nlohmann::json toList = nlohmann::json::array();
    for (uint64_t target : targets) {
      const auto targetState = toObject->store().latest(target);
      if (!targetState || targetState->deleted) continue;
      toList.push_back(
          {{"toObjectId", std::stoull(toObject->sourceId(target))},
           {"associationTypes", {{{"category", "HUBSPOT_DEFINED"}, {"typeId", typeId}, {"label", nullptr}}}}});
    }
    results.push_back({{"from", {{"id", id}}}, {"to", toList}});
  }
  nlohmann::json out = {{"status", "COMPLETE"},
                        {"results", results},
                        {"startedAt", started},
                        {"completedAt", TimeFormat::isoMillisZ(clock_.nowMs())}};
  if (!errors.empty()) {
    out["numErrors"] = errors.size();
    out["errors"] = errors;
  }
  response.setJson(errors.empty() ? 200 : 207, out);
}

void HubSpotVendor::authorizeRedirect(const SimRequest& request, SimResponse& response) {
  const std::string clientId = request.param("client_id").value_or("");
  const std::string redirect = request.param("redirect_uri").value_or("");
  if (redirect.empty() || !tokens_->knownClient(clientId)) {
    errors_.error(response, 400, "VALIDATION_ERROR",
                  redirect.empty() ? "redirect_uri is required" : "Unknown client_id '" + clientId + "'");
    return;
  }
  const std::string code = tokens_->issueCode(clientId, redirect);
  std::string location =
      redirect + (redirect.find('?') == std::string::npos ? "?" : "&") + "code=" + SimRequest::percentEncode(code);
  if (auto state = request.param("state")) location += "&state=" + SimRequest::percentEncode(*state);
  response.status = 302;
  response.contentType = "text/plain";
  response.setHeader("Location", location);
  response.body = "Redirecting to " + location;
}

void HubSpotVendor::token(const SimRequest& request, SimResponse& response) {
  const auto form = SimRequest::parseQuery(request.body);
  auto field = [&](const std::string& name) {
    for (const auto& [key, value] : form)
      if (key == name) return value;
    return std::string();
  };
  const std::string grant = field("grant_type");
  OAuthTokenStore::Grant result;
  std::string status;
  if (grant == "authorization_code") {
    result = tokens_->exchangeCode(field("code"), field("client_id"), field("client_secret"), field("redirect_uri"));
    status = "BAD_AUTH_CODE";
  } else if (grant == "refresh_token") {
    result = tokens_->refresh(field("refresh_token"), field("client_id"), field("client_secret"), false);
    status = "BAD_REFRESH_TOKEN";
  } else {
    response.setJson(400, {{"status", "BAD_GRANT_TYPE"},
                           {"message", "grant_type must be authorization_code or refresh_token"},
                           {"correlationId", errors_.correlationId()}});
    return;
  }
  if (!result.error.empty()) {
    if (result.error == "invalid_client") status = "BAD_CLIENT_ID";
    response.setJson(
        400, {{"status", status}, {"message", result.errorDescription}, {"correlationId", errors_.correlationId()}});
    return;
  }
  response.setJson(200, {{"token_type", "bearer"},
                         {"refresh_token", result.refreshToken},
                         {"access_token", result.accessToken},
                         {"expires_in", result.expiresInS}});
}

void HubSpotVendor::revoke(const std::string& token, SimResponse& response) {
  if (!tokens_->revoke(token)) {
    errors_.error(response, 404, "OBJECT_NOT_FOUND", "refresh token not found");
    return;
  }
  response.status = 204;
  response.body.clear();
}

}  // namespace tributary::sim
