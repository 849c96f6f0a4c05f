// tributary.hubspot: HubSpot CRM deals, contacts and companies, through the public SDK only.
//
// The wire protocol is HubSpot's (docs/field-guide.md lists every property read and where it
// lands):
//  - Initial sync: GET /crm/v3/objects/{type}?limit=100&after=...&properties=..., following
//    paging.next.after, one checkpoint per page. The list pages by id, so the host's engine
//    sees an unordered read and sets the watermark safely (docs/architecture.md, "Watermarks").
//  - Incremental sync: POST /crm/v3/objects/{type}/search on the last-modified property,
//    ascending, 200 per page, read in modification order. Each page is a new search from the
//    last timestamp seen ("keyset" paging): records of the page's last timestamp are held back
//    and read again first by the next search, so no search ever pages (HubSpot refuses `after`
//    past 10,000) and a record modified mid-run moves later, never out of the window. A page
//    made of one timestamp alone is read by its own searches (EQ that timestamp, by
//    hs_object_id GT the last id), then the read goes on strictly after it: nothing is skipped
//    or repeated, and every search makes progress.
//  - Deletions: the archived=true listings, read at the start of an incremental sync; those
//    archived since the host's `since` are emitted in time order among the search's records,
//    with their last values.
//  - Backfill: a time window through the search (with an upper bound), or ids one by one.
// Search lags writes by a few seconds; the host's sync.overlap (default 5 minutes) re-reads
// across it.
#include <tributary/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using Json = nlohmann::json;
namespace sanitize = tributary::sanitize;

constexpr int kListPage = 100;
constexpr int kSearchPage = 200;
// Deletions waiting for their place in time order; beyond this they go out at once (the run
// then counts as unordered, which is safe: the next incremental starts earlier).
constexpr size_t kMaxHeldDeletions = 100000;

struct ObjectSpec {
  const char* stream;
  const char* object;  // the HubSpot object type in URLs
  const char* entity;
  const char* modified;  // the last-modified property
  std::vector<const char*> canonical;
  const char* extraKey;  // the setting naming more properties to read
};

const std::vector<ObjectSpec>& objects() {
  static const std::vector<ObjectSpec> specs = {
      {"deals",
       "deals",
       "deals",
       "hs_lastmodifieddate",
       {"dealname", "amount", "dealstage", "closedate", "pipeline", "hubspot_owner_id"},
       "deal_properties"},
      {"contacts",
       "contacts",
       "contacts",
       "lastmodifieddate",
       {"email", "firstname", "lastname", "associatedcompanyid"},
       "contact_properties"},
      {"companies",
       "companies",
       "accounts",
       "hs_lastmodifieddate",
       {"name", "domain", "industry"},
       "company_properties"},
  };
  return specs;
}

const ObjectSpec* specOf(std::string_view stream) {
  for (const auto& s : objects()) {
    if (stream == s.stream) return &s;
  }
  return nullptr;
}

// A property's value: HubSpot sends strings or null; anything else is given as its JSON text.
std::optional<std::string> prop(const Json& record, const char* name) {
  auto p = record.find("properties");
  if (p == record.end() || !p->is_object()) return std::nullopt;
  auto v = p->find(name);
  if (v == p->end() || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  return v->dump();
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

// An address as the canonical model takes one: one @, something on both sides, no whitespace.
bool looksLikeEmail(std::string_view e) {
  const size_t at = e.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < e.size() && e.find('@', at + 1) == std::string_view::npos &&
         e.find_first_of(" \t\r\n\f\v") == std::string_view::npos;
}

// A page's results, by reference (no copy of the page's records); empty when absent.
const Json& resultsOf(const Json& page) {
  static const Json kNone = Json::array();
  auto r = page.find("results");
  return r != page.end() && r->is_array() ? *r : kNone;
}

// A list page's paging.next.after; "" on the last page.
std::string nextAfter(const Json& page) {
  auto p = page.find("paging");
  if (p == page.end() || !p->is_object()) return {};
  auto n = p->find("next");
  if (n == p->end() || !n->is_object()) return {};
  auto a = n->find("after");
  if (a == n->end() || a->is_null()) return {};
  return a->is_string() ? a->get<std::string>() : a->dump();
}

std::string idOf(const Json& record) {
  auto id = record.find("id");
  if (id == record.end()) return {};
  return id->is_string() ? id->get<std::string>() : id->dump();
}

// The record's modification time: updatedAt, else the last-modified property.
std::optional<int64_t> modifiedOf(const ObjectSpec& spec, const Json& record) {
  auto u = record.find("updatedAt");
  if (u != record.end() && u->is_string()) {
    if (auto ms = sanitize::timestampMs(u->get<std::string>(), sanitize::OnInvalid::Null)) return ms;
  }
  auto p = prop(record, spec.modified);
  return p ? sanitize::timestampMs(*p, sanitize::OnInvalid::Null) : std::nullopt;
}

// The key the search orders by: the last-modified property (what its filters compare).
std::optional<int64_t> searchTimeOf(const ObjectSpec& spec, const Json& record) {
  auto p = prop(record, spec.modified);
  if (p) {
    if (auto ms = sanitize::timestampMs(*p, sanitize::OnInvalid::Null)) return ms;
  }
  return modifiedOf(spec, record);
}

// Where a read stands; the checkpoint's cursor.
struct Cursor {
  std::string phase = "list";  // list | search | eq | ids
  std::string after;           // list: paging.next.after; eq: the last hs_object_id read
  int64_t lo = 0;              // search: from this time; eq: the timestamp read whole
  bool inclusive = true;       // search: GTE lo (true) or GT lo
  int64_t index = 0;           // ids: how many of the request's ids are done

  Json toJson() const {
    Json j = {{"phase", phase}};
    if (phase == "list") j["after"] = after;
    if (phase == "search") j.update({{"lo", lo}, {"inclusive", inclusive}});
    if (phase == "eq") j.update({{"ts", lo}, {"after_id", after}});
    if (phase == "ids") j["index"] = index;
    return j;
  }
  static Cursor parse(std::string_view text) {
    Cursor c;
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("phase")) {
      throw tributary::FatalError("the checkpoint cursor is not one this connector wrote: " + std::string(text));
    }
    c.phase = j["phase"].get<std::string>();
    if (c.phase == "list") c.after = j.value("after", "");
    if (c.phase == "search") {
      c.lo = j.value("lo", int64_t{0});
      c.inclusive = j.value("inclusive", true);
    }
    if (c.phase == "eq") {
      c.lo = j.value("ts", int64_t{0});
      c.after = j.value("after_id", "0");
    }
    if (c.phase == "ids") c.index = j.value("index", int64_t{0});
    return c;
  }
};

struct HeldDeletion {
  int64_t atMs;
  std::string id;
  Json record;
};

class HubSpotConnector : public tributary::Connector {
 public:
  explicit HubSpotConnector(const tributary::Host& host) : Connector(host) {}

  static tributary::ConnectorInfo describe() {
    using tributary::ConfigType;
    using tributary::HttpRuleAction;
    tributary::ConnectorInfo info;
    info.name = "tributary.hubspot";
    info.version = "1.0.0";
    info.description = "HubSpot CRM: deals, contacts and companies (to accounts)";
    // Not flagged TRIBUTARY_STREAM_MODIFICATION_ORDER: the flag promises it for initial reads too,
    // and the list endpoint pages by id. The engine watches the order of every run anyway, so an
    // incremental (the search, ascending) still moves the watermark to its newest record.
    info.stream({"deals", "id", "hs_lastmodifieddate", "deals", "Deals (/crm/v3/objects/deals)"});
    info.stream({"contacts", "id", "lastmodifieddate", "contacts", "Contacts (/crm/v3/objects/contacts)"});
    info.stream(
        {"companies", "id", "hs_lastmodifieddate", "accounts", "Companies, to accounts (/crm/v3/objects/companies)"});
    info.setting({"base_url", ConfigType::String, false, "https://api.hubapi.com", false,
                  "HubSpot's API (a simulator's base_url in tests)"});
    info.setting({"deal_properties", ConfigType::String, false, "", false,
                  "More deal properties to read, comma-separated (kept in raw); the canonical ones are always read"});
    info.setting({"contact_properties", ConfigType::String, false, "", false,
                  "More contact properties to read, comma-separated"});
    info.setting({"company_properties", ConfigType::String, false, "", false,
                  "More company properties to read, comma-separated"});
    info.setting({"account_timezone", ConfigType::String, false, "UTC", false,
                  "The HubSpot account's time zone, when its daily limit resets: UTC or an offset like -05:00"});
    info.auth(tributary::AuthInfo::bearer("A private app's access token"));
    info.auth(tributary::AuthInfo::oauth2("https://app.hubspot.com/oauth/authorize",
                                          "https://api.hubapi.com/oauth/v1/token",
                                          "crm.objects.deals.read crm.objects.contacts.read crm.objects.companies.read",
                                          "A public app's OAuth install; the host refreshes by the token's lifetime"));
    info.rateLimit({"rest", 100, 10'000, false, false, false, "100 requests per 10 s (Free and Starter apps)"});
    info.rateLimit({"search", 5, 1'000, false, false, false, "The search API: 5 requests per second per account"});
    info.rateLimit({"daily", 250'000, 86'400'000, false, true, true, "The account's daily requests"});
    info.httpRule({HttpRuleAction::Quota, 429, "DAILY", "daily", 0, "the daily limit: parked until it resets"});
    info.httpRule({HttpRuleAction::Retry, 423, "", "", 2'000, "locked: try again after at least 2 s"});
    info.httpRule({HttpRuleAction::RateLimit, 477, "", "", 2'000, "migration in progress: wait for Retry-After"});
    return info;
  }

  void check(tributary::Context& ctx) override {
    base_ = baseUrl();
    for (const auto& spec : objects()) propertiesOf(spec);  // names the bad setting
    (void)offsetMs();
    // One cheap call: the first contact, no properties.
    auto r = get(ctx, base_ + "/crm/v3/objects/contacts?limit=1&archived=false");
    if (r.first != 200) fail(r.first, r.second, "checking the credentials with GET /crm/v3/objects/contacts");
  }

  void initialSync(tributary::Context& ctx, const tributary::SyncRequest& req) override {
    base_ = baseUrl();
    const ObjectSpec& spec = specFor(req.stream);
    Cursor c = req.hasCursor() ? Cursor::parse(req.cursor) : Cursor{};
    if (c.phase != "list") {
      throw tributary::FatalError("an initial sync cannot resume from a " + c.phase + " cursor");
    }
    listAll(ctx, spec, c);
  }

  void incrementalSync(tributary::Context& ctx, const tributary::SyncRequest& req) override {
    base_ = baseUrl();
    const ObjectSpec& spec = specFor(req.stream);
    if (!req.hasCursor() && !req.sinceMs) {  // nothing to start from: read it whole
      Cursor c;
      listAll(ctx, spec, c);
      return;
    }
    Cursor c;
    if (req.hasCursor()) {
      c = Cursor::parse(req.cursor);
    } else {
      c.phase = "search";
      c.lo = *req.sinceMs;
      c.inclusive = true;
    }
    if (c.phase == "list") {
      listAll(ctx, spec, c);
      return;
    }
    std::vector<HeldDeletion> held = archivedSince(ctx, spec, req.sinceMs.value_or(c.lo));
    search(ctx, spec, c, std::nullopt, &held);
  }

  void backfill(tributary::Context& ctx, const tributary::SyncRequest& req) override {
    base_ = baseUrl();
    const ObjectSpec& spec = specFor(req.stream);
    if (!req.ids.empty()) {
      backfillIds(ctx, spec, req);
      return;
    }
    Cursor c;
    if (req.hasCursor()) {
      c = Cursor::parse(req.cursor);
    } else if (req.windowFromMs || req.windowToMs) {
      c.phase = "search";
      c.lo = req.windowFromMs.value_or(0);
      c.inclusive = true;
    }
    if (c.phase == "list") {
      listAll(ctx, spec, c);
      return;
    }
    search(ctx, spec, c, req.windowToMs, nullptr);
  }

 private:
  std::string baseUrl() const {
    std::string b = host().configString("base_url", "https://api.hubapi.com");
    while (!b.empty() && b.back() == '/') b.pop_back();
    if (b.rfind("https://", 0) != 0 && b.rfind("http://", 0) != 0) {
      throw tributary::FatalError("setting 'base_url': expected an http:// or https:// URL, got \"" + b + "\"");
    }
    return b;
  }

  const ObjectSpec& specFor(std::string_view stream) const {
    const ObjectSpec* s = specOf(stream);
    if (!s) throw tributary::FatalError("no stream '" + std::string(stream) + "' (deals, contacts, companies)");
    return *s;
  }

  // The canonical properties, the last-modified one, and the setting's, each once.
  std::vector<std::string> propertiesOf(const ObjectSpec& spec) const {
    std::vector<std::string> out(spec.canonical.begin(), spec.canonical.end());
    out.emplace_back(spec.modified);
    out.emplace_back("createdate");
    std::string_view extra = host().config(spec.extraKey).value_or("");
    while (!extra.empty()) {
      const size_t comma = extra.find(',');
      std::string_view name = sanitize::trim(extra.substr(0, comma));
      extra = comma == std::string_view::npos ? std::string_view() : extra.substr(comma + 1);
      if (name.empty()) continue;
      for (char ch : name) {
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
          throw tributary::FatalError("setting '" + std::string(spec.extraKey) + "': \"" + std::string(name) +
                                      "\" is not a HubSpot property name (lowercase letters, digits, _)");
        }
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) out.emplace_back(name);
    }
    return out;
  }

  // account_timezone as an offset from UTC in ms.
  int64_t offsetMs() const {
    const std::string tz = host().configString("account_timezone", "UTC");
    if (tz == "UTC" || tz == "Z" || tz == "Etc/UTC") return 0;
    if (tz.size() == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':') {
      auto digits = [&](size_t i) { return tz[i] >= '0' && tz[i] <= '9'; };
      if (digits(1) && digits(2) && digits(4) && digits(5)) {
        const int64_t h = (tz[1] - '0') * 10 + (tz[2] - '0'), m = (tz[4] - '0') * 10 + (tz[5] - '0');
        if (h <= 14 && m < 60) return (tz[0] == '-' ? -1 : 1) * (h * 3'600'000 + m * 60'000);
      }
    }
    throw tributary::FatalError("setting 'account_timezone': expected UTC or an offset like -05:00, got \"" + tz +
                                "\"");
  }

  // The next midnight in the account's zone after `nowMs`: when HubSpot resets the daily limit.
  int64_t nextMidnightMs(int64_t nowMs) const {
    const int64_t off = offsetMs();
    const int64_t day = 86'400'000;
    const int64_t local = nowMs + off;
    const int64_t next = (local / day + 1) * day;
    return next - off;
  }

  // HubSpot's own count of what is left: of the ten-secondly window (rest) and of the day.
  // The ten-secondly window rolls: what is left frees as requests age out, so the count is passed
  // on only when nearly nothing is left (another client of the account is using it up). Passed on
  // always, the host would spread it over a whole window and settle at half the budget
  // (bench/connectors/run measured 5 of the 9 requests a second).
  void reportLimits(tributary::Context& ctx, const tributary::HttpResponse& r) const {
    if (auto rem = r.header("X-HubSpot-RateLimit-Remaining")) {
      auto n = sanitize::integer(*rem);
      std::optional<int64_t> max;
      if (auto m = r.header("X-HubSpot-RateLimit-Max")) max = sanitize::integer(*m);
      if (n && *n <= std::max<int64_t>(2, max.value_or(100) / 20)) ctx.reportRateLimit("rest", *n);
    }
    if (auto rem = r.header("X-HubSpot-RateLimit-Daily-Remaining")) {
      if (auto n = sanitize::integer(*rem)) {
        const int64_t now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        ctx.reportRateLimit("daily", *n, nextMidnightMs(now));
      }
    }
  }

  std::pair<int, std::string> get(tributary::Context& ctx, const std::string& url) const {
    tributary::HttpRequest r;
    r.url = url;
    r.limitClass = "rest";
    r.headers = {{"Accept", "application/json"}};
    auto resp = ctx.http(r);
    reportLimits(ctx, resp);
    return {resp.status(), std::string(resp.body())};
  }

  std::pair<int, std::string> post(tributary::Context& ctx, const std::string& url, const Json& body,
                                   const char* limitClass) const {
    tributary::HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.limitClass = limitClass;
    r.idempotent = true;  // a search or a batch read: reading twice is harmless
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = body.dump();
    auto resp = ctx.http(r);
    reportLimits(ctx, resp);
    return {resp.status(), std::string(resp.body())};
  }

  // A non-2xx answer the host did not retry away, as the right error.
  [[noreturn]] static void fail(int status, const std::string& body, const std::string& what) {
    std::string message, category;
    Json j = Json::parse(body, nullptr, false);
    if (j.is_object()) {
      message = j.value("message", "");
      category = j.value("category", "");
    }
    std::string why = what + ": HubSpot answered " + std::to_string(status) + (category.empty() ? "" : " " + category) +
                      (message.empty() ? "" : ": " + message);
    if (status == 401) {
      // Broken credentials may be fixed (a token replaced, an app reinstalled): retried.
      throw tributary::RetryError(why + " (check the private app token, or reconnect the OAuth install)");
    }
    if (status == 403) throw tributary::FatalError(why + " (the token lacks the scope to read this object)");
    if (status == 400 || status == 404) throw tributary::FatalError(why);
    throw tributary::RetryError(why);
  }

  static Json parseBody(const std::string& body, const std::string& what) {
    Json j = Json::parse(body, nullptr, false);
    if (!j.is_object()) throw tributary::RetryError(what + ": HubSpot's answer is not a JSON object");
    return j;
  }

  // Maps one record and emits it (or its record error). Returns false for a record error.
  bool emit(tributary::Context& ctx, const ObjectSpec& spec, const Json& rec, bool deleted) {
    const std::string id = idOf(rec);
    if (id.empty()) {
      ctx.emitRecordError(spec.stream, "(none)", "a record without an id", rec.dump());
      return false;
    }
    record_.reset(spec.stream, id).modifiedAt(modifiedOf(spec, rec)).deleted(deleted);
    try {
      mapFields(spec, rec);
    } catch (const tributary::InvalidValue& e) {
      ctx.emitRecordError(spec.stream, id, e.what(), rec.dump());
      return false;
    }
    record_.raw(rec);
    ctx.emit(record_);
    return true;
  }

  void mapFields(const ObjectSpec& spec, const Json& rec) {
    const std::string entity = spec.entity;
    auto field = [&](const char* property) -> std::optional<std::string> { return prop(rec, property); };
    auto invalid = [](const char* name, const char* what, const std::optional<std::string>& v) {
      throw tributary::InvalidValue(std::string(name) + ": " + what + ": \"" + v.value_or("") + "\"");
    };
    if (entity == "deals") {
      const auto amountRaw = field("amount");
      std::optional<std::string> amount;
      try {
        amount = amountRaw ? sanitize::number(*amountRaw) : std::nullopt;
      } catch (const tributary::InvalidValue&) {
        invalid("amount", "not a number", amountRaw);
      }
      const auto name = field("dealname");
      const auto stage = field("dealstage");
      const auto close = field("closedate");
      const auto pipeline = field("pipeline");
      const auto owner = field("hubspot_owner_id");
      record_.text("name", name ? sanitize::text(*name) : std::nullopt)
          .number("amount", view(amount))
          .text("stage", stage ? sanitize::text(*stage) : std::nullopt)
          .date("close_date", view(close ? sanitize::date(*close, sanitize::OnInvalid::Null) : std::nullopt))
          .text("pipeline", pipeline ? sanitize::text(*pipeline) : std::nullopt)
          .text("owner_id", owner ? sanitize::text(*owner) : std::nullopt)
          .null("account_id");  // a deal carries no company: the associations do
    } else if (entity == "contacts") {
      const auto emailRaw = field("email");
      const auto email = emailRaw ? sanitize::email(*emailRaw) : std::nullopt;
      if (email && !looksLikeEmail(*email)) invalid("email", "not an address", emailRaw);
      const auto first = field("firstname");
      const auto last = field("lastname");
      const auto company = field("associatedcompanyid");
      record_.text("email", view(email))
          .text("first_name", first ? sanitize::text(*first) : std::nullopt)
          .text("last_name", last ? sanitize::text(*last) : std::nullopt)
          .text("account_id", company ? sanitize::text(*company) : std::nullopt);
    } else {
      const auto nameRaw = field("name");
      const auto name = nameRaw ? sanitize::text(*nameRaw) : std::nullopt;
      if (!name) invalid("name", "missing (a company needs a name)", nameRaw);
      const auto domainRaw = field("domain");
      std::optional<std::string> domain;
      try {
        domain = domainRaw ? sanitize::domain(*domainRaw) : std::nullopt;
      } catch (const tributary::InvalidValue&) {
        invalid("domain", "not a domain or URL", domainRaw);
      }
      const auto industry = field("industry");
      record_.text("name", name)
          .text("domain", view(domain))
          .text("industry", industry ? sanitize::text(*industry) : std::nullopt);
    }
  }

  std::string listUrl(const ObjectSpec& spec, bool archived, const std::string& after) const {
    std::string url = base_ + "/crm/v3/objects/" + spec.object + "?limit=" + std::to_string(kListPage) +
                      "&archived=" + (archived ? "true" : "false") + "&properties=";
    const auto props = propertiesOf(spec);
    for (size_t i = 0; i < props.size(); ++i) url += (i ? "," : "") + props[i];
    if (!after.empty()) url += "&after=" + after;
    return url;
  }

  // The list endpoint, page by page from c.after, a checkpoint after each.
  void listAll(tributary::Context& ctx, const ObjectSpec& spec, Cursor c) {
    int64_t read = 0;
    for (;;) {
      ctx.throwIfCancelled();
      const std::string url = listUrl(spec, false, c.after);
      auto [status, body] = get(ctx, url);
      if (status != 200) fail(status, body, "GET " + url);
      const Json page = parseBody(body, "GET " + url);
      const Json& results = resultsOf(page);
      for (const auto& rec : results) emit(ctx, spec, rec, false);
      read += static_cast<int64_t>(results.size());
      const std::string next = nextAfter(page);
      if (next.empty()) {
        ctx.progress(read, read, std::string("listed ") + spec.stream);
        return;  // the last page: the hook's return commits it
      }
      if (next == c.after) {
        throw tributary::RetryError("GET " + url + ": HubSpot gave the same paging.next.after again (" + next + ")");
      }
      c.after = next;
      ctx.checkpoint(spec.stream, c.toJson().dump());
      ctx.progress(read, -1, std::string("listing ") + spec.stream);
    }
  }

  // The archived records whose deletion is at or after sinceMs, oldest first.
  std::vector<HeldDeletion> archivedSince(tributary::Context& ctx, const ObjectSpec& spec, int64_t sinceMs) {
    std::vector<HeldDeletion> out;
    std::string after;
    for (;;) {
      ctx.throwIfCancelled();
      const std::string url = listUrl(spec, true, after);
      auto [status, body] = get(ctx, url);
      if (status != 200) fail(status, body, "GET " + url);
      const Json page = parseBody(body, "GET " + url);
      {
        for (const auto& rec : resultsOf(page)) {
          // Ordered by the time the record carries (its deletion, as updatedAt); kept when that
          // or archivedAt is at or after sinceMs.
          const auto at = modifiedOf(spec, rec);
          std::optional<int64_t> archivedAt;
          if (auto a = rec.find("archivedAt"); a != rec.end() && a->is_string()) {
            archivedAt = sanitize::timestampMs(a->get<std::string>(), sanitize::OnInvalid::Null);
          }
          if (at && *at < sinceMs && (!archivedAt || *archivedAt < sinceMs)) continue;
          out.push_back({at.value_or(archivedAt.value_or(sinceMs)), idOf(rec), rec});
        }
      }
      const std::string next = nextAfter(page);
      if (next.empty() || next == after) break;
      after = next;
    }
    std::sort(out.begin(), out.end(), [](const HeldDeletion& a, const HeldDeletion& b) {
      return std::tie(a.atMs, a.id) < std::tie(b.atMs, b.id);
    });
    ctx.count("hubspot_deletions_found", static_cast<int64_t>(out.size()));
    return out;
  }

  // Emits the held deletions up to `untilMs` (inclusive or not), keeping time order.
  void releaseDeletions(tributary::Context& ctx, const ObjectSpec& spec, std::vector<HeldDeletion>* held, size_t& next,
                        std::optional<int64_t> untilMs, bool inclusive) {
    if (!held) return;
    while (next < held->size()) {
      const auto& d = (*held)[next];
      if (untilMs && (inclusive ? d.atMs > *untilMs : d.atMs >= *untilMs)) break;
      emit(ctx, spec, d.record, true);
      ++next;
    }
  }

  Json searchBody(const ObjectSpec& spec, const Cursor& c, std::optional<int64_t> toMs) const {
    Json filters = Json::array();
    Json sorts;
    if (c.phase == "eq") {
      filters.push_back({{"propertyName", spec.modified}, {"operator", "EQ"}, {"value", std::to_string(c.lo)}});
      filters.push_back(
          {{"propertyName", "hs_object_id"}, {"operator", "GT"}, {"value", c.after.empty() ? "0" : c.after}});
      sorts = Json::array({{{"propertyName", "hs_object_id"}, {"direction", "ASCENDING"}}});
    } else {
      filters.push_back(
          {{"propertyName", spec.modified}, {"operator", c.inclusive ? "GTE" : "GT"}, {"value", std::to_string(c.lo)}});
      sorts = Json::array({{{"propertyName", spec.modified}, {"direction", "ASCENDING"}}});
    }
    if (toMs)
      filters.push_back({{"propertyName", spec.modified}, {"operator", "LT"}, {"value", std::to_string(*toMs)}});
    return {{"filterGroups", Json::array({{{"filters", filters}}})},
            {"sorts", sorts},
            {"properties", propertiesOf(spec)},
            {"limit", kSearchPage},
            {"after", "0"}};
  }

  // The search from cursor c (phase search or eq) until a short page, below toMs when given;
  // `held` deletions (incremental) go out in time order among the records.
  void search(tributary::Context& ctx, const ObjectSpec& spec, Cursor c, std::optional<int64_t> toMs,
              std::vector<HeldDeletion>* held) {
    const std::string url = base_ + "/crm/v3/objects/" + spec.object + "/search";
    size_t nextDeletion = 0;
    if (held) {
      // Resumed: those before the cursor went out before its checkpoint.
      while (nextDeletion < held->size() && ((c.phase == "eq" || !c.inclusive) ? (*held)[nextDeletion].atMs <= c.lo
                                                                               : (*held)[nextDeletion].atMs < c.lo)) {
        ++nextDeletion;
      }
      if (held->size() - nextDeletion > kMaxHeldDeletions) {
        ctx.count("hubspot_deletions_unordered", static_cast<int64_t>(held->size() - nextDeletion));
        releaseDeletions(ctx, spec, held, nextDeletion, std::nullopt, true);
      }
    }
    int64_t read = 0, total = -1;
    for (;;) {
      ctx.throwIfCancelled();
      auto [status, body] = post(ctx, url, searchBody(spec, c, toMs), "search");
      if (status != 200) fail(status, body, "POST " + url);
      const Json page = parseBody(body, "POST " + url);
      if (total < 0 && page.contains("total") && page["total"].is_number_integer())
        total = page["total"].get<int64_t>();
      const Json& results = resultsOf(page);
      ctx.count("hubspot_searches");
      const bool full = results.size() >= static_cast<size_t>(kSearchPage);
      if (c.phase == "eq") {
        releaseDeletions(ctx, spec, held, nextDeletion, c.lo, true);
        for (const auto& rec : results) emit(ctx, spec, rec, false);
        read += static_cast<int64_t>(results.size());
        if (full) {
          c.after = idOf(results.back());
        } else {
          c.phase = "search";
          c.inclusive = false;  // that timestamp is read whole: strictly after it
          c.after.clear();
        }
      } else {
        std::optional<int64_t> first, last;
        if (!results.empty()) {
          first = searchTimeOf(spec, results.front());
          last = searchTimeOf(spec, results.back());
        }
        if (!full) {
          for (const auto& rec : results) {
            releaseDeletions(ctx, spec, held, nextDeletion, searchTimeOf(spec, rec), true);
            emit(ctx, spec, rec, false);
          }
          read += static_cast<int64_t>(results.size());
          releaseDeletions(ctx, spec, held, nextDeletion, toMs, false);
          ctx.progress(read, std::max(read, total), std::string("searched ") + spec.stream);
          return;
        }
        if (!first || !last) {
          throw tributary::RetryError("POST " + url + ": a record without " + std::string(spec.modified));
        }
        if (*first == *last) {
          // One timestamp fills the page: read it whole by id, then go on after it.
          c.phase = "eq";
          c.lo = *last;
          c.after = "0";
          ctx.count("hubspot_timestamp_splits");
          continue;  // nothing emitted yet: the eq searches read these again
        }
        // Hold back the page's last timestamp: the next search, from it, reads them first.
        for (const auto& rec : results) {
          const auto t = searchTimeOf(spec, rec);
          if (t && *t >= *last) break;
          releaseDeletions(ctx, spec, held, nextDeletion, t, true);
          emit(ctx, spec, rec, false);
          ++read;
        }
        c.lo = *last;
        c.inclusive = true;
        releaseDeletions(ctx, spec, held, nextDeletion, c.lo, false);
      }
      ctx.checkpoint(spec.stream, c.toJson().dump());
      ctx.progress(read, total, std::string("searching ") + spec.stream);
    }
  }

  // A backfill by ids: each record read on its own (a 404 is a record gone: nothing to do).
  void backfillIds(tributary::Context& ctx, const ObjectSpec& spec, const tributary::SyncRequest& req) {
    Cursor c = req.hasCursor() ? Cursor::parse(req.cursor) : Cursor{"ids", "", 0, true, 0};
    const auto props = propertiesOf(spec);
    std::string query = "?properties=";
    for (size_t i = 0; i < props.size(); ++i) query += (i ? "," : "") + props[i];
    for (size_t i = static_cast<size_t>(c.index); i < req.ids.size(); ++i) {
      ctx.throwIfCancelled();
      const std::string id(req.ids[i]);
      const std::string url = base_ + "/crm/v3/objects/" + spec.object + "/" + id + query;
      auto [status, body] = get(ctx, url);
      if (status == 404) {
        host().info("backfill of " + std::string(spec.stream) + ": no record " + id + " (gone)");
      } else if (status != 200) {
        fail(status, body, "GET " + url);
      } else {
        emit(ctx, spec, parseBody(body, "GET " + url), false);
      }
      c.index = static_cast<int64_t>(i + 1);
      if (c.index % 50 == 0) ctx.checkpoint(spec.stream, c.toJson().dump());
      ctx.progress(c.index, static_cast<int64_t>(req.ids.size()), "backfilling by id");
    }
  }

  std::string base_;
  tributary::Record record_;
};

}  // namespace

TRIBUTARY_CONNECTOR(HubSpotConnector)
