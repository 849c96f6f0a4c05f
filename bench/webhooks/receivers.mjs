// bench/webhooks: N webhook receivers on 127.0.0.1 (ports base..base+N-1) and a control port
// (base+N). Receiver N-1 answers every other request 500 ("fails half the time"); the others
// answer 200. Each 2xx receipt is counted once per webhook-id (a second one is a duplicate) and
// its latency is the receipt time minus the event's commit time (the body's "timestamp", which
// is the event's created_at). Control: GET /stats gives the figures since the last POST /reset.
//
// node receivers.mjs BASE_PORT COUNT READY_FILE
import http from 'node:http';
import fs from 'node:fs';

const [base, count, ready] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
let state;
const reset = () => {
  state = { ok: 0, healthyOk: 0, healthyLast: 0, failedOnPurpose: 0, duplicates: 0, seen: new Set(), latencies: [], healthyLatencies: [], first: 0, last: 0 };
};
reset();
let flakyToggle = 0;

function receiver(index) {
  const flaky = index === count - 1;
  return http.createServer({ keepAliveTimeout: 30000 }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      if (flaky && flakyToggle++ % 2 === 0) {
        state.failedOnPurpose++;
        res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":"on purpose"}');
        return;
      }
      const id = `${index}:${req.headers['webhook-id']}`;
      if (state.seen.has(id)) state.duplicates++;
      else {
        state.seen.add(id);
        state.ok++;
        if (!flaky) {
          state.healthyOk++;
          state.healthyLast = now;
        }
        let ts = NaN;
        try {
          ts = Date.parse(JSON.parse(Buffer.concat(chunks).toString()).timestamp);
        } catch {}
        if (!Number.isNaN(ts)) {
          state.latencies.push(now - ts);
          if (!flaky) state.healthyLatencies.push(now - ts);
        }
      }
      if (!state.first) state.first = now;
      state.last = now;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
}

const pct = (a, p) => {
  if (!a.length) return null;
  const s = Float64Array.from(a).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const control = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/reset') {
    reset();
    res.end('{}');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(
    JSON.stringify({
      ok: state.ok,
      healthy_ok: state.healthyOk,
      healthy_last_ms: state.healthyLast,
      failed_on_purpose: state.failedOnPurpose,
      duplicates: state.duplicates,
      first_ms: state.first,
      last_ms: state.last,
      p50_ms: pct(state.healthyLatencies, 50),
      p99_ms: pct(state.healthyLatencies, 99),
      max_ms: state.healthyLatencies.length ? Math.max(...state.healthyLatencies) : null,
      all_p99_ms: pct(state.latencies, 99),
    }),
  );
});

const servers = [...Array(count).keys()].map(receiver);
let listening = 0;
const up = () => {
  if (++listening === count + 1) fs.writeFileSync(ready, String(process.pid));
};
servers.forEach((s, i) => s.listen(base + i, '127.0.0.1', up));
control.listen(base + count, '127.0.0.1', up);
process.on('SIGTERM', () => process.exit(0));
