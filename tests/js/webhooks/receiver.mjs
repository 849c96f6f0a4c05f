// A webhook receiver for the tests: every delivery is checked with the standardwebhooks package
// (the Standard Webhooks reference library) and the seeds' X-Webhook-Signature with an HMAC of
// its own, and kept with what it was answered.
//
// node receiver.mjs READY_FILE      listens on 127.0.0.1, a free port; writes {"port": N} to READY_FILE
//
//   PUT  /_config/NAME  {secret, raw?, failFirst?, failStatus?, retryAfter?, sleepMs?, status?}
//        how POST /hook/NAME answers: `status` always (default 200); or `failStatus` (default
//        500) to the first `failFirst` requests of each webhook-id; after `sleepMs`. `secret` is
//        the endpoint's, as the API showed it (whsec_...), or its raw bytes with raw: true.
//   POST /hook/NAME     a delivery
//   GET  /_log/NAME     every delivery to NAME so far, in arrival order
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Webhook } from 'standardwebhooks';

const readyFile = process.argv[2];
if (!readyFile) {
  console.error('usage: node receiver.mjs READY_FILE');
  process.exit(2);
}

const configs = new Map();
const logs = new Map();
const attemptsPerId = new Map();

function secretBytes(cfg) {
  if (cfg.raw) return Buffer.from(cfg.secret, 'utf8');
  return Buffer.from(cfg.secret.replace(/^whsec_/, ''), 'base64');
}

function check(cfg, body, headers) {
  const out = { verified: false, verifyError: null, legacyOk: false, tamperedRejected: false, staleRejected: false };
  let wh;
  try {
    wh = cfg.raw ? new Webhook(cfg.secret, { format: 'raw' }) : new Webhook(cfg.secret);
  } catch (e) {
    out.verifyError = `the configured secret ${JSON.stringify(cfg.secret)} is unusable: ${e.message}`;
    return out;
  }
  const h = {
    'webhook-id': headers['webhook-id'],
    'webhook-timestamp': headers['webhook-timestamp'],
    'webhook-signature': headers['webhook-signature'],
  };
  try {
    wh.verify(body, h);
    out.verified = true;
  } catch (e) {
    out.verifyError = String(e && e.message ? e.message : e);
  }
  try {
    wh.verify(body + ' ', h);
  } catch {
    out.tamperedRejected = true;
  }
  try {
    wh.verify(body, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 3600) });
  } catch {
    out.staleRejected = true;
  }
  const legacy = headers['x-webhook-signature'] || '';
  const expected = 'sha256=' + crypto.createHmac('sha256', secretBytes(cfg)).update(body).digest('hex');
  out.legacyOk = legacy.length === expected.length && crypto.timingSafeEqual(Buffer.from(legacy), Buffer.from(expected));
  return out;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const [, kind, name] = req.url.split('?')[0].split('/');
    const reply = (status, obj, extra = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...extra });
      res.end(JSON.stringify(obj));
    };
    if (kind === '_config' && req.method === 'PUT') {
      configs.set(name, JSON.parse(body));
      return reply(200, { ok: true });
    }
    if (kind === '_log' && req.method === 'GET') return reply(200, logs.get(name) || []);
    if (kind !== 'hook' || req.method !== 'POST') return reply(404, { error: 'no such route' });
    const cfg = configs.get(name);
    if (!cfg) return reply(404, { error: 'no config for ' + name });
    const id = req.headers['webhook-id'] || '';
    const key = name + ' ' + id;
    const attempt = (attemptsPerId.get(key) || 0) + 1;
    attemptsPerId.set(key, attempt);
    let status = cfg.status || 200;
    const extra = {};
    if (cfg.failFirst && attempt <= cfg.failFirst) {
      status = cfg.failStatus || 500;
      if (cfg.retryAfter !== undefined) extra['Retry-After'] = String(cfg.retryAfter);
    }
    const entry = {
      id,
      attempt,
      timestamp: req.headers['webhook-timestamp'],
      signature: req.headers['webhook-signature'],
      host: req.headers['host'],
      userAgent: req.headers['user-agent'],
      body: JSON.parse(body),
      receivedAtMs: Date.now(),
      answered: status,
      ...check(cfg, body, req.headers),
    };
    if (!logs.has(name)) logs.set(name, []);
    logs.get(name).push(entry);
    const answer = () => reply(status, { received: id }, extra);
    if (cfg.sleepMs) setTimeout(answer, cfg.sleepMs);
    else answer();
  });
});
server.keepAliveTimeout = 2000;
server.listen(0, '127.0.0.1', () => {
  const tmp = readyFile + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify({ port: server.address().port }));
  fs.renameSync(tmp, readyFile);
});
process.on('SIGTERM', () => process.exit(0));
