// Fidelity: the official @hubspot/api-client pages through a whole simulated dataset, runs a
// filtered and sorted search to the end, and reads associations in batches. Whatever it
// rejects is a simulator bug.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import hubspot from '@hubspot/api-client';
import { startSimulator, admin } from '../lib/simulator.mjs';
import { date, digest, numeric, text, truncated } from '../lib/canonical.mjs';

const SCENARIO = `
seed: 7
clock: {start: "2024-06-01T00:00:00Z"}
vendors:
  hubspot:
    objects: {deals: 1234, contacts: 310, companies: 120}
    dirty_rate: 0.2
    poison_rate: 0.02
    search: {indexing_lag_ms: 0}
    rate_limits: {app: {max: 100000, window_ms: 10000}, search: {max: 1000, window_ms: 1000}}
`;

let sim, client, adminUrl;

before(async () => {
  sim = await startSimulator(SCENARIO);
  const vendor = sim.ready.vendors.hubspot;
  adminUrl = vendor.admin_url;
  client = new hubspot.Client({ accessToken: 'hubspot-test-token', basePath: vendor.base_url });
  // History in simulated time: creations, modifications and deletions after the initial load.
  await admin(`${adminUrl}/clock/advance`, 'POST', { seconds: 3600 });
  await admin(`${adminUrl}/records/deals`, 'POST', { count: 25 });
  await admin(`${adminUrl}/records/deals/modify`, 'POST', { count: 40, seed: 3 });
  await admin(`${adminUrl}/clock/advance`, 'POST', { seconds: 60 });
  await admin(`${adminUrl}/records/deals/delete`, 'POST', { count: 15, seed: 4 });
});

after(async () => { await sim?.stop(); });

const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'closedate', 'pipeline', 'hubspot_owner_id'];

test('getAll pages through every live deal, and the ground truth agrees field by field', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=deals`);
  const deals = await client.crm.deals.getAll(100, undefined, DEAL_PROPERTIES);
  const byId = new Map(deals.map((d) => [d.id, d]));
  assert.equal(byId.size, deals.length, 'no deal is listed twice');
  const poison = new Set(truth.errors);
  const live = truth.rows.filter((r) => !r.deleted);
  const livePoison = deals.filter((d) => poison.has(d.id));
  assert.equal(deals.length, live.length + livePoison.length);
  let checked = 0;
  for (const row of live) {
    const deal = byId.get(row.id);
    assert.ok(deal, `deal ${row.id} is listed`);
    assert.equal(deal.updatedAt.getTime(), Date.parse(row.modified_at), `updatedAt of ${row.id}`);
    const p = deal.properties;
    const amount = numeric(p.amount);
    assert.equal(amount.invalid, false, `deal ${row.id} has a numeric amount`);
    const fields = [truncated(p.dealname), amount.value, text(p.dealstage), date(p.closedate),
      text(p.pipeline), text(p.hubspot_owner_id), null];
    assert.equal(digest(fields), row.hash, `canonical digest of deal ${row.id}`);
    checked += 1;
  }
  assert.ok(checked > 1000);
  for (const deal of livePoison) {
    assert.equal(numeric(deal.properties.amount).invalid, true, `poison deal ${deal.id} has a non-numeric amount`);
  }
});

test('archived=true lists exactly the deleted deals', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=deals`);
  const archived = await client.crm.deals.getAll(100, undefined, ['dealname'], undefined, undefined, true);
  const poison = new Set(truth.errors);
  const expected = truth.rows.filter((r) => r.deleted).map((r) => r.id).sort();
  const got = archived.filter((d) => !poison.has(d.id)).map((d) => d.id).sort();
  assert.deepEqual(got, expected);
  assert.ok(expected.length > 0);
  for (const deal of archived) assert.equal(deal.archived, true);
});

test('contacts and companies list completely', async () => {
  for (const [name, api] of [['contacts', client.crm.contacts], ['companies', client.crm.companies]]) {
    const truth = await admin(`${adminUrl}/ground-truth?object=${name}`);
    const all = await api.getAll(100);
    assert.equal(all.length, truth.rows.length + truth.errors.length, `${name} count`);
  }
});

test('search with a GTE filter and an ascending sort pages to the end in order', async () => {
  const truth = await admin(`${adminUrl}/ground-truth?object=deals`);
  const watermark = Date.parse('2024-03-01T00:00:00Z');
  const seen = [];
  let after = '0';
  let total = -1;
  do {
    const page = await client.crm.deals.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(watermark) }] }],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['dealname', 'hs_lastmodifieddate'],
      limit: 100,
      after,
    });
    total = page.total;
    seen.push(...page.results);
    after = page.paging?.next?.after;
  } while (after);
  const expected = truth.rows.filter((r) => !r.deleted && Date.parse(r.modified_at) >= watermark).map((r) => r.id);
  const poisonLive = seen.filter((r) => truth.errors.includes(r.id)).length;
  assert.equal(seen.length, total);
  assert.equal(seen.length, expected.length + poisonLive);
  assert.deepEqual(new Set(seen.map((r) => r.id)), new Set([...expected, ...seen.filter((r) => truth.errors.includes(r.id)).map((r) => r.id)]));
  for (let i = 1; i < seen.length; i += 1) {
    const a = seen[i - 1].updatedAt.getTime();
    const b = seen[i].updatedAt.getTime();
    assert.ok(a < b || (a === b && BigInt(seen[i - 1].id) < BigInt(seen[i].id)), `order at ${i}`);
  }
});

test('search past 10,000 results is refused with a 400', async () => {
  await assert.rejects(
    client.crm.deals.searchApi.doSearch({ filterGroups: [], sorts: [], properties: [], limit: 100, after: '10000' }),
    (error) => error.code === 400 && /10000/.test(JSON.stringify(error.body)),
  );
});

test('associations v4 batch read agrees with each contact\'s associatedcompanyid', async () => {
  const contacts = await client.crm.contacts.getAll(100, undefined, ['associatedcompanyid']);
  let associated = 0;
  for (let i = 0; i < contacts.length; i += 100) {
    const batch = contacts.slice(i, i + 100);
    const response = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', {
      inputs: batch.map((c) => ({ id: c.id })),
    });
    assert.equal(response.status, 'COMPLETE');
    const byId = new Map(response.results.map((r) => [r._from.id, r]));
    for (const contact of batch) {
      const expected = contact.properties.associatedcompanyid;
      const result = byId.get(contact.id);
      const targets = (result?.to ?? []).map((t) => String(t.toObjectId));
      assert.deepEqual(targets, expected ? [expected] : [], `companies of contact ${contact.id}`);
      if (expected) associated += 1;
      for (const t of result?.to ?? []) assert.equal(t.associationTypes[0].category, 'HUBSPOT_DEFINED');
    }
  }
  assert.ok(associated > contacts.length / 2);
  const deals = await client.crm.deals.basicApi.getPage(50);
  const response = await client.crm.associations.v4.batchApi.getPage('deals', 'companies', {
    inputs: deals.results.map((d) => ({ id: d.id })),
  });
  assert.equal(response.results.length, 50);
});
