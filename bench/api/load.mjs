// One fixed-rate round of bench/api/run: autocannon at -R RATE over CONNECTIONS keep-alive
// connections for DURATION s, the path rotating over PATHS_FILE's lines (one per request, so
// that no POST meets a 409). Prints {route, rate, p50, p99, requests, status} as JSON.
//   node load.mjs NAME URL METHOD PATHS_FILE TOKEN RATE CONNECTIONS DURATION
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../tests/js/package.json'));
const autocannon = require('autocannon');
const [name, url, method, pathsFile, token, rate, connections, duration] = process.argv.slice(2);
const paths = readFileSync(pathsFile, 'utf8').split('\n').filter(Boolean);
let next = 0;
const result = await autocannon({
  url,
  method,
  connections: Number(connections),
  overallRate: Number(rate),
  duration: Number(duration),
  headers: { authorization: `Bearer ${token}` },
  requests: [
    {
      setupRequest: (req) => {
        req.path = paths[next++ % paths.length];
        return req;
      },
    },
  ],
});
const status = {};
for (const [code, v] of Object.entries(result.statusCodeStats || {})) status[code] = v.count;
console.log(
  JSON.stringify({
    route: name,
    rate: Math.round((result.requests.total / Number(duration)) * 10) / 10,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    status,
  }),
);
