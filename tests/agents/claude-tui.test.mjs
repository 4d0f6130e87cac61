// The REAL interactive Claude Code TUI inside an Airlock session, offline
// against the mock model API: `airlock run --mode gated -- claude` (no -p),
// a prompt typed into its terminal through `/api/call` writeInput, the Write
// it makes held as a pending change, approved with `airlock approve`, landing
// in the project; then the session is stopped.
//
//   AIRLOCK_BIN=target/debug/airlock node --test tests/agents/claude-tui.test.mjs

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';

import { requireAirlockHook, startAirlock } from './airlock.mjs';
import { CLAUDE_BIN, claudeVersion, readOrNull, stripAnsi, waitFor } from './helpers.mjs';
import { lastToolResult } from './mock-anthropic.mjs';

/** No single wait may take longer than this. */
const WAIT = 30_000;
const DONE = 'TUI-IN-AIRLOCK-DONE-41c9';
const PROMPT = 'Please write tui.txt with two lines';
const CONTENT = 'Written by the Claude Code TUI\ninside an Airlock session.\n';

/**
 * The URL `airlock serve` printed as its first line, which the engine also
 * keeps in `$AIRLOCK_HOME/projects/<hash>/engine.json` (startAirlock reads
 * that first line but does not hand it on). Returns { origin, token }.
 */
function serveUrl(airlockHome) {
  const projects = join(airlockHome, 'projects');
  for (const dir of existsSync(projects) ? readdirSync(projects) : []) {
    const info = join(projects, dir, 'engine.json');
    if (!existsSync(info)) continue;
    const { url } = JSON.parse(readFileSync(info, 'utf8'));
    const m = url && /^(https?:\/\/127\.0\.0\.1:\d+)\/?\?token=([^\s&#]+)/.exec(url);
    if (m) return { origin: m[1], token: decodeURIComponent(m[2]) };
  }
  throw new Error(`no engine.json with the serve URL under ${projects}`);
}

/** POST /api/call; resolves with the `ok` Response or throws with the reply. */
function call({ origin, token }, request) {
  const body = JSON.stringify(request);
  const url = new URL('/api/call', origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        timeout: WAIT,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            const reply = JSON.parse(text);
            if (reply.ok) return resolve(reply.ok);
          } catch {
            // fall through
          }
          reject(new Error(`${body.slice(0, 200)} → HTTP ${res.statusCode} ${text.slice(0, 500)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${WAIT / 1000} s to ${body.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

test('the interactive Claude Code TUI in a gated Airlock session: typed prompt → held Write → approve → lands', { timeout: 180_000 }, async (t) => {
  claudeVersion();
  requireAirlockHook();
  let ctx;
  const script = [
    () => ({ tool: 'Write', input: { file_path: join(ctx.project, 'tui.txt'), content: CONTENT } }),
    (body) => {
      const r = lastToolResult(body);
      return { text: `${DONE} (${r?.is_error ? 'error' : 'ok'})` };
    },
  ];
  ctx = await startAirlock('tui', { script });
  t.after(() => ctx.close());
  const api = serveUrl(ctx.airlockHome);
  const target = join(ctx.project, 'tui.txt');

  const out = await ctx.ok(['run', '--mode', 'gated', '--name', 'claude', '--', CLAUDE_BIN]);
  const session = out.trim().split('\n').pop();
  assert.match(session, /^s-/, `airlock run printed no session id: ${JSON.stringify(out)}`);

  let screen = '';
  const scrollback = async () => {
    const sb = await call(api, { op: 'readScrollback', session });
    screen = stripAnsi(Buffer.from(sb.data, 'base64').toString('utf8'));
    return screen;
  };
  const describe = () => `\n--- terminal (tail, escapes stripped) ---\n${screen.slice(-2500)}${ctx.describe()}`;

  // The TUI moves the cursor instead of printing spaces, so text is compared
  // with all white space removed.
  const squeeze = (s) => s.replace(/\s+/g, '');
  // The input box: the "❯" prompt between two rules, "? for shortcuts" under it.
  await waitFor(
    () => `Claude's TUI draws its input box (❯ and "? for shortcuts")${describe()}`,
    async () => {
      const s = squeeze(await scrollback());
      return s.includes('❯') && s.includes('?forshortcuts');
    },
    WAIT,
    200,
  );
  await new Promise((r) => setTimeout(r, 500)); // let it settle into reading keys
  await call(api, { op: 'writeInput', session, data: PROMPT });
  await waitFor(() => `the typed prompt shows in the input box${describe()}`, async () => squeeze(await scrollback()).includes(squeeze(PROMPT)), WAIT, 200);
  await call(api, { op: 'writeInput', session, data: '\r' });

  const change = await ctx.waitChange('tui.txt', 'the TUI\'s Write held as a pending change');
  assert.equal(change.session, session);
  assert.equal(change.kind, 'created');
  assert.equal(existsSync(target), false, 'tui.txt reached the project before it was approved');
  assert.equal(ctx.mock.mainRequests.length, 1, `Claude went on before any decision:${ctx.describe()}`);

  await ctx.ok(['approve', change.id]);
  await waitFor(
    () => `tui.txt lands with the proposed text (it holds ${JSON.stringify(existsSync(target) ? readFileSync(target, 'utf8') : null)})${describe()}`,
    async () => (await readOrNull(target)) === CONTENT,
    WAIT,
  );
  await ctx.waitMain(2, 'Claude goes on once the edit is approved');
  assert.equal(lastToolResult(ctx.mock.mainRequests[1].body)?.is_error, false, 'the approved Write came back as an error');
  await waitFor(() => `the model's closing text ${DONE} in the terminal${describe()}`, async () => squeeze(await scrollback()).includes(`${DONE}(ok)`), WAIT, 200);
  await ctx.waitNoChange('tui.txt', 'the approved change leaves the queue');
  assert.equal(ctx.mock.exhausted, 0, `a side request was taken for a main one:${ctx.describe()}`);

  const running = (await ctx.status()).sessions.find((s) => s.id === session);
  assert.equal(running?.state, 'running', 'the interactive session is still running before it is stopped');
  await call(api, { op: 'stopSession', session });
  const info = await waitFor(
    () => `session ${session} exits after stopSession${describe()}`,
    async () => (await ctx.status()).sessions.find((s) => s.id === session && s.state === 'exited'),
    WAIT,
  );
  assert.equal(info.state, 'exited');
  assert.equal(await readOrNull(target), CONTENT, 'the landed file is unchanged after the session stopped');
});
