#include "engine/EngineServices.h"

#include "common/Json.h"
#include "common/Strings.h"
#include "db/DbError.h"
#include "engine/FlatJson.h"
#include "engine/FollowUps.h"
#include "engine/RunStatistics.h"
#include "http/HttpResponse.h"

namespace tributary::engine {

using plugins::ResultCode;
using plugins::RunStopped;

EngineServices::EngineServices(std::string stream, RecordSink* sink, CallCounters& counters,
                               std::function<bool()> cancelled, Progress progress, RunExtras extras)
    : plugins::RunServices(extras.http),
      stream_(std::move(stream)),
      sink_(sink),
      counters_(counters),
      cancelled_(std::move(cancelled)),
      progress_(std::move(progress)),
      extras_(extras) {}

void EngineServices::requireSink(const char* fn) const {
  if (!sink_) throw RunStopped(ResultCode::Fatal, std::string(fn) + " called outside a sync call (in check)");
}

template <typename F>
void EngineServices::guard(F&& f) {
  try {
    f();
  } catch (const db::DbError& e) {
    dbError_ = e.what();
    throw RunStopped(ResultCode::Retry, "database error while writing stream " + stream_ + ": " + e.what());
  }
}

void EngineServices::emitRecord(const plugins::RecordView& r) {
  requireSink("emit_record");
  if (r.stream != stream_) {
    throw RunStopped(ResultCode::Fatal, "the plugin emitted a record for stream '" + std::string(r.stream) +
                                            "' during a call for stream '" + stream_ + "'");
  }
  guard([&] { sink_->add(r); });
}

void EngineServices::emitRecordError(const plugins::RecordErrorView& e) {
  requireSink("emit_record_error");
  guard([&] { sink_->addError(e.sourceId, "transform", e.message, e.rawJson); });
}

void EngineServices::commitCheckpoint(std::string_view stream, std::string_view cursor) {
  requireSink("commit_checkpoint");
  if (stream != stream_) {
    throw RunStopped(ResultCode::Fatal, "the plugin committed a checkpoint for stream '" + std::string(stream) +
                                            "' during a call for '" + stream_ + "'");
  }
  ++counters_.pages;
  guard([&] { sink_->checkpoint(cursor); });
}

namespace {

// Longer ids than this are no vendor's: the key of record_links (a btree entry) must stay small.
constexpr size_t kMaxLinkIdBytes = 1024;

std::string quotedId(std::string_view s) {
  std::string q = "'" + strings::validUtf8(s.substr(0, 80));
  if (s.size() > 80) q += "...";
  return q + "'";
}

}  // namespace

void EngineServices::emitLink(const plugins::LinkView& l) {
  requireSink("emit_link");
  if (l.stream != stream_) {
    throw RunStopped(ResultCode::Fatal, "emit_link: the plugin emitted a link for stream " + quotedId(l.stream) +
                                            " during a call for stream '" + stream_ + "'");
  }
  const plugins::LinkTypeDescriptor* type = nullptr;
  std::string declared;
  if (extras_.linkTypes) {
    for (const auto& t : *extras_.linkTypes) {
      if (t.name == l.type) type = &t;
      declared += (declared.empty() ? "" : ", ") + t.name;
    }
  }
  if (!type) {
    throw RunStopped(ResultCode::Fatal, "emit_link: unknown link type " + quotedId(l.type) +
                                            " (declared: " + (declared.empty() ? "none" : declared) + ")");
  }
  const std::string what =
      "emit_link: link '" + type->name + "' from " + quotedId(l.fromId) + " to " + quotedId(l.toId);
  for (auto [field, id] : {std::pair{"from_id", l.fromId}, std::pair{"to_id", l.toId}}) {
    if (!validText(id)) {
      throw RunStopped(ResultCode::Fatal,
                       what + " has a " + field + " that is not valid UTF-8 (or holds a NUL byte); fix the plugin");
    }
    if (id.size() > kMaxLinkIdBytes) {
      throw RunStopped(ResultCode::Fatal, what + " has a " + field + " of " + std::to_string(id.size()) +
                                              " bytes (at most " + std::to_string(kMaxLinkIdBytes) + ")");
    }
  }
  guard([&] { sink_->addLink(*type, l); });
}

void EngineServices::reportProgress(int64_t current, int64_t total, std::string_view message) {
  if (progress_) progress_(current, total, message);
}

bool EngineServices::isCancelled() { return cancelled_ && cancelled_(); }

http::HttpResponse EngineServices::httpRequest(const http::HttpRequest& request) {
  // The vendor client counts into the run's counters itself.
  if (vendorClient()) return plugins::RunServices::httpRequest(request);
  ++counters_.http.calls;
  auto r = send(request);
  if (r.status == 429) ++counters_.http.http429s;
  return r;
}

void EngineServices::setStreamState(std::string_view stream, std::string_view stateJson) {
  if (!sink_) throw plugins::NotAvailable();  // in check: no stream to set it for
  if (stream != stream_) {
    throw RunStopped(ResultCode::Fatal, "set_stream_state for stream '" + strings::validUtf8(stream) +
                                            "' during a call for stream '" + stream_ +
                                            "': a call sets only its own stream's state");
  }
  if (extras_.backfill) {
    throw RunStopped(ResultCode::Fatal, "set_stream_state: a backfill cannot move the carried state of stream '" +
                                            stream_ +
                                            "' (it gets it to read in state_json; initial and incremental runs "
                                            "set it)");
  }
  // The trampoline checked it is JSON text. A JSON null clears the state: staged as "null".
  staged_ = Json::parse(stateJson).is_null() ? std::string("null") : std::string(stateJson);
  guard([&] { sink_->stageState(*staged_); });
}

void EngineServices::requestFollowUp(const plugins::FollowUpView& followUp) {
  if (!extras_.followUps) throw plugins::NotAvailable();
  extras_.followUps->request(followUp);
}

void EngineServices::addRunCounter(std::string_view name, int64_t delta) {
  if (!extras_.statistics) throw plugins::NotAvailable();
  extras_.statistics->add(name, delta);
}

void EngineServices::setRunFact(std::string_view name, std::string_view valueJson) {
  if (!extras_.statistics) throw plugins::NotAvailable();
  extras_.statistics->set(name, valueJson);
}

http::HttpResponse EngineServices::send(const http::HttpRequest& request) {
  return plugins::RunServices::httpRequest(request);
}

}  // namespace tributary::engine
