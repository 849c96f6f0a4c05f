// tributary.example: a deterministic demo connector, and the template for new ones.
//
// It invents its data instead of calling a vendor, so that tests, the demo and the ingest
// benchmark can drive every path with no credentials. Everything derives from `seed`:
//
//  - Each stream has `records` records, ids "<prefix>-000000000" upwards.
//  - Generation 0: record i was modified at kEpochMs + (i / same_timestamp) seconds, so
//    groups of `same_timestamp` records share a timestamp (and straddle page boundaries).
//  - Each later generation g (1..`generation`) modifies about 10% of the records and deletes
//    about 2%, at kEpochMs + g * kGenerationSpanMs + (i / same_timestamp) seconds. Raising
//    `generation` is "time passing at the vendor": an incremental sync from the previous
//    watermark then returns exactly the records changed since.
//
// Records are served in (modified_at, id) order with keyset paging, and a checkpoint is
// committed after every page, so a resumed sync continues right after the last committed
// record, and records sharing a timestamp across a page boundary are never lost.
//
// Test knobs (all off by default) make it emit poison records, fail with RETRY, FATAL or
// WAIT, crash, or slow down at a given page. See describe() for the full list.
#include <tributary/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

using tributary::sanitize::OnInvalid;
namespace sanitize = tributary::sanitize;

constexpr int64_t kEpochMs = 1700000000000;              // 2023-11-14T22:13:20Z
constexpr int64_t kGenerationSpanMs = 365LL * 86400000;  // generation g starts at g * span
constexpr int64_t kFarFutureMs = 253402214400000;        // 9999-12-31T00:00:00Z: future_ids
constexpr int64_t kMaxRecords = 10000000;

// The streams. The entity names the canonical table; "" means the generic records table.
struct StreamSpec {
  const char* name;
  const char* idPrefix;
  const char* entity;
  const char* description;
};
constexpr StreamSpec kStreams[] = {
    {"deals", "deal", "deals", "Deals with amount, stage and close date"},
    {"contacts", "contact", "contacts", "People, with a messy email to sanitize"},
    {"accounts", "account", "accounts", "Companies, with a website to turn into a domain"},
    {"events", "event", "", "Activity events with no canonical entity (generic records)"},
};

// splitmix64: a fast, well-mixed hash, so every value is a pure function of its inputs.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
uint64_t hash(uint64_t seed, uint64_t stream, uint64_t index, uint64_t salt) {
  return mix(mix(mix(mix(seed) ^ stream) ^ index) ^ salt);
}

// Where one record stands after `generation` generations.
struct RecordState {
  int64_t layer = 0;  // the generation that last touched it (0: never changed)
  bool deleted = false;
};

// The settings, read once at create. Validation is check()'s job (create must not fail).
struct Settings {
  int64_t seed, records, pageSize, sameTimestamp, generation;
  int64_t failAtPage, crashAtPage, latencyMs;
  std::string failMode, failStream, crashMode, checkFail, baseUrl, order;
  std::unordered_set<std::string> poisonIds, futureIds;

  explicit Settings(const tributary::Host& host)
      : seed(host.configInt("seed", 42)),
        records(host.configInt("records", 1000)),
        pageSize(host.configInt("page_size", 100)),
        sameTimestamp(host.configInt("same_timestamp", 3)),
        generation(host.configInt("generation", 0)),
        failAtPage(host.configInt("fail_at_page", 0)),
        crashAtPage(host.configInt("crash_at_page", 0)),
        latencyMs(host.configInt("latency_ms", 0)),
        failMode(host.configString("fail_mode", "retry")),
        failStream(host.configString("fail_stream")),
        crashMode(host.configString("crash_mode", "abort")),
        checkFail(host.configString("check_fail")),
        baseUrl(host.configString("base_url")),
        order(host.configString("order", "modified")) {
    readIds(host.config("poison_ids").value_or(""), poisonIds);
    readIds(host.config("future_ids").value_or(""), futureIds);
  }

  static void readIds(std::string_view ids, std::unordered_set<std::string>& out) {
    while (!ids.empty()) {
      size_t comma = ids.find(',');
      std::string_view id = sanitize::trim(ids.substr(0, comma));
      if (!id.empty()) out.emplace(id);
      ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
    }
  }

  // Throws FatalError naming the first bad setting.
  void validate() const {
    auto range = [](const char* key, int64_t v, int64_t lo, int64_t hi) {
      if (v < lo || v > hi) {
        throw tributary::FatalError("setting '" + std::string(key) + "' must be between " + std::to_string(lo) +
                                    " and " + std::to_string(hi) + ", got " + std::to_string(v));
      }
    };
    range("records", records, 0, kMaxRecords);
    range("page_size", pageSize, 1, 100000);
    range("same_timestamp", sameTimestamp, 1, 1000);
    range("generation", generation, 0, 1000);
    range("fail_at_page", failAtPage, 0, INT32_MAX);
    range("crash_at_page", crashAtPage, 0, INT32_MAX);
    range("latency_ms", latencyMs, 0, 600000);
    auto oneOf = [](const char* key, const std::string& v, std::initializer_list<const char*> ok) {
      for (const char* o : ok) {
        if (v == o) return;
      }
      std::string list;
      for (const char* o : ok) list += std::string(list.empty() ? "" : ", ") + "'" + o + "'";
      throw tributary::FatalError("setting '" + std::string(key) + "' must be one of " + list + ", got '" + v + "'");
    };
    oneOf("fail_mode", failMode, {"retry", "fatal", "wait"});
    oneOf("crash_mode", crashMode, {"abort", "segfault"});
    oneOf("check_fail", checkFail, {"", "retry", "fatal"});
    oneOf("order", order, {"modified", "id"});
  }
};

class ExampleConnector : public tributary::Connector {
 public:
  explicit ExampleConnector(const tributary::Host& host) : Connector(host), s_(host) {}

  static tributary::ConnectorInfo describe() {
    using tributary::ConfigType;
    tributary::ConnectorInfo info{
        "tributary.example", "1.0.0", "Deterministic demo data from a seed; no credentials needed", {}, {}};
    for (const StreamSpec& s : kStreams) {
      info.stream({s.name, "id", "updatedAt", s.entity, s.description});
    }
    auto setting = [&](const char* key, ConfigType type, const char* def, const char* doc) {
      info.setting({key, type, false, def ? std::optional<std::string>(def) : std::nullopt, false, doc});
    };
    setting("seed", ConfigType::Integer, "42", "Seed of all generated data");
    setting("records", ConfigType::Integer, "1000", "Records per stream (at most 10,000,000)");
    setting("page_size", ConfigType::Integer, "100", "Records per page; a checkpoint follows each page");
    setting("same_timestamp", ConfigType::Integer, "3", "Consecutive records sharing one modification time");
    setting("generation", ConfigType::Integer, "0", "How many rounds of changes the data has seen");
    setting("poison_ids", ConfigType::String, "", "Comma-separated ids to emit as poison records");
    setting("future_ids", ConfigType::String, "",
            "Comma-separated ids stamped 9999-12-31, as a vendor with a broken clock would send them");
    setting("fail_at_page", ConfigType::Integer, "0", "Fail at this page of each call (0: never)");
    setting("fail_mode", ConfigType::String, "retry", "How to fail: retry, fatal or wait");
    setting("fail_stream", ConfigType::String, "", "Fail only this stream (empty: any)");
    setting("crash_at_page", ConfigType::Integer, "0", "Crash the process at this page (0: never)");
    setting("crash_mode", ConfigType::String, "abort", "How to crash: abort or segfault");
    setting("latency_ms", ConfigType::Integer, "0", "Sleep per page, honouring cancellation");
    setting("check_fail", ConfigType::String, "", "Make check fail: retry or fatal (empty: pass)");
    setting("order", ConfigType::String, "modified",
            "Order of initial and incremental syncs: modified, or id (as a vendor that filters by "
            "modified-since but pages by id)");
    setting("base_url", ConfigType::String, "", "If set, check GETs <base_url>/health through the host");
    info.setting({"api_key", ConfigType::String, false, std::nullopt, true,
                  "Demo credential; the value 'invalid' fails check with FATAL"});
    return info;
  }

  void check(tributary::Context& ctx) override {
    s_.validate();
    if (host().secret("api_key").value_or("") == "invalid") {
      throw tributary::FatalError("authentication failed: api_key was rejected; set a valid api_key");
    }
    if (s_.checkFail == "fatal") throw tributary::FatalError("check failed (setting check_fail=fatal)");
    if (s_.checkFail == "retry") throw tributary::RetryError("check failed (setting check_fail=retry)");
    if (!s_.baseUrl.empty()) {
      tributary::HttpRequest request;
      request.url = s_.baseUrl + "/health";
      tributary::HttpResponse response = ctx.http(request);
      if (response.status() >= 500 || response.status() == 429) {
        throw tributary::RetryError("GET " + request.url + " answered " + std::to_string(response.status()));
      }
      if (response.status() < 200 || response.status() >= 300) {
        throw tributary::FatalError("GET " + request.url + " answered " + std::to_string(response.status()) +
                                    "; check base_url");
      }
    }
  }

  // One function serves initial, incremental and backfill: they differ only in bounds.
  void sync(tributary::Context& ctx, const tributary::SyncRequest& request) override {
    s_.validate();
    const int streamIndex = findStream(request.stream);
    const StreamSpec& spec = kStreams[streamIndex];
    const bool initial = request.mode == tributary::SyncMode::Initial;

    Scan scan(s_, streamIndex, request);
    tributary::Record record;  // reused for every record: no allocation per record
    std::string cursor;
    int64_t page = 0, emitted = 0;

    while (!scan.atEnd()) {
      ++page;
      beforePage(ctx, request.stream, page);
      int64_t inPage = 0;
      Position last{};
      while (inPage < s_.pageSize) {
        auto next = scan.next();
        if (!next) break;
        last = *next;
        if (initial && next->state.deleted) continue;  // a full sync lists live records only
        emitRecord(ctx, spec, *next, record);
        ++inPage;
      }
      // The cursor names the last record read: a resumed call starts strictly after it.
      cursor.assign("{\"modified_at\":");
      tributary::appendInteger(cursor, last.modifiedAtMs);
      cursor.append(",\"id\":");
      tributary::appendJsonString(cursor, formatId(spec, last.index));
      cursor.push_back('}');
      ctx.checkpoint(request.stream, cursor);
      emitted += inPage;
      ctx.progress(emitted, initial && !request.hasCursor() ? s_.records : -1, "page " + std::to_string(page));
    }
    host().debug("stream '" + std::string(request.stream) + "': " + std::to_string(emitted) + " records in " +
                 std::to_string(page) + " pages");
  }

 private:
  struct Position {
    int64_t index = -1;
    int64_t modifiedAtMs = 0;
    RecordState state;
  };

  // Walks the stream in (modified_at, id) order within the request's bounds; with order: id, a
  // whole-stream initial sync walks in id order instead.
  class Scan {
   public:
    Scan(const Settings& s, int streamIndex, const tributary::SyncRequest& r)
        : s_(s), stream_(static_cast<uint64_t>(streamIndex)) {
      int64_t from = TRIBUTARY_TIME_NONE;
      if (r.sinceMs) from = *r.sinceMs;
      if (r.windowFromMs) from = std::max(from, *r.windowFromMs);
      if (r.windowToMs) to_ = *r.windowToMs;
      seek(from);
      if (!r.ids.empty()) {
        for (std::string_view id : r.ids) {
          int64_t index = parseId(streamIndex, id);
          if (index >= 0) ids_.push_back(index);
        }
        std::sort(ids_.begin(), ids_.end());
        ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
        byIds_ = true;
      }
      // With order: id, initial and incremental syncs list by id, as vendors that filter by
      // modified-since but page by id do; a backfill's window keeps time order.
      byIndex_ = s.order == "id" && r.mode != tributary::SyncMode::Backfill && !byIds_ && to_ == TRIBUTARY_TIME_MAX;
      if (byIndex_) index_ = 0;
      if (r.hasCursor()) resumeAfter(streamIndex, r.cursor);
    }

    // The next record in order, or nullopt at the end.
    std::optional<Position> next() {
      if (pending_) return std::exchange(pending_, std::nullopt);
      return advance();
    }
    bool atEnd() {
      if (!pending_) pending_ = advance();
      return !pending_;
    }

   private:
    std::optional<Position> advance() {
      if (byIds_) return nextById();
      if (byIndex_) {
        while (index_ < s_.records) {
          int64_t i = index_++;
          RecordState st = state(i);
          int64_t t = modifiedAt(st.layer, i);
          if (t < from_) continue;
          return Position{i, t, st};
        }
        return std::nullopt;
      }
      while (layer_ <= s_.generation) {
        while (index_ < s_.records) {
          int64_t i = index_++;
          RecordState st = state(i);
          if (st.layer != layer_) continue;  // its current version lives in another layer
          int64_t t = modifiedAt(layer_, i);
          if (t >= to_) return finish();
          if (t < from_) continue;
          return Position{i, t, st};
        }
        ++layer_;
        index_ = 0;
      }
      return std::nullopt;
    }

    std::optional<Position> finish() {
      layer_ = s_.generation + 1;
      return std::nullopt;
    }
    std::optional<Position> nextById() {
      while (idPos_ < ids_.size()) {
        int64_t i = ids_[idPos_++];
        if (i >= s_.records || i <= afterIndex_) continue;
        RecordState st = state(i);
        int64_t t = modifiedAt(st.layer, i);
        if (t < from_ || t >= to_) continue;
        return Position{i, t, st};
      }
      return std::nullopt;
    }
    RecordState state(int64_t i) const {
      RecordState st;
      for (int64_t g = 1; g <= s_.generation; ++g) {
        uint64_t h = hash(static_cast<uint64_t>(s_.seed), stream_, static_cast<uint64_t>(i), static_cast<uint64_t>(g));
        if (h % 50 == 1) return {g, true};  // deleted in generation g, and stays deleted
        if (h % 10 == 0) st.layer = g;
      }
      return st;
    }
    int64_t modifiedAt(int64_t layer, int64_t i) const {
      return kEpochMs + layer * kGenerationSpanMs + (i / s_.sameTimestamp) * 1000;
    }
    // Starts at the first record modified at or after `from`.
    void seek(int64_t from) {
      from_ = from;
      if (from <= kEpochMs) return;
      layer_ = std::min((from - kEpochMs) / kGenerationSpanMs, s_.generation + 1);
      int64_t offset = from - kEpochMs - layer_ * kGenerationSpanMs;
      index_ = std::min(s_.records, (offset + 999) / 1000 * s_.sameTimestamp);
    }
    // Continues strictly after the record named by a cursor from a previous checkpoint.
    void resumeAfter(int streamIndex, std::string_view cursor) {
      int64_t t = 0;
      int64_t index = -1;
      try {
        nlohmann::json j = nlohmann::json::parse(cursor);
        t = j.at("modified_at").get<int64_t>();
        index = parseId(streamIndex, j.at("id").get<std::string>());
      } catch (const std::exception& e) {
        throw tributary::FatalError("cannot resume: the cursor " + std::string(cursor) +
                                    " is not one this connector wrote (" + e.what() +
                                    "); run a full resync of stream '" + kStreams[streamIndex].name + "'");
      }
      if (index < 0)
        throw tributary::FatalError("cannot resume: the cursor's id is not a " +
                                    std::string(kStreams[streamIndex].name) + " id");
      if (byIds_) {
        afterIndex_ = index;
        return;
      }
      if (byIndex_) {
        index_ = index + 1;
        return;
      }
      int64_t layer = t < kEpochMs ? 0 : (t - kEpochMs) / kGenerationSpanMs;
      if (layer > layer_ || (layer == layer_ && index + 1 > index_)) {
        layer_ = layer;
        index_ = index + 1;
      }
    }

    const Settings& s_;
    uint64_t stream_;
    int64_t layer_ = 0, index_ = 0;
    int64_t from_ = TRIBUTARY_TIME_NONE, to_ = TRIBUTARY_TIME_MAX;
    bool byIds_ = false, byIndex_ = false;
    std::vector<int64_t> ids_;
    size_t idPos_ = 0;
    int64_t afterIndex_ = -1;
    std::optional<Position> pending_;
  };

  static int findStream(std::string_view name) {
    for (int i = 0; i < static_cast<int>(std::size(kStreams)); ++i) {
      if (name == kStreams[i].name) return i;
    }
    throw tributary::FatalError("unknown stream '" + std::string(name) +
                                "'; this connector has deals, contacts, accounts and events");
  }

  // "deal-000000042". Returns a view into a buffer reused per call.
  std::string_view formatId(const StreamSpec& spec, int64_t index) {
    int n = std::snprintf(idBuf_, sizeof idBuf_, "%s-%09lld", spec.idPrefix, static_cast<long long>(index));
    return std::string_view(idBuf_, static_cast<size_t>(n));
  }
  static int64_t parseId(int streamIndex, std::string_view id) {
    std::string_view prefix = kStreams[streamIndex].idPrefix;
    if (id.size() <= prefix.size() + 1 || id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '-') {
      return -1;
    }
    auto n = sanitize::integer(id.substr(prefix.size() + 1));
    return n && *n >= 0 ? *n : -1;
  }

  // The test knobs that act per page: latency, crash, failure.
  void beforePage(tributary::Context& ctx, std::string_view stream, int64_t page) {
    if (s_.latencyMs > 0) ctx.sleep(std::chrono::milliseconds(s_.latencyMs));
    ctx.throwIfCancelled();
    if (s_.crashAtPage == page) {
      host().error("crashing on purpose at page " + std::to_string(page) + " (crash_at_page)");
      if (s_.crashMode == "segfault") std::raise(SIGSEGV);
      std::abort();
    }
    if (s_.failAtPage == page && (s_.failStream.empty() || s_.failStream == stream)) {
      std::string why = "simulated failure at page " + std::to_string(page) + " of stream '" + std::string(stream) +
                        "' (setting fail_at_page=" + std::to_string(page) + ")";
      if (s_.failMode == "fatal") throw tributary::FatalError(why);
      if (s_.failMode == "wait") {
        int64_t now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        throw tributary::RateLimited(now + 1000, "simulated rate limit: " + why);
      }
      throw tributary::RetryError(why);
    }
  }

  // Builds the vendor's record, maps it onto the canonical entity, and emits it (or a
  // record error when it is poison).
  void emitRecord(tributary::Context& ctx, const StreamSpec& spec, const Position& p, tributary::Record& record) {
    std::string_view id = formatId(spec, p.index);
    bool poison = false;
    if (!s_.poisonIds.empty()) {
      poisonKey_.assign(id);
      poison = s_.poisonIds.count(poisonKey_) > 0;
    }
    const uint64_t h = hash(static_cast<uint64_t>(s_.seed), 1000 + (&spec - kStreams), static_cast<uint64_t>(p.index),
                            static_cast<uint64_t>(p.state.layer));
    int64_t modifiedAtMs = p.modifiedAtMs;
    if (!s_.futureIds.empty()) {
      poisonKey_.assign(id);
      if (s_.futureIds.count(poisonKey_) > 0) modifiedAtMs = kFarFutureMs;
    }
    record.reset(spec.name, id).modifiedAt(modifiedAtMs).deleted(p.state.deleted);

    // 1. The source record, as a vendor would send it. Poison records carry a value that
    //    is not of its type, exactly what real vendors occasionally do.
    char updatedAt[32];
    std::string_view updated(updatedAt, sanitize::formatTimestampTo(modifiedAtMs, updatedAt));
    if (poison && spec.idPrefix[0] != 'd') updated = "TBD";  // deals: a bad amount instead
    Vendor v = vendorValues(spec, p.index, h, poison);
    writeRaw(record.rawBuffer(), id, updated, p.state.deleted, v);

    // 2. The canonical fields, through the SDK's sanitizers. A value that is present but
    //    not of its type makes the record poison: report it with the field's name, and go on.
    const char* field = "updatedAt";
    try {
      sanitize::timestampMs(updated);
      if (!p.state.deleted) mapFields(spec, v, record, field);
    } catch (const tributary::InvalidValue& e) {
      ctx.emitRecordError(spec.name, id, std::string(field) + ": " + e.what(), record.rawJson());
      return;
    }
    ctx.emit(record);
  }

  // The vendor's field values (views into buffers of this instance).
  struct Vendor {
    std::string_view name, amount, stage, closeDate, email, first, last, website, industry, type;
    std::string_view accountId;
  };

  Vendor vendorValues(const StreamSpec& spec, int64_t index, uint64_t h, bool poison) {
    static const char* const kStages[] = {"appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"};
    static const char* const kFirst[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"};
    static const char* const kLast[] = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson"};
    static const char* const kIndustries[] = {"software", "retail", "finance", "health"};
    static const char* const kTypes[] = {"page_view", "email_open", "meeting", "call"};
    Vendor v;
    auto fmt = [](char* buf, size_t n, const char* f, auto... args) {
      int len = std::snprintf(buf, n, f, args...);
      return std::string_view(buf, static_cast<size_t>(std::max(0, std::min(len, static_cast<int>(n) - 1))));
    };
    const long long i = static_cast<long long>(index);
    using ull = unsigned long long;
    const ull g = static_cast<ull>(h >> 32);
    v.accountId = fmt(accountBuf_, sizeof accountBuf_, "account-%09lld",
                      static_cast<long long>((h >> 8) % static_cast<uint64_t>(std::max<int64_t>(s_.records, 1))));
    switch (spec.idPrefix[0]) {
      case 'd':  // deals: amounts as strings, sometimes blank; dates sometimes blank
        v.name = fmt(nameBuf_, sizeof nameBuf_, "Deal %lld (%llx)", i, g & 0xFFFF);
        v.amount = poison        ? std::string_view("TBD")
                   : h % 13 == 0 ? std::string_view("")
                                 : fmt(amountBuf_, sizeof amountBuf_, "%llu.%02llu",
                                       static_cast<ull>((h >> 16) % 100000), static_cast<ull>(h % 100));
        v.stage = kStages[(h >> 4) % 4];
        v.closeDate = h % 11 == 0 ? std::string_view("")
                                  : fmt(dateBuf_, sizeof dateBuf_, "2024-%02llu-%02lluT00:00:00Z",
                                        static_cast<ull>((h >> 12) % 12 + 1), static_cast<ull>((h >> 20) % 28 + 1));
        break;
      case 'c':  // contacts: emails with stray case and spaces, as vendors send them
        v.first = kFirst[(h >> 4) % 6];
        v.last = kLast[(h >> 8) % 6];
        v.email = fmt(emailBuf_, sizeof emailBuf_, " %s.%s%lld@Example.COM ", v.first.data(), v.last.data(), i);
        break;
      case 'a':  // accounts: a website URL; the canonical domain is derived from it
        v.name = fmt(nameBuf_, sizeof nameBuf_, "Company %lld", i);
        v.website = fmt(websiteBuf_, sizeof websiteBuf_, "https://www.company%lld.example/about", i);
        v.industry = kIndustries[(h >> 4) % 4];
        break;
      default: v.type = kTypes[(h >> 4) % 4];
    }
    return v;
  }

  static void writeRaw(std::string& out, std::string_view id, std::string_view updatedAt, bool deleted,
                       const Vendor& v) {
    auto field = [&out](const char* name, std::string_view value) {
      out += ",\"";
      out += name;
      out += "\":";
      tributary::appendJsonString(out, value);
    };
    out += "{\"id\":";
    tributary::appendJsonString(out, id);
    field("updatedAt", updatedAt);
    out += deleted ? ",\"archived\":true" : ",\"archived\":false";
    if (!v.name.empty()) field("name", v.name);
    if (!v.stage.empty()) {
      field("amount", v.amount);
      field("dealstage", v.stage);
      field("closedate", v.closeDate);
      field("pipeline", "default");
      field("account_id", v.accountId);
    }
    if (!v.email.empty()) {
      field("email", v.email);
      field("firstname", v.first);
      field("lastname", v.last);
      field("account_id", v.accountId);
    }
    if (!v.website.empty()) {
      field("website", v.website);
      field("industry", v.industry);
    }
    if (!v.type.empty()) field("type", v.type);
    out += '}';
  }

  // The mapping onto docs/canonical-model.md, in the order of its table.
  // `field` names the field being read, for the poison message.
  void mapFields(const StreamSpec& spec, const Vendor& v, tributary::Record& r, const char*& field) {
    switch (spec.idPrefix[0]) {
      case 'd':
        field = "amount";
        r.text("name", sanitize::text(v.name, 255))
            .number("amount", sanitize::number(v.amount))
            .text("stage", sanitize::text(v.stage))
            .date("close_date", sanitize::date(v.closeDate, OnInvalid::Null))
            .text("pipeline", "default")
            .text("owner_id", std::nullopt)
            .text("account_id", v.accountId);
        break;
      case 'c':
        r.text("email", sanitize::email(v.email))
            .text("first_name", sanitize::text(v.first, 255))
            .text("last_name", sanitize::text(v.last, 255))
            .text("account_id", v.accountId);
        break;
      case 'a':
        field = "website";
        r.text("name", sanitize::text(v.name, 255))
            .text("domain", sanitize::domain(v.website))
            .text("industry", sanitize::text(v.industry));
        break;
      default: break;  // no canonical entity: the raw record is all there is
    }
  }

  Settings s_;
  std::string poisonKey_;
  // Scratch buffers reused for every record.
  char idBuf_[48];
  char nameBuf_[64], amountBuf_[32], dateBuf_[32], emailBuf_[96], websiteBuf_[80], accountBuf_[32];
};

}  // namespace

TRIBUTARY_CONNECTOR(ExampleConnector)
