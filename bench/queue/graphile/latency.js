// Reference pickup latency: one job at a time, enqueue to start, a worker of concurrency 1 in
// this process (as perfTest/latencyTest.js). Prints one JSON line with p50 and p99.
const { run, Logger } = require("graphile-worker");
const { Pool } = require("pg");

const samples = Number(process.argv[2] || 1000);

async function main() {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  const started = new Map();
  const waiters = new Map();
  const runner = await run({
    pgPool: pool,
    concurrency: 1,
    noHandleSignals: true,
    logger: new Logger(() => () => {}),
    taskList: {
      latency: async ({ i }) => {
        const t = process.hrtime.bigint();
        const w = waiters.get(i);
        if (w) w(t);
      },
    },
  });
  const latencies = [];
  const client = await pool.connect();
  for (let i = -100; i < samples; i++) {
    const done = new Promise((resolve) => waiters.set(i, resolve));
    const t0 = process.hrtime.bigint();
    await client.query("select graphile_worker.add_job('latency', json_build_object('i', $1::int))", [i]);
    const t1 = await done;
    if (i >= 0) latencies.push(Number(t1 - t0) / 1e6);
  }
  client.release();
  await runner.stop();
  await pool.end();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.floor(p * (latencies.length - 1))];
  console.log(JSON.stringify({ samples, pickup_p50_ms: pct(0.5), pickup_p99_ms: pct(0.99) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
