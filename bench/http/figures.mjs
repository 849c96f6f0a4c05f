// The figures of bench/http/run, from the simulator's request log (GET {vendor}/admin/requests:
// {"requests": [{time_ms, status, ...}]}), so that the host and the reference are timed by the
// same clock, from their first request to their last.
//   node figures.mjs rate LOG.json
//     {"requests", "ok", "n429", "seconds", "rps"}: rps = requests / (last time_ms - first time_ms)
//   node figures.mjs budget LOG.json EFFECTIVE WINDOW_MS
//     the full windows of WINDOW_MS from the first request on (the steady part: the last, partial
//     window is left out): {"requests", "n429", "windows": [count...], "per_window", "budget_use"
//     (per_window / EFFECTIVE), "max_any_window" (the most requests in any WINDOW_MS, sliding)}
import fs from "node:fs";

const [what, file, ...rest] = process.argv.slice(2);
const log = JSON.parse(fs.readFileSync(file, "utf8")).requests ?? [];
const times = log.map((r) => Number(r.time_ms)).sort((a, b) => a - b);
const n429 = log.filter((r) => r.status === 429).length;
const ok = log.filter((r) => r.status >= 200 && r.status < 300).length;
if (times.length < 2) {
  console.error(`figures: ${file} holds ${times.length} requests; the run sent none through`);
  process.exit(1);
}
const first = times[0];
const last = times[times.length - 1];

if (what === "rate") {
  const seconds = Math.max(last - first, 1) / 1000;
  console.log(JSON.stringify({ requests: times.length, ok, n429, seconds, rps: times.length / seconds }));
} else if (what === "budget") {
  const effective = Number(rest[0]);
  const windowMs = Number(rest[1]);
  const full = Math.floor((last - first) / windowMs);
  if (full < 1) {
    console.error(`figures: ${file} spans ${last - first} ms, less than one ${windowMs} ms window`);
    process.exit(1);
  }
  const windows = Array.from({ length: full }, (_, k) => {
    const from = first + k * windowMs;
    return times.filter((t) => t >= from && t < from + windowMs).length;
  });
  let maxAny = 0;
  for (let i = 0, j = 0; i < times.length; ++i) {
    while (times[i] - times[j] >= windowMs) ++j;
    maxAny = Math.max(maxAny, i - j + 1);
  }
  const perWindow = windows.reduce((a, b) => a + b, 0) / windows.length;
  console.log(
    JSON.stringify({
      requests: times.length,
      ok,
      n429,
      seconds: (last - first) / 1000,
      windows,
      per_window: perWindow,
      budget_use: perWindow / effective,
      max_any_window: maxAny,
    }),
  );
} else {
  console.error("usage: node figures.mjs rate LOG.json | budget LOG.json EFFECTIVE WINDOW_MS");
  process.exit(2);
}
