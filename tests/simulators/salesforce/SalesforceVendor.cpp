#include "SalesforceVendor.h"

#include <algorithm>
#include <cstdio>

#include "../framework/CanonicalDigest.h"
#include "../framework/TimeFormat.h"
#include "SalesforceIds.h"
#include "SoqlBinder.h"
#include "SoqlError.h"
#include "SoqlParser.h"
#include "SoqlRunner.h"

namespace tributary::sim {
namespace {

constexpr int64_t kDayMs = 86400000;
constexpr int kMinVersion = 31;
constexpr int kMaxVersion = 62;

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

// "v60.0" -> "60.0" when it is a version this simulator serves; empty otherwise.
std::string parseVersion(const std::string& segment) {
  int major = 0;
  char dot = 0;
  int minor = -1;
  char extra = 0;
  if (segment.size() < 4 || segment[0] != 'v' ||
      std::sscanf(segment.c_str() + 1, "%d%c%d%c", &major, &dot, &minor, &extra) != 3 || dot != '.' || minor != 0 ||
      major < kMinVersion || major > kMaxVersion) {
    return "";
  }
  return segment.substr(1);
}

std::string csvCell(const nlohmann::json& value) {
  std::string text;
  if (value.is_null()) {
    text = "";
  } else if (value.is_string()) {
    text = value.get<std::string>();
    // Bulk results write datetimes in Z form.
    if (text.size() == 28 && text.compare(23, 5, "+0000") == 0 && text[10] == 'T') {
      text = text.substr(0, 23) + "Z";
    }
  } else {
    text = value.dump();
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string delimiterChar(const std::string& name) {
  if (name == "TAB") return "\t";
  if (name == "SEMICOLON") return ";";
  if (name == "PIPE") return "|";
  if (name == "CARET") return "^";
  if (name == "BACKQUOTE") return "`";
  return ",";
}

}  // namespace

std::unique_ptr<Vendor> SalesforceVendor::create(VendorContext& context) {
  const ConfigNode& config = context.config;
  config.allowOnly({"objects", "dirty_rate", "poison_rate", "auth", "limits", "query", "bulk", "faults"});
  Settings settings;
  const ConfigNode limits = config.child("limits");
  limits.allowOnly({"daily_api_requests", "window_ms"});
  settings.dailyMax = limits.count("daily_api_requests", 100000);
  settings.dailyWindowMs = limits.integer("window_ms", kDayMs);
  if (settings.dailyWindowMs <= 0) limits.fail("window_ms", "expected a positive integer");
  const ConfigNode query = config.child("query");
  query.allowOnly({"page_size", "cursor_ttl_s", "max_open_cursors"});
  settings.pageSize = query.count("page_size", 2000);
  if (settings.pageSize < 1 || settings.pageSize > 2000) query.fail("page_size", "expected 1 to 2000");
  settings.cursorTtlMs = static_cast<int64_t>(query.count("cursor_ttl_s", 900)) * 1000;
  settings.maxOpenCursors = query.count("max_open_cursors", 200);
  if (settings.maxOpenCursors < 1) query.fail("max_open_cursors", "expected at least 1");
  const ConfigNode bulk = config.child("bulk");
  bulk.allowOnly({"polls_to_complete", "max_records_per_page"});
  settings.pollsToComplete = static_cast<int>(bulk.count("polls_to_complete", 2));
  settings.bulkPageSize = bulk.count("max_records_per_page", 50000);
  if (settings.bulkPageSize < 1) bulk.fail("max_records_per_page", "expected at least 1");
  settings.rotateRefreshTokens = config.child("auth").flag("rotate_refresh_tokens", false);
  return std::unique_ptr<Vendor>(new SalesforceVendor(context, settings));
}

SalesforceVendor::SalesforceVendor(VendorContext& context, const Settings& settings)
    : clock_(context.clock),
      settings_(settings),
      daily_(settings.dailyMax, settings.dailyWindowMs, context.wallClock),
      cursors_(settings.cursorTtlMs, settings.maxOpenCursors),
      jobs_(settings.pollsToComplete) {
  const ConfigNode& config = context.config;
  const ConfigNode objects = config.child("objects");
  objects.allowOnly({"Opportunity", "Contact", "Account"});
  const double dirtyRate = config.probability("dirty_rate", 0.1);
  const double poisonRate = config.probability("poison_rate", 0.01);
  auto options = [&](const std::string& name) {
    ObjectStore::Options o;
    o.object = "salesforce/" + name;
    o.seed = context.seed;
    o.baseCount = objects.count(name, 100);
    o.clockStartMs = context.clock.startMs();
    o.poisonRate = poisonRate;
    return o;
  };
  const auto accountOptions = options("Account");
  accounts_ = std::make_unique<SalesforceAccounts>(accountOptions, dirtyRate);
  contacts_ = std::make_unique<SalesforceContacts>(options("Contact"), dirtyRate, accountOptions.baseCount);
  opportunities_ =
      std::make_unique<SalesforceOpportunities>(options("Opportunity"), dirtyRate, accountOptions.baseCount);

  const ConfigNode auth = config.child("auth");
  auth.allowOnly({"static_tokens", "clients", "session_timeout_s", "rotate_refresh_tokens"});
  OAuthTokenStore::Options tokenOptions;
  tokenOptions.tokenPrefix = "00Dsim!";
  tokenOptions.accessTtlMs = static_cast<int64_t>(auth.count("session_timeout_s", 7200)) * 1000;
  tokenOptions.codeTtlMs = 15 * 60000;
  tokenOptions.seed = context.seed;
  tokenOptions.staticTokens =
      auth.has("static_tokens") ? auth.texts("static_tokens") : std::vector<std::string>{"salesforce-test-token"};
  if (auth.has("clients")) {
    for (const ConfigNode& client : auth.child("clients").items()) {
      client.allowOnly({"client_id", "client_secret"});
      if (!client.has("client_id") || !client.has("client_secret")) {
        client.fail("", "a client needs client_id and client_secret");
      }
      tokenOptions.clients.push_back({client.text("client_id", ""), client.text("client_secret", "")});
    }
  } else {
    tokenOptions.clients.push_back({"salesforce-client", "salesforce-secret"});
  }
  tokens_ = std::make_unique<OAuthTokenStore>(tokenOptions, context.clock);
}

std::vector<SimObject*> SalesforceVendor::objects() { return {opportunities_.get(), contacts_.get(), accounts_.get()}; }

std::vector<const SalesforceObject*> SalesforceVendor::sobjects() const {
  return {opportunities_.get(), contacts_.get(), accounts_.get()};
}

SalesforceObject* SalesforceVendor::sobject(const std::string& name) {
  for (SalesforceObject* o :
       std::initializer_list<SalesforceObject*>{opportunities_.get(), contacts_.get(), accounts_.get()}) {
    if (o->name() == name) return o;
  }
  return nullptr;
}

nlohmann::json SalesforceVendor::readyInfo(const std::string& baseUrl) const {
  return {{"instance_url", baseUrl},
          {"login_url", baseUrl},
          {"token_url", baseUrl + "/services/oauth2/token"},
          {"authorize_url", baseUrl + "/services/oauth2/authorize"},
          {"api_versions", {{"min", std::to_string(kMinVersion) + ".0"}, {"max", std::to_string(kMaxVersion) + ".0"}}}};
}

void SalesforceVendor::resetQuotas() { daily_.reset(); }

void SalesforceVendor::expireTokens() { tokens_->expireAll(); }

void SalesforceVendor::errorArray(SimResponse& response, int status, const std::string& errorCode,
                                  const std::string& message) {
  response.setJson(status, nlohmann::json::array({{{"message", message}, {"errorCode", errorCode}}}));
}

void SalesforceVendor::limitHeader(SimResponse& response) {
  response.setHeader("Sforce-Limit-Info",
                     "api-usage=" + std::to_string(daily_.used()) + "/" + std::to_string(daily_.max()));
}

bool SalesforceVendor::carriesCursor(const SimRequest& request) const {
  const auto parts = splitPath(request.path);
  if (parts.size() == 5 && parts[0] == "services" && (parts[3] == "query" || parts[3] == "queryAll")) {
    return true;
  }
  return parts.size() == 7 && parts[3] == "jobs" && parts[6] == "results" && request.param("locator").has_value();
}

void SalesforceVendor::faultResponse(FaultKind kind, int status, const SimRequest& request, SimResponse& response) {
  (void)request;
  switch (kind) {
    case FaultKind::RateLimit:
      errorArray(response, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
      break;
    case FaultKind::ExpiredToken: errorArray(response, 401, "INVALID_SESSION_ID", "Session expired or invalid"); break;
    case FaultKind::ExpiredCursor: errorArray(response, 400, "INVALID_QUERY_LOCATOR", "invalid query locator"); break;
    default:
      if (status == 503) {
        errorArray(response, 503, "SERVER_UNAVAILABLE", "Server unavailable, try again later.");
      } else {
        errorArray(response, status, "UNKNOWN_EXCEPTION",
                   "An unexpected error occurred. Please include this ErrorId if you contact "
                   "support: 1964372128-51124 (-1170413306)");
      }
      break;
  }
  limitHeader(response);
}

void SalesforceVendor::handle(const SimRequest& request, SimResponse& response) {
  const auto parts = splitPath(request.path);
  if (parts.size() >= 3 && parts[0] == "services" && parts[1] == "oauth2") {
    if (parts[2] == "token" && request.method == "POST") return token(request, response);
    if (parts[2] == "authorize" && request.method == "GET") return authorizeRedirect(request, response);
    if (parts[2] == "revoke") return revoke(request, response);
  }
  if (parts.size() < 2 || parts[0] != "services" || parts[1] != "data") {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
    return;
  }
  if (parts.size() == 2) {
    nlohmann::json versions = nlohmann::json::array();
    for (int v = kMinVersion; v <= kMaxVersion; ++v) {
      const std::string text = std::to_string(v) + ".0";
      versions.push_back({{"label", "Simulated " + text}, {"url", "/services/data/v" + text}, {"version", text}});
    }
    response.setJson(200, versions);
    return;
  }
  const std::string version = parseVersion(parts[2]);
  if (version.empty()) {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
    return;
  }
  const auto info = tokens_->check(request.bearerToken());
  if (info.check != OAuthTokenStore::Check::Valid) {
    errorArray(response, 401, "INVALID_SESSION_ID", "Session expired or invalid");
    limitHeader(response);
    return;
  }
  const auto decision = daily_.acquire();
  if (!decision.allowed) {
    errorArray(response, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    limitHeader(response);
    return;
  }
  try {
    data(version, parts, request, response);
  } catch (const SoqlError& error) {
    errorArray(response, 400, error.errorCode(), error.what());
  }
  limitHeader(response);
}

void SalesforceVendor::data(const std::string& version, const std::vector<std::string>& parts,
                            const SimRequest& request, SimResponse& response) {
  const std::string resource = parts.size() > 3 ? parts[3] : "";
  if (parts.size() == 3) {
    const std::string base = "/services/data/v" + version;
    response.setJson(200, {{"query", base + "/query"},
                           {"queryAll", base + "/queryAll"},
                           {"sobjects", base + "/sobjects"},
                           {"jobs", base + "/jobs"},
                           {"limits", base + "/limits"}});
  } else if ((resource == "query" || resource == "queryAll") && request.method == "GET") {
    if (parts.size() == 4) return query(version, resource == "queryAll", request, response);
    if (parts.size() == 5) return queryMore(version, parts[4], response);
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
  } else if (resource == "sobjects" && parts.size() == 6 && (parts[5] == "deleted" || parts[5] == "updated") &&
             request.method == "GET") {
    feed(parts[4], parts[5] == "deleted", request, response);
  } else if (resource == "jobs" && parts.size() >= 5 && parts[4] == "query") {
    bulk(version, parts, request, response);
  } else if (resource == "limits" && parts.size() == 4) {
    response.setJson(200,
                     {{"DailyApiRequests",
                       {{"Max", daily_.max()}, {"Remaining", daily_.max() - std::min(daily_.max(), daily_.used())}}}});
  } else {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
  }
}

void SalesforceVendor::query(const std::string& version, bool scanAll, const SimRequest& request,
                             SimResponse& response) {
  const auto q = request.param("q");
  if (!q || q->empty()) {
    errorArray(response, 400, "MALFORMED_QUERY", "A query string must be provided in the q parameter.");
    return;
  }
  SoqlQuery parsed = SoqlParser::parse(*q);
  const SalesforceObject& object = SoqlBinder::bind(parsed, sobjects());
  const int64_t now = clock_.nowMs();
  auto indexes = SoqlRunner::run(parsed, object, scanAll, now - 15 * kDayMs);
  if (parsed.count) {
    response.setJson(200, {{"totalSize", indexes.size()}, {"done", true}, {"records", nlohmann::json::array()}});
    return;
  }
  size_t pageSize = settings_.pageSize;
  // Sforce-Query-Options: batchSize=N is a hint Salesforce keeps within 200..2000.
  const std::string options = request.header("sforce-query-options");
  const size_t at = options.find("batchSize=");
  if (at != std::string::npos) {
    try {
      pageSize = std::clamp<size_t>(std::stoul(options.substr(at + 10)), 200, 2000);
    } catch (const std::exception&) {
    }
  }
  auto cursor = cursors_.open(std::move(parsed), std::move(indexes), pageSize, now);
  page(version, *cursor, 0, response);
}

void SalesforceVendor::queryMore(const std::string& version, const std::string& locatorAndOffset,
                                 SimResponse& response) {
  const size_t dash = locatorAndOffset.rfind('-');
  size_t offset = 0;
  bool ok = dash != std::string::npos && dash + 1 < locatorAndOffset.size() &&
            locatorAndOffset.find_first_not_of("0123456789", dash + 1) == std::string::npos;
  if (ok) offset = std::stoull(locatorAndOffset.substr(dash + 1));
  auto cursor = ok ? cursors_.find(locatorAndOffset.substr(0, dash), clock_.nowMs()) : nullptr;
  if (!cursor || offset > cursor->indexes.size()) {
    errorArray(response, 400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    return;
  }
  page(version, *cursor, offset, response);
}

void SalesforceVendor::page(const std::string& version, const QueryCursorStore::Cursor& cursor, size_t offset,
                            SimResponse& response) {
  const SalesforceObject* object = sobject(cursor.query.object);
  const size_t end = std::min(cursor.indexes.size(), offset + cursor.pageSize);
  std::string records;
  for (size_t k = offset; k < end; ++k) {
    const auto state = object->store().latest(cursor.indexes[k]);
    if (k > offset) records += ',';
    records += SoqlRunner::project(object->generate(*state), cursor.query, version);
  }
  std::string body = "{\"totalSize\":" + std::to_string(cursor.indexes.size()) +
                     ",\"done\":" + (end >= cursor.indexes.size() ? "true" : "false");
  if (end < cursor.indexes.size()) {
    body += ",\"nextRecordsUrl\":\"/services/data/v" + version + "/query/" + cursor.locator + "-" +
            std::to_string(end) + "\"";
  }
  body += ",\"records\":[" + records + "]}";
  response.status = 200;
  response.body = std::move(body);
}

void SalesforceVendor::feed(const std::string& objectName, bool deleted, const SimRequest& request,
                            SimResponse& response) {
  SalesforceObject* object = sobject(objectName);
  if (!object) {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
    return;
  }
  auto timeParam = [&](const char* name) -> std::optional<int64_t> {
    auto value = request.param(name);
    if (!value) return std::nullopt;
    std::string text = *value;
    // An unencoded '+' in the offset arrives as a space.
    std::replace(text.begin(), text.end(), ' ', '+');
    return TimeFormat::parseIso(text);
  };
  const auto start = timeParam("start");
  const auto end = timeParam("end");
  if (!start || !end) {
    errorArray(response, 400, "MISSING_ARGUMENT",
               "start and end are required, as ISO 8601 date-times such as 2024-05-01T00:00:00Z");
    return;
  }
  const int64_t now = clock_.nowMs();
  if (*end < *start) {
    errorArray(response, 400, "INVALID_REPLICATION_DATE", "EndDate before StartDate");
    return;
  }
  if (*start < now - 30 * kDayMs) {
    errorArray(response, 400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago");
    return;
  }
  const int64_t earliest = TimeFormat::floorToMinute(now - 15 * kDayMs);
  const int64_t latestCovered = TimeFormat::floorToMinute(std::min(*end, now));
  nlohmann::json list = nlohmann::json::array();
  const uint64_t size = object->store().size();
  for (uint64_t i = 0; i < size; ++i) {
    const auto state = object->store().latest(i);
    if (!state) continue;
    if (deleted) {
      if (state->deleted && state->deletedAtMs >= *start && state->deletedAtMs <= latestCovered &&
          state->deletedAtMs >= now - 15 * kDayMs) {
        list.push_back(
            {{"id", object->sourceId(i)}, {"deletedDate", TimeFormat::salesforceDateTime(state->deletedAtMs)}});
      }
    } else if (!state->deleted && state->modifiedAtMs >= *start && state->modifiedAtMs <= latestCovered) {
      list.push_back(object->sourceId(i));
    }
    if (list.size() > 600000) {
      errorArray(response, 400, "EXCEEDED_ID_LIMIT", "too many ids; narrow the start/end window");
      return;
    }
  }
  if (deleted) {
    response.setJson(200, {{"deletedRecords", list},
                           {"earliestDateAvailable", TimeFormat::salesforceDateTime(earliest)},
                           {"latestDateCovered", TimeFormat::salesforceDateTime(latestCovered)}});
  } else {
    response.setJson(200, {{"ids", list}, {"latestDateCovered", TimeFormat::salesforceDateTime(latestCovered)}});
  }
}

void SalesforceVendor::bulk(const std::string& version, const std::vector<std::string>& parts,
                            const SimRequest& request, SimResponse& response) {
  if (parts.size() == 5 && request.method == "POST") {
    nlohmann::json body;
    try {
      body = nlohmann::json::parse(request.body);
    } catch (const std::exception&) {
      errorArray(response, 400, "JSON_PARSER_ERROR", "The request body is not valid JSON.");
      return;
    }
    const std::string operation = body.value("operation", "");
    if (operation != "query" && operation != "queryAll") {
      errorArray(response, 400, "INVALIDJOB",
                 "InvalidJob : operation must be query or queryAll, got '" + operation + "'");
      return;
    }
    if (!body.contains("query") || !body["query"].is_string()) {
      errorArray(response, 400, "INVALIDJOB", "InvalidJob : query is required");
      return;
    }
    SoqlQuery parsed = SoqlParser::parse(body["query"].get<std::string>());
    if (parsed.count) {
      errorArray(response, 400, "INVALIDJOB", "InvalidJob : Aggregate Relationships not supported in Bulk Query");
      return;
    }
    const SalesforceObject& object = SoqlBinder::bind(parsed, sobjects());
    BulkQueryJobs::Job job;
    job.operation = operation;
    job.apiVersion = version;
    job.createdMs = clock_.nowMs();
    auto text = [&](const char* key, const char* fallback) {
      return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : std::string(fallback);
    };
    job.columnDelimiter = text("columnDelimiter", "COMMA");
    job.lineEnding = text("lineEnding", "LF");
    job.indexes = SoqlRunner::run(parsed, object, operation == "queryAll", job.createdMs - 15 * kDayMs);
    job.query = std::move(parsed);
    response.setJson(200, BulkQueryJobs::info(*jobs_.create(std::move(job))));
    return;
  }
  if (parts.size() == 5 && request.method == "GET") {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& job : jobs_.all()) records.push_back(BulkQueryJobs::info(*job));
    response.setJson(200, {{"done", true}, {"records", records}, {"nextRecordsUrl", nullptr}});
    return;
  }
  if (parts.size() < 6) {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
    return;
  }
  const std::string& id = parts[5];
  auto job = parts.size() == 6 && request.method == "GET" ? jobs_.poll(id) : jobs_.find(id);
  if (!job) {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
    return;
  }
  if (parts.size() == 6 && request.method == "GET") {
    response.setJson(200, BulkQueryJobs::info(*job));
  } else if (parts.size() == 6 && request.method == "PATCH") {
    job->state = "Aborted";
    response.setJson(200, BulkQueryJobs::info(*job));
  } else if (parts.size() == 6 && request.method == "DELETE") {
    jobs_.remove(id);
    response.status = 204;
    response.body.clear();
  } else if (parts.size() == 7 && parts[6] == "results" && request.method == "GET") {
    bulkResults(version, *job, request, response);
  } else {
    errorArray(response, 404, "NOT_FOUND", "The requested resource does not exist");
  }
}

void SalesforceVendor::bulkResults(const std::string& version, BulkQueryJobs::Job& job, const SimRequest& request,
                                   SimResponse& response) {
  if (version != job.apiVersion) {
    errorArray(response, 409, "INVALIDJOBSTATE",
               "Job " + job.id + " was created with API version " + job.apiVersion +
                   "; request its results with the same version, not " + version + ".");
    return;
  }
  if (job.state != "JobComplete") {
    errorArray(response, 409, "INVALIDJOBSTATE",
               "Job " + job.id + " is in state " + job.state + "; results need JobComplete.");
    return;
  }
  size_t offset = 0;
  if (auto locator = request.param("locator"); locator && !locator->empty() && *locator != "null") {
    try {
      size_t used = 0;
      offset = std::stoull(*locator, &used, 36);
      if (used != locator->size() || offset > job.indexes.size()) throw std::out_of_range("locator");
    } catch (const std::exception&) {
      errorArray(response, 400, "INVALID_QUERY_LOCATOR", "invalid query locator");
      return;
    }
  }
  size_t max = settings_.bulkPageSize;
  if (auto value = request.param("maxRecords")) {
    try {
      max = std::max<size_t>(1, std::stoull(*value));
    } catch (const std::exception&) {
      errorArray(response, 400, "INVALIDJOB", "maxRecords must be a positive integer");
      return;
    }
  }
  const std::string delimiter = delimiterChar(job.columnDelimiter);
  const std::string newline = job.lineEnding == "CRLF" ? "\r\n" : "\n";
  const SalesforceObject* object = sobject(job.query.object);
  std::string csv;
  for (size_t i = 0; i < job.query.fields.size(); ++i) {
    csv += (i ? delimiter : "") + csvCell(job.query.fields[i]);
  }
  csv += newline;
  const size_t end = std::min(job.indexes.size(), offset + max);
  for (size_t k = offset; k < end; ++k) {
    const nlohmann::json record = object->generate(*object->store().latest(job.indexes[k]));
    for (size_t i = 0; i < job.query.fields.size(); ++i) {
      csv += (i ? delimiter : "") + csvCell(record[job.query.fields[i]]);
    }
    csv += newline;
  }
  response.status = 200;
  response.contentType = "text/csv";
  response.body = std::move(csv);
  response.setHeader("Sforce-NumberOfRecords", std::to_string(end - offset));
  std::string next = "null";
  if (end < job.indexes.size()) {
    // Opaque to clients; base 36 of the next offset.
    next.clear();
    size_t value = end;
    do {
      next.insert(next.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[value % 36]);
      value /= 36;
    } while (value > 0);
  }
  response.setHeader("Sforce-Locator", next);
}

void SalesforceVendor::authorizeRedirect(const SimRequest& request, SimResponse& response) {
  const std::string clientId = request.param("client_id").value_or("");
  const std::string redirect = request.param("redirect_uri").value_or("");
  if (redirect.empty() || !tokens_->knownClient(clientId)) {
    response.setJson(
        400, {{"error", redirect.empty() ? "redirect_uri_missing" : "invalid_client_id"},
              {"error_description", redirect.empty() ? "redirect_uri must be provided" : "client identifier invalid"}});
    return;
  }
  std::string location = redirect + (redirect.find('?') == std::string::npos ? "?" : "&") +
                         "code=" + SimRequest::percentEncode(tokens_->issueCode(clientId, redirect));
  if (auto state = request.param("state")) location += "&state=" + SimRequest::percentEncode(*state);
  response.status = 302;
  response.contentType = "text/plain";
  response.setHeader("Location", location);
  response.body = "Redirecting to " + location;
}

void SalesforceVendor::token(const SimRequest& request, SimResponse& response) {
  const auto form = SimRequest::parseQuery(request.body);
  auto field = [&](const std::string& name) {
    for (const auto& [key, value] : form)
      if (key == name) return value;
    return std::string();
  };
  const std::string grant = field("grant_type");
  OAuthTokenStore::Grant result;
  if (grant == "authorization_code") {
    result = tokens_->exchangeCode(field("code"), field("client_id"), field("client_secret"), field("redirect_uri"));
  } else if (grant == "refresh_token") {
    result = tokens_->refresh(field("refresh_token"), field("client_id"), field("client_secret"),
                              settings_.rotateRefreshTokens);
  } else {
    response.setJson(400, {{"error", "unsupported_grant_type"}, {"error_description", "grant type not supported"}});
    return;
  }
  if (!result.error.empty()) {
    const bool badClient = result.error == "invalid_client";
    response.setJson(
        400, {{"error", badClient ? "invalid_client" : "invalid_grant"},
              {"error_description", badClient ? "invalid client credentials" : "expired access/refresh token"}});
    return;
  }
  const std::string issuedAt = std::to_string(result.issuedAtMs);
  // No expires_in: a Salesforce session lasts until its timeout, unknown to the client.
  nlohmann::json body = {{"access_token", result.accessToken},
                         {"signature", CanonicalDigest::sha256Hex(result.accessToken + issuedAt).substr(0, 43) + "="},
                         {"scope", "api refresh_token"},
                         {"instance_url", request.baseUrl},
                         {"id", request.baseUrl + "/id/00Dsim0000000001AAA/" + SalesforceIds::make("005", 1)},
                         {"token_type", "Bearer"},
                         {"issued_at", issuedAt}};
  if (result.refreshTokenIsNew) body["refresh_token"] = result.refreshToken;
  response.setJson(200, body);
}

void SalesforceVendor::revoke(const SimRequest& request, SimResponse& response) {
  std::string token = request.param("token").value_or("");
  for (const auto& [key, value] : SimRequest::parseQuery(request.body)) {
    if (key == "token") token = value;
  }
  if (token.empty() || !tokens_->revoke(token)) {
    response.setJson(400,
                     {{"error", "unsupported_token_type"}, {"error_description", "this token type is not supported"}});
    return;
  }
  response.status = 200;
  response.body.clear();
}

}  // namespace tributary::sim
