// Fidelity: the official jsforce client queries a whole simulated org with queryMore paging,
// reads deletions through queryAll, and runs a Bulk API 2.0 query job to completion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsforce from 'jsforce';
import { startSimulator, admin } from '../lib/simulator.mjs';
import { date, digest, numeric, text, truncated } from '../lib/canonical.mjs';

const SCENARIO = `
seed: 11
clock: {start: "2024-06-01T00:00:00Z"}
vendors:
  salesforce:
    objects: {Opportunity: 2345, Contact: 300, Account: 150}
    dirty_rate: 0.2
    poison_rate: 0.02
    bulk: {polls_to_complete: 3}
`;

let sim, conn, adminUrl, baseUrl;

before(async () => {
  sim = await startSimulator(SCENARIO);
  const vendor = sim.ready.vendors.salesforce;
  adminUrl = vendor.admin_url;
  baseUrl = vendor.base_url;
  conn = new jsforce.Connection({ instanceUrl: vendor.instance_url, accessToken: 'salesforce-test-token', version: '60.0' });
  await admin(`${adminUrl}/clock/advance`, 'POST', { seconds: 7200 });
  await admin(`${adminUrl}/records/Opportunity`, 'POST', { count: 30 });
  await admin(`${adminUrl}/records/Opportunity/modify`, 'POST', { count: 50, seed: 5 });
  await admin(`${adminUrl}/clock/advance`, 'POST', { seconds: 60 });
  await admin(`${adminUrl}/records/Opportunity/delete`, 'POST', { count: 12, seed: 6 });
});

after(async () => { await sim?.stop(); });

const SOQL = 'SELECT Id, Name, Amount, StageName, CloseDate, OwnerId, AccountId, SystemModstamp FROM Opportunity';

function canonicalDeal(r) {
  const amount = numeric(r.Amount);
  return { invalid: amount.invalid, hash: digest([truncated(r.Name), amount.value, text(r.StageName), date(r.CloseDate), null, text(r.OwnerId), text(r.AccountId)]) };
}

test('query with queryMore returns every live Opportunity, matching ground truth', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=Opportunity`);
  const result = await conn.query(SOQL).run({ autoFetch: true, maxFetch: 1000000 });
  assert.equal(result.records.length, result.totalSize);
  assert.ok(result.totalSize > 2000, 'more than one page, so queryMore ran');
  const byId = new Map(result.records.map((r) => [r.Id, r]));
  const poison = new Set(truth.errors);
  for (const row of truth.rows.filter((r) => !r.deleted)) {
    const record = byId.get(row.id);
    assert.ok(record, `Opportunity ${row.id} is returned`);
    assert.equal(Date.parse(record.SystemModstamp.replace('+0000', 'Z')), Date.parse(row.modified_at));
    const canonical = canonicalDeal(record);
    assert.equal(canonical.invalid, false);
    assert.equal(canonical.hash, row.hash, `digest of ${row.id}`);
  }
  const livePoison = result.records.filter((r) => poison.has(r.Id));
  for (const record of livePoison) assert.equal(canonicalDeal(record).invalid, true);
  assert.equal(result.records.length, truth.rows.filter((r) => !r.deleted).length + livePoison.length);
  const requests = await admin(`${adminUrl}/requests?path_prefix=/services/data/v60.0/query/`);
  assert.equal(requests.requests.length, 1, 'one queryMore call for 2,363 rows at 2,000 per page');
});

test('queryAll returns exactly the deleted Opportunities with IsDeleted = true', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=Opportunity`);
  const result = await conn.query('SELECT Id, IsDeleted FROM Opportunity WHERE IsDeleted = true').scanAll(true).run({ autoFetch: true });
  const calls = await admin(`${adminUrl}/requests?path_prefix=/services/data/v60.0/queryAll`);
  assert.equal(calls.requests.length, 1, 'jsforce called the queryAll resource');
  const poison = new Set(truth.errors);
  const got = result.records.map((r) => r.Id).filter((id) => !poison.has(id)).sort();
  const expected = truth.rows.filter((r) => r.deleted).map((r) => r.id).sort();
  assert.deepEqual(got, expected);
  assert.ok(expected.length > 0);
  for (const r of result.records) assert.equal(r.IsDeleted, true);
});

test('an incremental query by SystemModstamp returns what changed, in order', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=Opportunity`);
  const watermark = '2024-06-01T00:30:00Z';
  const result = await conn.query(`SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp > ${watermark} ORDER BY SystemModstamp ASC`).run({ autoFetch: true, maxFetch: 100000 });
  const poison = new Set(truth.errors);
  const expected = truth.rows.filter((r) => !r.deleted && Date.parse(r.modified_at) > Date.parse(watermark)).map((r) => r.id).sort();
  assert.deepEqual(result.records.map((r) => r.Id).filter((id) => !poison.has(id)).sort(), expected);
  assert.ok(expected.length >= 50);
  const times = result.records.map((r) => Date.parse(r.SystemModstamp.replace('+0000', 'Z')));
  for (let i = 1; i < times.length; i += 1) assert.ok(times[i - 1] <= times[i]);
});

test('a malformed query is refused with MALFORMED_QUERY', async () => {
  await assert.rejects(conn.query('SELECT Id FORM Opportunity'), (error) => error.errorCode === 'MALFORMED_QUERY');
});

// jsforce 3.10 pipes every results page into one CSV parser and starts the next request before
// the previous body has drained, so pages interleave (and each page's header row becomes a
// record). That is a client race, not a wire difference: keep the whole result in one page here,
// as Salesforce's default page size does for this size; e2e tests cover locator paging.
test('a Bulk API 2.0 query job completes and its CSV covers every live record', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=Opportunity`);
  const stream = await conn.bulk2.query('SELECT Id, Name, SystemModstamp FROM Opportunity', { pollInterval: 20, pollTimeout: 10000 });
  const records = await stream.toArray();
  const poison = new Set(truth.errors);
  const expected = truth.rows.filter((r) => !r.deleted).map((r) => r.id).sort();
  assert.deepEqual(records.map((r) => r.Id).filter((id) => !poison.has(id)).sort(), expected);
  const results = await admin(`${adminUrl}/requests?path_prefix=/services/data/v60.0/jobs/query/`);
  const resultPages = results.requests.filter((r) => r.path.endsWith('/results'));
  assert.equal(resultPages.length, 1, 'one results page, ended by Sforce-Locator: null');
  assert.ok(results.requests.filter((r) => !r.path.endsWith('/results') && r.method === 'GET').length >= 3, 'the job was polled through its states');
});
