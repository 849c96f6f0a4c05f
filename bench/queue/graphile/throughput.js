// Reference throughput: JOBS no-op jobs added up front, then PROCESSES `graphile-worker --once`
// processes run until the queue is empty; startup time (the same run on an empty queue) is
// subtracted, as perfTest/run.js does. Prints one JSON line.
const { execFileSync, spawn } = require("child_process");
const { Pool } = require("pg");
const path = require("path");

const [jobs, processes] = [Number(process.argv[2]), Number(process.argv[3])];
const cli = path.join(__dirname, "node_modules", ".bin", "graphile-worker");
const env = { ...process.env, NO_LOG_SUCCESS: "1" };

function runOnce(n) {
  const start = process.hrtime.bigint();
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise((resolve, reject) => {
        const child = spawn(cli, ["--once"], { cwd: __dirname, env, stdio: ["ignore", "ignore", "inherit"] });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`graphile-worker exited ${code}`))));
      }),
    ),
  ).then(() => Number(process.hrtime.bigint() - start) / 1e6);
}

async function main() {
  execFileSync(cli, ["--schema-only"], { cwd: __dirname, env, stdio: ["ignore", "ignore", "inherit"] });
  const startupMs = await runOnce(processes);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  await pool.query(
    `do $$ begin perform graphile_worker.add_job('noop', json_build_object('i', i)) from generate_series(1, ${jobs}) i; end $$`,
  );
  const runMs = await runOnce(processes);
  const { rows } = await pool.query("select count(*)::int as n from graphile_worker._private_jobs");
  await pool.end();
  if (rows[0].n !== 0) throw new Error(`${rows[0].n} jobs left in the queue`);
  console.log(JSON.stringify({ jobs, processes, startup_ms: startupMs, run_ms: runMs, jobs_per_s: jobs / ((runMs - startupMs) / 1000) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
