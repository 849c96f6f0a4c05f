// Holds a running `tributary serve` to its OpenAPI document: the document validates as OpenAPI
// 3.1 (@readme/openapi-parser), then every documented operation is called at least once, and
// each answer's body is checked against the schema the document gives for its status (ajv,
// JSON Schema 2020-12). Exits 1 naming each mismatch, and each operation no call exercised.
//
// node contract.mjs URL ADMIN_TOKEN WS1_TOKEN WS2_TOKEN   (workspaces ws1 and ws2, each with a
// connection "example" of tributary.example; ws1's has synced once)
import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020.js';

const [url, admin, ws1, ws2] = process.argv.slice(2);
if (!ws2) {
  console.error('usage: node contract.mjs URL ADMIN_TOKEN WS1_TOKEN WS2_TOKEN');
  process.exit(2);
}
const problems = [];
const covered = new Set();

const doc = await (await fetch(url + '/api/openapi.json')).json();
const checked = await validate(structuredClone(doc));
if (!checked.valid) {
  console.error('the document is not valid OpenAPI:', JSON.stringify(checked.errors, null, 2));
  process.exit(1);
}

// Component refs resolve against a schema holding the components.
const rewrite = (v) => {
  if (Array.isArray(v)) return v.map(rewrite);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/components/schemas/', 'components#/$defs/') : rewrite(x);
    }
    return o;
  }
  return v;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'components', $defs: rewrite(doc.components.schemas) });
const validators = new Map();
function validatorFor(template, method, status, type) {
  const op = doc.paths[template]?.[method];
  if (!op) return { error: `${method.toUpperCase()} ${template} is not documented` };
  const response = op.responses[String(status)];
  if (!response) return { error: `${method.toUpperCase()} ${template} answered ${status}, which is not documented` };
  const content = response.content?.[type];
  if (!content) {
    return { error: `${method.toUpperCase()} ${template} ${status} answered ${type}, documented: ${Object.keys(response.content || {})}` };
  }
  const key = `${method} ${template} ${status} ${type}`;
  if (!validators.has(key)) validators.set(key, ajv.compile(rewrite(content.schema)));
  return { validate: validators.get(key) };
}

async function call(method, template, path, expect, { token = admin, body, headers = {}, query = '' } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(url + path + query, {
    method: method.toUpperCase(),
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const type = (res.headers.get('content-type') || '').split(';')[0].trim();
  const text = await res.text();
  const what = `${method.toUpperCase()} ${path}${query}`;
  covered.add(`${method} ${template}`);
  if (res.status !== expect) {
    problems.push(`${what}: expected ${expect}, got ${res.status}: ${text.slice(0, 300)}`);
    return null;
  }
  const v = validatorFor(template, method, res.status, type);
  if (v.error) {
    problems.push(`${what}: ${v.error}`);
    return null;
  }
  let value = text;
  if (type === 'application/json') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      problems.push(`${what}: not JSON: ${text.slice(0, 200)}`);
      return null;
    }
  }
  if (!v.validate(value)) {
    problems.push(`${what} (${res.status}): ${ajv.errorsText(v.validate.errors)}: ${text.slice(0, 400)}`);
  }
  return { status: res.status, value, headers: res.headers };
}

async function waitJob(ws, id) {
  for (let i = 0; i < 600; i++) {
    const r = await call('get', '/api/workspaces/{workspace}/sync/jobs/{job}', `/api/workspaces/${ws}/sync/jobs/${id}`, 200);
    if (r && !['pending', 'running'].includes(r.value.status)) return r.value;
    await new Promise((f) => setTimeout(f, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

const W = '/api/workspaces/{workspace}';
const w1 = '/api/workspaces/ws1';

// Open routes.
await call('get', '/', '/', 200, { token: null });
await call('get', '/health', '/health', 200, { token: null });
await call('get', '/ready', '/ready', 200, { token: null });
await call('get', '/api/openapi.json', '/api/openapi.json', 200, { token: null });
await call('get', '/metrics', '/metrics', 200, { token: null });
await call('get', '/oauth/callback', '/oauth/callback', 400, { token: null, query: '?code=x&state=v1.bogus' });

// Workspaces, plugins, audit.
await call('get', '/api/workspaces', '/api/workspaces', 200);
await call('get', '/api/workspaces', '/api/workspaces', 401, { token: null });
await call('get', W, w1, 200, { token: ws1 });
await call('get', W, w1, 404, { token: ws2 });
await call('get', W + '/connections', w1 + '/connections', 200);
await call('get', '/api/plugins', '/api/plugins', 200, { token: ws1 });
await call('get', '/api/audit', '/api/audit', 200);
await call('get', '/api/audit', '/api/audit', 404, { token: ws1 });
await call('get', '/api/audit', '/api/audit', 400, { query: '?limit=0' });

// Syncs and their jobs.
const started = await call('post', W + '/sync', w1 + '/sync', 202, { body: {} });
const parent = started.value.jobId;
await waitJob('ws1', parent);
await call('post', W + '/sync', w1 + '/sync', 400, { body: '{"mode": ' });
await call('post', W + '/sync', w1 + '/sync', 400, { body: { speed: 1 } });
await call('post', W + '/sync', '/api/workspaces/nope/sync', 404, { body: {} });
const one = await call('post', W + '/connectors/{connector}/sync', w1 + '/connectors/example/sync', 202, { token: ws1 });
await waitJob('ws1', one.value.jobId);
const back = await call('post', W + '/connectors/{connector}/backfill', w1 + '/connectors/example/backfill', 202, {
  body: { from: '1990-01-01T00:00:00Z', to: '1990-01-02T00:00:00Z' },
});
await waitJob('ws1', back.value.jobId);
await call('post', W + '/connectors/{connector}/backfill', w1 + '/connectors/example/backfill', 400, { body: {} });
await call('get', W + '/sync/jobs', w1 + '/sync/jobs', 200, { query: '?limit=2' });
await call('get', W + '/sync/jobs', w1 + '/sync/jobs', 400, { query: '?limit=500' });
await call('get', W + '/sync/jobs/{job}', `${w1}/sync/jobs/${parent}`, 200);
await call('get', W + '/sync/jobs/{job}', `${w1}/sync/jobs/00000000-0000-0000-0000-000000000000`, 404);
await call('delete', W + '/sync/jobs/{job}', `${w1}/sync/jobs/${parent}`, 409);
await call('post', W + '/sync/jobs/{job}/retry', `${w1}/sync/jobs/${parent}/retry`, 409);
const token = await call('post', W + '/sync/jobs/{job}/events/token', `${w1}/sync/jobs/${parent}/events/token`, 201);
await call('get', W + '/sync/jobs/{job}/events', `${w1}/sync/jobs/${parent}/events`, 200, {
  token: null,
  query: `?token=${token.value.streamToken}`,
});
await call('get', W + '/sync/jobs/{job}/events', `${w1}/sync/jobs/${parent}/events`, 400, { headers: { 'Last-Event-ID': 'x' } });

// A running sync, cancelled.
await call('post', W + '/connections/{connection}/pause', w1 + '/connections/example/pause', 200);
await call('post', W + '/sync', w1 + '/sync', 409, { body: {} });
await call('post', W + '/connections/{connection}/resume', w1 + '/connections/example/resume', 200);

// Status, history, records.
await call('get', W + '/sync/status', w1 + '/sync/status', 200);
await call('get', W + '/sync/history', w1 + '/sync/history', 200);
await call('get', W + '/sync/history', w1 + '/sync/history', 400, { query: '?limit=x' });
await call('get', W + '/records/{entity}', w1 + '/records/deals', 200, { query: '?limit=3' });
await call('get', W + '/records/{entity}', w1 + '/records/events', 404);
await call('get', W + '/records/{entity}', w1 + '/records/records', 200, { query: '?limit=2&raw=true' });
await call('get', W + '/record-errors', w1 + '/record-errors', 200);
await call('post', W + '/record-errors/replay', w1 + '/record-errors/replay', 200);
await call('post', W + '/record-errors/replay', w1 + '/record-errors/replay', 400, { body: { stream: 1 } });

// Actions and the OAuth connect flow, on a connector with neither.
await call('post', W + '/connectors/{connector}/actions/{action}', w1 + '/connectors/example/actions/nope', 404, { body: {} });
await call('get', W + '/connections/{connection}/oauth/authorize', w1 + '/connections/example/oauth/authorize', 409);

// Webhooks: the seeds' single-webhook alias, the collection, an endpoint's log. Nothing listens
// on the endpoints' port: their deliveries fail and wait for their retries.
const hook = 'http://127.0.0.1:9/hook';
const A = W + '/webhook';
await call('get', A, w1 + '/webhook', 404);
await call('put', A, w1 + '/webhook', 201, { body: { webhookUrl: hook } });
await call('put', A, w1 + '/webhook', 200, { body: { webhookUrl: hook, events: ['sync.completed'] } });
await call('put', A, w1 + '/webhook', 400, { body: { webhookUrl: 'http://169.254.169.254/latest' } });
await call('get', A, w1 + '/webhook', 200, { token: ws1 });
await call('post', A + '/test', w1 + '/webhook/test', 202);
const made = await call('post', W + '/webhooks', w1 + '/webhooks', 201, { body: { url: hook, description: 'contract' } });
await call('post', W + '/webhooks', w1 + '/webhooks', 400, { body: { url: hook, events: ['sync.nope'] } });
await call('post', W + '/webhooks', w1 + '/webhooks', 400, { body: { url: hook, secret: 'short' } });
await call('get', W + '/webhooks', w1 + '/webhooks', 200);
await call('get', W + '/webhooks', w1 + '/webhooks', 404, { token: ws2 });
const E = W + '/webhooks/{endpoint}';
const e1 = `${w1}/webhooks/${made?.value.id}`;
await call('get', E, e1, 200);
await call('get', E, `${w1}/webhooks/00000000-0000-0000-0000-000000000000`, 404);
await call('patch', E, e1, 200, { body: { description: 'changed', events: ['sync.failed'] } });
await call('patch', E, e1, 400, { body: { enabled: 'yes' } });
const queued = await call('post', E + '/test', e1 + '/test', 202);
await call('get', E + '/deliveries', e1 + '/deliveries', 200, { query: '?limit=10' });
await call('get', E + '/deliveries', e1 + '/deliveries', 400, { query: '?status=lost' });
const redeliver = E + '/deliveries/{delivery}/redeliver';
await call('post', redeliver, `${e1}/deliveries/${queued?.value.deliveryId}/redeliver`, 202);
await call('post', redeliver, `${e1}/deliveries/not-a-delivery/redeliver`, 404);
await call('post', E + '/recover', e1 + '/recover', 202, { query: '?since=2026-01-01T00:00:00Z' });
await call('post', E + '/recover', e1 + '/recover', 400, { query: '?since=yesterday' });
await call('patch', E, e1, 200, { body: { enabled: false } });
await call('post', E + '/test', e1 + '/test', 409);
await call('delete', E, e1, 200);
await call('delete', A, w1 + '/webhook', 200);

// Another workspace's token and no token, on a few routes.
await call('get', W + '/sync/status', w1 + '/sync/status', 404, { token: ws2 });
await call('post', W + '/sync', w1 + '/sync', 401, { token: null });

for (const [path, ops] of Object.entries(doc.paths)) {
  for (const method of Object.keys(ops)) {
    if (!covered.has(`${method} ${path}`)) problems.push(`${method.toUpperCase()} ${path}: documented, never called`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`the server answered ${covered.size} operations as documented`);
