// The seeds' write path, as the reference of bench/ingest: records upserted in batches of 500
// rows, one INSERT ... ON CONFLICT DO UPDATE per batch, each batch in its own transaction, from
// Node's `pg`, into an empty twin of the deals table. Reads the rows from a JSON-lines file.
// Prints one JSON line: {"rows", "seconds", "seed_rps"}.
const { Client } = require("pg");
const fs = require("fs");
const readline = require("readline");

const [file, table] = process.argv.slice(2);
const cols = ["workspace_id", "source", "source_id", "connection_id", "stream", "name", "amount", "stage",
  "close_date", "pipeline", "owner_id", "account_id", "raw", "raw_hash", "source_modified_at", "deleted_at"];
const updates = cols.filter((c) => !["workspace_id", "source", "source_id"].includes(c))
  .map((c) => `${c} = EXCLUDED.${c}`).join(", ");

async function flush(client, rows) {
  const values = [];
  const tuples = rows.map((r, i) => {
    cols.forEach((c) => values.push(c === "raw" ? JSON.stringify(r[c]) : r[c]));
    return "(" + cols.map((_, j) => `$${i * cols.length + j + 1}`).join(", ") + ")";
  });
  await client.query("BEGIN");
  await client.query(
    `INSERT INTO ${table} (${cols.join(", ")}) VALUES ${tuples.join(", ")}` +
      ` ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET ${updates}, updated_at = now()`,
    values,
  );
  await client.query("COMMIT");
}

async function main() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let batch = [];
  let rows = 0;
  const start = process.hrtime.bigint();
  for await (const line of lines) {
    if (!line) continue;
    batch.push(JSON.parse(line));
    if (batch.length === 500) {
      await flush(client, batch);
      rows += batch.length;
      batch = [];
    }
  }
  if (batch.length) {
    await flush(client, batch);
    rows += batch.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await client.end();
  console.log(JSON.stringify({ rows, seconds, seed_rps: rows / seconds }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
