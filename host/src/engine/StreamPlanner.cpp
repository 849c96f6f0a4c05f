#include "engine/StreamPlanner.h"

#include <stdexcept>

#include "common/Strings.h"

namespace tributary::engine {

using sync::Mode;

StreamPlanner::StreamPlanner(sync::Requested requested, std::string jobId, std::chrono::milliseconds overlap,
                             std::chrono::milliseconds maxClockSkew)
    : requested_(requested), jobId_(std::move(jobId)), overlap_(overlap), maxClockSkew_(maxClockSkew) {}

std::vector<const plugins::StreamDescriptor*> StreamPlanner::select(
    const std::vector<plugins::StreamDescriptor>& streams, const std::vector<std::string>& names,
    const std::string& label) {
  std::vector<const plugins::StreamDescriptor*> out;
  if (names.empty()) {
    for (const auto& s : streams) out.push_back(&s);
    return out;
  }
  for (const auto& n : names) {
    const plugins::StreamDescriptor* found = nullptr;
    for (const auto& s : streams) {
      if (s.name == n) found = &s;
    }
    if (!found) {
      std::vector<std::string> known;
      for (const auto& k : streams) known.push_back(k.name);
      throw std::invalid_argument("connection " + label + " has no stream '" + n +
                                  "' (streams: " + strings::join(known, ", ") + ")");
    }
    out.push_back(found);
  }
  return out;
}

StreamPlan StreamPlanner::plan(const plugins::StreamDescriptor& stream, const StreamSnapshot& st,
                               const std::function<bool()>& targetHasLiveRows) const {
  StreamPlan p;
  p.stream = &stream;
  if (requested_ == Mode::Initial && !(st.cursorMode == Mode::Initial && st.cursorJobId == jobId_)) {
    p.mode = Mode::Initial;  // a forced full resync starts over, unless it is this job resuming
    // ... and without the carried state, which it drops as it starts: once it has started, a
    // retry of it resumes as this job with what it committed since, never the old state.
    p.dropState = true;
  } else if (st.cursorMode == Mode::Initial) {
    p.mode = Mode::Initial;
    p.resume = true;
  } else if (stream.fullRefreshOnly()) {
    // No change feed: every run reads the stream whole, and its end sweeps what it did not see.
    // An incremental checkpoint (left before the plugin declared the flag) is dropped.
    p.mode = Mode::Initial;
    if (requested_ == Mode::Incremental) {
      p.warning =
          "the stream can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH): a full refresh runs instead of "
          "the incremental sync asked for";
    }
  } else if (st.cursorMode == Mode::Incremental) {
    p.mode = Mode::Incremental;
    p.resume = true;
    p.sinceMs = st.cursorSinceMs;
  } else if (st.initialized) {
    p.mode = Mode::Incremental;
    if (st.watermarkMs && *st.watermarkMs - st.dbNowMs > maxClockSkew_.count()) {
      p.warning = "the stream's watermark (" + std::to_string(*st.watermarkMs) +
                  " ms) is further ahead of the database's clock than sync.max_clock_skew allows; it came from a "
                  "record stamped in the future, so this incremental sync reads everything, once";
    } else if (st.watermarkMs) {
      p.sinceMs = *st.watermarkMs - overlap_.count();
    }
  } else {
    p.mode = Mode::Initial;
  }
  if (p.resume) {
    p.cursor = st.cursor.value_or("");
    if (p.mode == Mode::Initial) {
      p.trackSeen = st.initialTracksSeen;
      p.seenRunId = st.initialRunId.value_or("");
    }
  } else if (p.mode == Mode::Initial) {
    p.trackSeen = targetHasLiveRows();
  }
  if (!p.dropState) p.state = st.carriedState.value_or("");
  return p;
}

StreamPlan StreamPlanner::planBackfill(const plugins::StreamDescriptor& stream,
                                       const std::optional<BackfillSnapshot>& state,
                                       const std::optional<std::string>& carriedState) const {
  StreamPlan p;
  p.stream = &stream;
  p.mode = Mode::Backfill;
  p.state = carriedState.value_or("");
  if (state) {
    p.resume = state->cursor.has_value();
    p.cursor = state->cursor.value_or("");
    p.skip = state->done;
  }
  return p;
}

std::string StreamPlanner::readWholeOnly(const plugins::StreamDescriptor& stream, const std::string& workspace,
                                         const std::string& connection) {
  return "stream '" + stream.name +
         "' can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH), not backfilled: run `tributary sync " + workspace +
         " --connection " + connection + " --streams " + stream.name + " --mode initial`";
}

Mode StreamPlanner::runMode(const std::vector<StreamPlan>& plans) const {
  if (requested_ == Mode::Backfill) return Mode::Backfill;
  for (const auto& p : plans) {
    if (p.mode == Mode::Initial) return Mode::Initial;
  }
  return Mode::Incremental;
}

}  // namespace tributary::engine
