// bench/redact: what redact::text costs on a log line, against std::regex doing the query
// parameters alone (the reference). Prints one JSON line; bench/redact/run builds and runs it.
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "common/Redact.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F>
double nsPerLine(const std::vector<std::string>& lines, int rounds, F f) {
  size_t sink = 0;
  const auto start = Clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (const auto& l : lines) sink += f(l).size();
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 42) std::puts("");  // keeps the work
  return ns / (static_cast<double>(lines.size()) * rounds);
}

}  // namespace

int main() {
  // Typical lines: a job's failure, an HTTP wait, a plugin's progress; about 120 bytes each.
  const std::vector<std::string> clean = {
      "job 3f2a9c1e-8d7b-4e55-a0f1-2b6c9d8e7f10 (sync) failed attempt 1/5: GET https://api.hubapi.com/crm/v3/objects/"
      "deals?limit=100&after=12345 answered 502",
      "[acme/hubspot] waiting 1200 ms: rate limit of class 'rest' (190 per 10s, headroom 0.9)",
      "[acme/hubspot] stream deals: 4000 of 10000 records, page 40, cursor 2024-01-02T03:04:05Z",
      "worker worker-2 claimed 3 jobs (sync, sync, discover) on host h1:4242:boot-7 in 3.2 ms"};
  std::vector<std::string> dirty = clean;
  dirty[0] += " ?access_token=ya29.a0AfH6SMBx&state=abc";
  dirty[1] += " Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig";

  const int rounds = 50000;
  const double none = nsPerLine(clean, rounds, [](const std::string& s) { return redact::text(s); });
  for (int i = 0; i < 100; ++i) redact::remember("remembered-secret-value-" + std::to_string(i));
  const double clean100 = nsPerLine(clean, rounds, [](const std::string& s) { return redact::text(s); });
  const double dirty100 = nsPerLine(dirty, rounds, [](const std::string& s) { return redact::text(s); });
  for (int i = 100; i < 4000; ++i) redact::remember("remembered-secret-value-" + std::to_string(i));
  const double clean4000 = nsPerLine(clean, rounds, [](const std::string& s) { return redact::text(s); });
  const std::regex params(
      "(access_token|refresh_token|id_token|client_secret|password|api_key|apikey|hapikey|token)=[^&\\s\"']*",
      std::regex::icase);
  const double regex = nsPerLine(clean, rounds / 10,
                                 [&](const std::string& s) { return std::regex_replace(s, params, "$1=[redacted]"); });
  std::printf(
      "{\"ns_per_clean_line\": %.0f, \"ns_per_clean_line_100_remembered\": %.0f, \"ns_per_dirty_line_100_remembered\": "
      "%.0f, \"ns_per_clean_line_4000_remembered\": %.0f, \"regex_params_only_ns_per_line\": %.0f, "
      "\"ratio_dirty_vs_regex\": %.3f, \"ratio_4000_vs_none_remembered\": %.2f}\n",
      none, clean100, dirty100, clean4000, regex, dirty100 / regex, clean4000 / none);
  return 0;
}
