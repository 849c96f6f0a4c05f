// The reference of bench/http/run: the same pages the host's connections read, fetched with
// undici (tests/js's lockfile), LOOPS loops at once on one keep-alive pool of LOOPS
// connections. Each loop does what one fixture_http_vendor sync does: GET a page of OBJECT with
// the bearer token, parse it, follow paging.next.after until there is none.
//   node reference.mjs BASE_URL TOKEN OBJECT PAGE_SIZE LOOPS
// Prints {"pages", "seconds", "rps", "non_200"} (its own clock; run reads the simulator's log).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../tests/js/package.json"));
const { Pool } = require("undici");

const [baseUrl, token, object, pageSize, loopsArg] = process.argv.slice(2);
const loops = Number(loopsArg);
if (!baseUrl || !token || !object || !pageSize || !(loops > 0)) {
  console.error("usage: node reference.mjs BASE_URL TOKEN OBJECT PAGE_SIZE LOOPS");
  process.exit(2);
}
const base = new URL(baseUrl);
const prefix = base.pathname.replace(/\/$/, "");
const pool = new Pool(base.origin, { connections: loops, pipelining: 1 });
const headers = { authorization: `Bearer ${token}` };
let nonOk = 0;

async function readAll() {
  let after = "";
  let pages = 0;
  for (;;) {
    const target = `${prefix}/crm/v3/objects/${object}?limit=${pageSize}${after ? `&after=${after}` : ""}`;
    const { statusCode, body } = await pool.request({ path: target, method: "GET", headers });
    const page = await body.json();
    if (statusCode !== 200) {
      nonOk += 1;
      throw new Error(`GET ${target} answered ${statusCode}: ${JSON.stringify(page).slice(0, 300)}`);
    }
    pages += 1;
    after = page.paging?.next?.after ?? "";
    if (!after) return pages;
  }
}

const started = process.hrtime.bigint();
const counts = await Promise.all(Array.from({ length: loops }, readAll));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await pool.close();
const pages = counts.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ pages, seconds, rps: pages / seconds, non_200: nonOk }));
