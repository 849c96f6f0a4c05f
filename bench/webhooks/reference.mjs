// bench/webhooks' reference: a plain Node HTTP client posting the same bodies to the same
// receivers, CONCURRENCY requests in flight over keep-alive sockets, a failed POST sent again at
// once; nothing durable, no signing. Prints one JSON line: deliveries/s and its peak RSS.
//
// node reference.mjs DELIVERIES_TSV CONCURRENCY   (lines: port \t webhook-id \t body)
import http from 'node:http';
import fs from 'node:fs';

const [file, concurrency] = [process.argv[2], Number(process.argv[3])];
const items = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const [port, id, ...rest] = l.split('\t');
    return { port: Number(port), id, body: rest.join('\t') };
  });
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const post = (it) =>
  new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: it.port, method: 'POST', path: '/hook', agent,
        headers: { 'Content-Type': 'application/json', 'webhook-id': it.id, 'Content-Length': Buffer.byteLength(it.body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(it.body);
  });

let next = 0;
let attempts = 0;
const t0 = performance.now();
async function lane() {
  while (next < items.length) {
    const it = items[next++];
    for (;;) {
      attempts++;
      const status = await post(it);
      if (status >= 200 && status < 300) break;
    }
  }
}
await Promise.all([...Array(concurrency)].map(lane));
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
agent.destroy();
console.log(JSON.stringify({ deliveries: items.length, attempts, seconds: Math.round(seconds * 100) / 100,
  deliveries_per_s: Math.round(items.length / seconds), peak_rss_mb: Math.round(peakRss / 1048576) }));
