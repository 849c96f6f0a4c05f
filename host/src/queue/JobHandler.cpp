#include "queue/JobHandler.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

namespace tributary::queue {

std::string_view toString(StopReason r) {
  switch (r) {
    case StopReason::None: return "none";
    case StopReason::Cancel: return "cancel";
    case StopReason::Timeout: return "timeout";
    case StopReason::Shutdown: return "shutdown";
    case StopReason::Lost: return "lost";
  }
  return "none";
}

JobContext::JobContext(Job job, JobQueue& queue, std::string workerId)
    : job_(std::move(job)), queue_(queue), workerId_(std::move(workerId)) {}

void JobContext::requestStop(StopReason reason) {
  if (reason == StopReason::Lost) lost_ = true;
  int expected = 0;
  stop_.compare_exchange_strong(expected, static_cast<int>(reason));
}

void JobContext::reportProgress(int64_t current, int64_t total, const std::string& message, bool force) {
  std::lock_guard lock(progressMu_);
  auto now = std::chrono::steady_clock::now();
  if (!force && now - lastProgress_ < std::chrono::seconds(1)) return;
  lastProgress_ = now;
  queue_.setProgress(job_.id, Json{{"current", current}, {"total", total}, {"message", message}});
}

void HandlerRegistry::add(const std::string& kind, std::shared_ptr<JobHandler> handler) {
  handlers_[kind] = std::move(handler);
}

JobHandler* HandlerRegistry::find(const std::string& kind) const {
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> HandlerRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, _] : handlers_) out.push_back(k);
  return out;
}

void registerBuiltinKinds(HandlerRegistry& registry, bool testKinds) {
  registry.add("noop", std::make_shared<FunctionHandler>([](JobContext&) { return Outcome{}; }));
  if (!testKinds) return;
  registry.add("test.sleep", std::make_shared<FunctionHandler>([](JobContext& ctx) {
                 const int64_t ms = ctx.job().payload.value("ms", 1000);
                 const bool ignoreStop = ctx.job().payload.value("ignore_stop", false);
                 auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
                 while (std::chrono::steady_clock::now() < until) {
                   if (!ignoreStop && ctx.stopRequested())
                     return Outcome{Outcome::Kind::Cancelled, "stopped", {}, {}, {}};
                   std::this_thread::sleep_for(std::chrono::milliseconds(10));
                 }
                 return Outcome{Outcome::Kind::Completed, "", Json{{"slept_ms", ms}}, {}, {}};
               }));
  registry.add("test.fail", std::make_shared<FunctionHandler>([](JobContext& ctx) {
                 const auto& p = ctx.job().payload;
                 const std::string mode = p.value("mode", "retry");
                 Outcome o;
                 o.error = p.value("message", "test failure");
                 if (mode == "fatal") {
                   o.kind = Outcome::Kind::Fatal;
                 } else if (mode == "wait") {
                   o.kind = Outcome::Kind::Wait;
                   o.until = Clock::now() + std::chrono::milliseconds(p.value("wait_ms", 1000));
                   o.waitReason = p.value("reason", "rate_limit");
                 } else if (mode == "throw") {
                   throw std::runtime_error(o.error);
                 } else {
                   o.kind = Outcome::Kind::Retry;
                 }
                 return o;
               }));
  // Records each run in test_job_runs (which the test creates), to count runs per job.
  registry.add("test.record", std::make_shared<FunctionHandler>([](JobContext& ctx) {
                 auto conn = ctx.pool().acquire();
                 conn->exec("INSERT INTO test_job_runs (job_id, worker_id) VALUES ($1::uuid, $2)", ctx.job().id,
                            ctx.workerId());
                 return Outcome{};
               }));
  // Allocates and touches {mb} MiB, for the memory cap. With {uncaught: true} it allocates on a
  // thread of its own, where std::bad_alloc cannot be caught (as in a plugin's own thread), so
  // that an allocation refused under RLIMIT_AS ends the process.
  registry.add("test.alloc", std::make_shared<FunctionHandler>([](JobContext& ctx) {
                 const size_t mb = ctx.job().payload.value("mb", 64);
                 auto touch = [mb] {
                   std::vector<char> block(mb * 1024 * 1024);
                   for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
                 };
                 if (ctx.job().payload.value("uncaught", false)) {
                   std::thread(touch).join();
                 } else {
                   touch();
                 }
                 return Outcome{Outcome::Kind::Completed, "", Json{{"allocated_mb", mb}}, {}, {}};
               }));
  registry.add("test.crash", std::make_shared<FunctionHandler>([](JobContext& ctx) -> Outcome {
                 ctx.setExecutor(Json{{"plugin", "test.crash"}, {"version", "1"}});
                 ::raise(ctx.job().payload.value("signal", SIGSEGV));
                 std::this_thread::sleep_for(std::chrono::seconds(10));
                 return Outcome{};
               }));
}

}  // namespace tributary::queue
