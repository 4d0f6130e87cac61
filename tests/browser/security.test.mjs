// `airlock serve` listens on loopback, but any web page the user visits can
// reach loopback too: the token, Host and Origin checks are what keep it out.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call } from '../terminal/lib.mjs';
import { WAIT_MS, makeProject, startEngine, waitUntil } from './helpers.mjs';

/** A raw HTTP request (fetch may not set Host), resolving to status and body. */
function request(origin, { method = 'GET', path = '/api/call', headers = {}, body } = {}) {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, timeout: WAIT_MS },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${WAIT_MS / 1000} s to ${method} ${path}`)));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, body: '' });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const STATUS = JSON.stringify({ op: 'status' });
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(STATUS) };

describe('airlock serve refuses what does not come from its own page', () => {
  let tmp;
  let engine;
  before(async () => {
    tmp = await makeProject('security');
    engine = await startEngine(tmp);
  });
  after(async () => {
    await engine?.stop();
    await tmp?.cleanup();
  });

  test('the right token is accepted', async () => {
    const res = await request(engine.origin, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${engine.token}` },
      body: STATUS,
    });
    assert.equal(res.status, 200, res.body);
    const reply = JSON.parse(res.body);
    assert.equal(reply.ok?.type, 'status', res.body);
    assert.equal(reply.ok.project, tmp.project);
  });

  test('no token or a wrong token gets 401', async () => {
    for (const [what, opts] of [
      ['GET without a token', {}],
      ['GET with a wrong token', { headers: { Authorization: 'Bearer wrong' } }],
      ['POST without a token', { method: 'POST', headers: JSON_HEADERS, body: STATUS }],
      ['POST with a wrong token', { method: 'POST', headers: { ...JSON_HEADERS, Authorization: 'Bearer wrong' }, body: STATUS }],
      ['POST with the token in the query instead', { method: 'POST', path: `/api/call?token=x${engine.token}`, headers: JSON_HEADERS, body: STATUS }],
    ]) {
      const res = await request(engine.origin, opts);
      assert.equal(res.status, 401, `${what}: HTTP ${res.status} ${res.body}`);
      if (opts.method === 'POST') {
        const reply = JSON.parse(res.body);
        assert.ok(reply.error, `${what}: a Reply error body, got ${res.body}`);
      }
    }
  });

  test('the event socket needs the token', async () => {
    const res = await request(engine.origin, {
      path: '/api/events?token=wrong',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    assert.equal(res.status, 401, `WebSocket with a wrong token: HTTP ${res.status} ${res.body}`);
  });

  test('the token only in a Referer is not the token', async () => {
    const res = await request(engine.origin, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Referer: `${engine.origin}/?token=${engine.token}` },
      body: STATUS,
    });
    assert.equal(res.status, 401, `token in Referer only: HTTP ${res.status} ${res.body}`);
  });

  test('every answer carries a strict content policy and sends no referrer', async () => {
    for (const [what, opts] of [
      ['the page', { path: `/?token=${engine.token}` }],
      ['an API answer', { method: 'POST', headers: { ...JSON_HEADERS, Authorization: `Bearer ${engine.token}` }, body: STATUS }],
      ['a refusal', { method: 'POST', headers: JSON_HEADERS, body: STATUS }],
    ]) {
      const res = await request(engine.origin, opts);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: ${JSON.stringify(res.headers)}`);
      const csp = res.headers['content-security-policy'] || '';
      for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
        assert.ok(csp.includes(part), `${what}: ${part} in ${csp}`);
      }
      assert.ok(!/script-src[^;]*unsafe/.test(csp), `${what}: no unsafe script sources: ${csp}`);
    }
  });

  test('a foreign Host gets 403 or 421 (DNS rebinding)', async () => {
    const res = await request(engine.origin, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Host: 'evil.example', Authorization: `Bearer ${engine.token}` },
      body: STATUS,
    });
    assert.ok([403, 421].includes(res.status), `Host: evil.example: HTTP ${res.status} ${res.body}`);
    const page = await request(engine.origin, { path: '/', headers: { Host: 'evil.example' } });
    assert.ok([403, 421].includes(page.status), `GET / with Host: evil.example: HTTP ${page.status}`);
  });

  test('a foreign Origin gets 403 (cross-site requests)', async () => {
    const res = await request(engine.origin, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Origin: 'http://evil.example', Authorization: `Bearer ${engine.token}` },
      body: STATUS,
    });
    assert.equal(res.status, 403, `Origin: http://evil.example: HTTP ${res.status} ${res.body}`);
  });

  test('the raw scrollback needs the token, names unknown sessions, and equals readScrollback', async () => {
    const session = await call(engine, { op: 'startSession', command: ['bash', '-c', "printf 'raw-%s\\n' $((6*7)); printf '\\xff\\xfe\\n'"], cols: 80, rows: 24 });
    for (const [what, headers] of [
      ['no token', {}],
      ['a wrong token', { Authorization: 'Bearer wrong' }],
    ]) {
      const res = await request(engine.origin, { path: `/api/scrollback?session=${session.id}`, headers });
      assert.equal(res.status, 401, `${what}: HTTP ${res.status}`);
    }
    const auth = { Authorization: `Bearer ${engine.token}` };
    const unknown = await fetch(`${engine.origin}/api/scrollback?session=s-nope`, { headers: auth });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error?.code, 'notFound');
    let raw;
    let end;
    await waitUntil('the session output in the raw scrollback', async () => {
      const res = await fetch(`${engine.origin}/api/scrollback?session=${session.id}`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      raw = Buffer.from(await res.arrayBuffer());
      end = Number(res.headers.get('x-airlock-end'));
      return raw.includes(Buffer.from([0xff, 0xfe]));
    });
    assert.ok(raw.toString('latin1').includes('raw-42'), 'the text is there');
    const json = await call(engine, { op: 'readScrollback', session: session.id });
    assert.deepEqual(raw, Buffer.from(json.data, 'base64'), 'the same bytes as readScrollback, invalid UTF-8 and all');
    assert.equal(end, json.end, 'the same end offset');
  });
});
