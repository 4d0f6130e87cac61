#!/usr/bin/env node
// The chat pane at scale, in headless chromium against the real `airlock
// serve` and the scripted ACP agent (tests/fixtures/acp_agent.py). Measures
// (a) chunk → drawn: from a `chatText` event reaching the page's socket to
// the frame that paints its text, over a `stream N` turn; (b) opening a long
// transcript (T turns of "hello", five entries each): from the click on the
// session to the frame that paints its end; (c) scrolling that transcript
// with wheel events, up from its end and then, from the top, to the bottom:
// frames per second (the pane draws only the entries near the view, so the
// entries in the page are counted too). Prints a markdown
// table. Not a test: run it by hand.
//
//   node tests/browser/bench-chat.mjs [--chunks 2000] [--turns 2000] [--runs 3] [--seconds 5]
//
// --runs is both the number of `stream` turns pooled for (a) and of fresh pages opened for (b).
//
// "Painted" is the end of the frame whose rendering carried the change: the
// page watches the DOM, and a message posted from the frame that changed it
// is handled once that frame has been drawn. Chunk latency is counted per
// chunk (one "x" each): a `chatText` event that carries several chunks (the
// engine coalesces what waits in its mailbox) counts once per chunk, from the
// event's arrival.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// The engine is spawned in the project folder: a relative AIRLOCK_BIN is taken from here.
if (process.env.AIRLOCK_BIN) process.env.AIRLOCK_BIN = resolve(process.env.AIRLOCK_BIN);
const { REPO, launchBrowser, makeProject, median, startEngine, waitUntil } = await import('./helpers.mjs');

const { values: opt } = parseArgs({
  options: {
    chunks: { type: 'string', default: '2000' },
    turns: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
  },
});
const CHUNKS = Number(opt.chunks);
const TURNS = Number(opt.turns);
const RUNS = Math.max(1, Number(opt.runs));
const SECONDS = Number(opt.seconds);
// The interpreter itself, not a launcher in front of it: a pyenv shim runs
// helper programs the session's exec gate would stop to ask about.
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const AGENT = [PYTHON, join(REPO, 'tests', 'fixtures', 'acp_agent.py')];

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '—');
const verdict = (ok) => (ok ? 'met' : '**missed**');

const tmp = await makeProject('bench-chat', {});
const engine = await startEngine(tmp);
const browser = await launchBrowser();
const call = async (req) => {
  const res = await fetch(`${engine.origin}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${engine.token}` },
    body: JSON.stringify(req),
  });
  const body = await res.json();
  if ('error' in body) throw new Error(`${req.op}: ${body.error.message}`);
  return body.ok;
};

/** A chat with the scripted agent, once the agent has started its session. */
async function startChat(name) {
  const s = await call({ op: 'startSession', kind: 'chat', name, command: AGENT });
  await waitUntil(`the chat ${name} started`, async () => (await call({ op: 'status' })).sessions.find((x) => x.id === s.id)?.chat, 30_000);
  return s.id;
}

/** Says `text` and waits for the turn's end; returns the transcript's length after it. */
async function turn(session, text, from, every = 1) {
  await call({ op: 'prompt', session, text });
  return turnEnded(session, from, every);
}

/** Waits for a turn end after entry `from`; returns the transcript's length after it. */
async function turnEnded(session, from, every) {
  for (;;) {
    const tr = await call({ op: 'transcript', session, from });
    const end = tr.entries.findIndex((e, i) => e.type === 'turnEnded' && tr.from + i > from);
    if (end >= 0) return tr.from + end + 1;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Watches, in the page: `chatText` arrivals at the socket, the frames that draw them, and the ops the page asks. */
function instrument() {
  const w = window;
  const b = { chunks: [], sums: new Map(), calls: [], observing: true, firstUndrawn: 0 };
  w.__bench = b;
  const Native = window.WebSocket;
  // A listener added here runs before the app's `onmessage`: the arrival is timed before any work on it.
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (m) => {
        if (typeof m.data !== 'string' || !m.data.includes('"chat')) return;
        const t = performance.now();
        let e;
        try {
          e = JSON.parse(m.data);
        } catch {
          return;
        }
        const key = `${e.session} ${e.index}`;
        if (e.type === 'chat' && e.entry?.type === 'agent') b.sums.set(key, e.entry.text.length);
        else if (e.type === 'chatText') {
          const upto = (b.sums.get(key) ?? 0) + e.text.length;
          b.sums.set(key, upto);
          b.chunks.push({ t, session: e.session, index: e.index, n: e.text.length, upto, drawn: null });
        }
      });
    }
  };
  const nativeFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const start = performance.now();
    const res = await nativeFetch(input, init);
    const bytes = (await res.clone().arrayBuffer()).byteLength;
    b.calls.push({ op: /"op":"(\w+)"/.exec(body)?.[1] ?? '?', start, end: performance.now(), bytes });
    return res;
  };
  // The pane draws streamed text in a frame callback: what the entry shows then
  // is on screen once a message posted from there is handled.
  let posted = null;
  new MutationObserver(() => {
    if (!b.observing) return;
    const shown = [];
    for (let i = b.firstUndrawn; i < b.chunks.length; i++) {
      const c = b.chunks[i];
      const el = document.querySelector(`.chat-session[data-session-id="${c.session}"] [data-testid="chat-entry"][data-index="${c.index}"]`);
      if (el && el.textContent.length >= c.upto) shown.push(c);
      else break;
    }
    if (shown.length === 0) return;
    b.firstUndrawn += shown.length;
    posted ??= [];
    posted.push(...shown);
    if (posted.length !== shown.length) return;
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      const t = performance.now();
      for (const c of posted) c.drawn = t;
      posted = null;
    };
    ch.port2.postMessage(0);
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

const newPage = async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.addInitScript(instrument);
  await page.goto(engine.url);
  await page.locator('[data-testid="project-path"]').waitFor({ timeout: 30_000 });
  return page;
};
/** Clicks a session in the sidebar and waits for its pane with `n` entries. */
const select = async (page, id, n) => {
  await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
  await page.locator(`.chat-session[data-session-id="${id}"] [data-testid="chat-entry"][data-index="${n - 1}"]`).waitFor({ timeout: 60_000 });
};

try {
  // The long chat, built turn by turn over HTTP.
  const long = await startChat('long');
  const built = performance.now();
  let longLen = 0;
  for (let i = 0; i < TURNS; i++) longLen = await turn(long, 'hello', longLen);
  const buildMs = performance.now() - built;
  const other = await startChat('other');
  let otherLen = await turn(other, 'hello', 0);

  // (a) chunk → drawn, on the short chat while it is shown.
  const pageA = await newPage();
  await select(pageA, other, otherLen);
  otherLen = await turn(other, 'stream 100', otherLen, 20); // warm-up
  await pageA.waitForFunction(() => window.__bench.chunks.every((c) => c.drawn !== null), null, { timeout: 30_000 });
  // RUNS turns, pooled: the engine sends a flood as a few events, so one turn is few samples.
  const chunks = [];
  for (let run = 0; run < RUNS; run++) {
    await pageA.evaluate(() => {
      window.__bench.chunks = [];
      window.__bench.firstUndrawn = 0;
    });
    otherLen = await turn(other, `stream ${CHUNKS}`, otherLen, 20);
    await pageA.waitForFunction(() => window.__bench.chunks.every((c) => c.drawn !== null), null, { timeout: 30_000 });
    chunks.push(...(await pageA.evaluate(() => window.__bench.chunks.map((c, i) => ({ n: c.n, ms: c.drawn - c.t, first: i === 0 })))));
  }
  // A trickle as a model streams it: `slow` says "." every 50 ms, each its own event.
  await pageA.evaluate(() => {
    window.__bench.chunks = [];
    window.__bench.firstUndrawn = 0;
  });
  await call({ op: 'prompt', session: other, text: 'slow' });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await call({ op: 'cancel', session: other });
  otherLen = await turnEnded(other, otherLen, 20);
  await pageA.waitForFunction(() => window.__bench.chunks.every((c) => c.drawn !== null), null, { timeout: 30_000 });
  const trickle = await pageA.evaluate(() => window.__bench.chunks.map((c) => c.drawn - c.t));
  await pageA.close();
  const perChunk = chunks.flatMap((c) => Array(c.n).fill(c.ms));
  const perEvent = chunks.map((c) => c.ms);
  const chunkCount = chunks.reduce((s, c) => s + c.n, 0);

  // (b) opening the long chat: a fresh page each run, the short chat shown first.
  const t0 = performance.now();
  const direct = await call({ op: 'transcript', session: long, from: 0 });
  const engineMs = performance.now() - t0;
  const opens = [];
  let page;
  for (let run = 0; run < RUNS; run++) {
    await page?.close();
    page = await newPage();
    await select(page, other, otherLen);
    opens.push(
      await page.evaluate(
        async ({ id, n }) => {
          const b = window.__bench;
          b.observing = false;
          b.calls = [];
          const last = `.chat-session[data-session-id="${id}"] [data-testid="chat-entry"][data-index="${n - 1}"]`;
          const start = performance.now();
          document.querySelector(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
          const inDom = await new Promise((r) => {
            const tick = () => (document.querySelector(last) ? r(performance.now()) : requestAnimationFrame(tick));
            tick();
          });
          // Found in a frame callback: that frame draws it.
          const painted = await new Promise((r) => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => r(performance.now());
            ch.port2.postMessage(0);
          });
          const tr = b.calls.find((c) => c.op === 'transcript');
          return {
            painted: painted - start,
            inDom: inDom - start,
            asked: tr ? tr.start - start : NaN,
            answered: tr ? tr.end - start : NaN,
            bytes: tr?.bytes ?? NaN,
            nodes: document.getElementsByTagName('*').length,
          };
        },
        { id: long, n: longLen },
      ),
    );
  }

  // (c) scrolling the long chat with the wheel: up from its end as it opened
  // (earlier entries are drawn as they come near), then from top to bottom.
  const log = page.locator(`.chat-session[data-session-id="${long}"] .chat-log`);
  const box = await log.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const drawn = () => page.locator(`.chat-session[data-session-id="${long}"] [data-testid="chat-entry"]`).count();
  /** Wheel turns of `step` px, one a frame, until `done` or `seconds`; frame times from rAF. */
  const wheel = async (step, seconds, done) => {
    await page.evaluate(() => {
      const w = window;
      w.__frames = [];
      w.__recording = true;
      let last = performance.now();
      w.__start = last;
      const tick = (now) => {
        w.__frames.push(now - last);
        last = now;
        if (w.__recording) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    let wheels = 0;
    const until = Date.now() + seconds * 1000;
    for (;;) {
      await page.mouse.wheel(0, step);
      wheels++;
      await new Promise((r) => setTimeout(r, 16));
      if (done && wheels % 10 === 0 && (await done())) break;
      if (Date.now() > until) break;
    }
    const out = await page.evaluate(() => {
      window.__recording = false;
      return { frames: window.__frames.slice(1), seconds: (performance.now() - window.__start) / 1000 };
    });
    return { ...out, wheels, step, fps: out.frames.length / out.seconds };
  };
  const drawnBefore = await drawn();
  const up = await wheel(-1000, SECONDS);
  const drawnAfterUp = await drawn();
  // Up to the top until the first entry is there.
  const revealStart = performance.now();
  await waitUntil('the first entry drawn', async () => {
    await log.evaluate((el) => (el.scrollTop = 0));
    return (await page.locator(`.chat-session[data-session-id="${long}"] [data-index="0"]`).count()) > 0;
  }, 120_000, 50);
  const revealMs = performance.now() - revealStart;
  const height = await log.evaluate(async (el) => {
    el.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return el.scrollHeight - el.clientHeight;
  });
  // About SECONDS of wheel turns if frames keep up; the height may grow as entries are laid out.
  const down = await wheel(Math.max(100, Math.ceil(height / (SECONDS * 60))), SECONDS * 4, () =>
    log.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2),
  );
  const where = await log.evaluate((el) => ({ top: el.scrollTop + el.clientHeight, height: el.scrollHeight }));
  const drawnAtEnd = await drawn();
  const errors = await page.locator('[data-testid="error-banner"]').allInnerTexts();
  await page.close();

  const frameStats = (fs) => `${ms(pct(fs, 50))} / ${ms(pct(fs, 95))} / ${ms(Math.max(...fs))}; ${fs.filter((f) => f > 20).length} of ${fs.length}`;
  const range = (xs) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return s.length === 1 ? ms(s[0]) : `${ms(median(s))} (${s[0].toFixed(0)}–${s[s.length - 1].toFixed(0)} over ${s.length} runs)`;
  };
  const rows = [
    [`(a) chunk → drawn over ${RUNS} turns of \`stream ${CHUNKS}\`: ${chunkCount} chunks in ${chunks.length} chatText events`, ''],
    ['**(a) per chunk p50 / p95 (target p50 ≤ 16 ms)**', `${ms(pct(perChunk, 50))} / ${ms(pct(perChunk, 95))} — ${verdict(pct(perChunk, 50) <= 16)}`],
    ['(a) per event p50 / p95 / max', `${ms(pct(perEvent, 50))} / ${ms(pct(perEvent, 95))} / ${ms(Math.max(...perEvent))}`],
    ["(a) each turn's first chatText event (the page was idle before it)", chunks.filter((c) => c.first).map((c) => ms(c.ms)).join(', ')],
    [`(a) a trickle: \`slow\` (a chunk every 50 ms) for ${SECONDS} s, ${trickle.length} events, p50 / p95 / max`, `${ms(pct(trickle, 50))} / ${ms(pct(trickle, 95))} / ${ms(Math.max(...trickle))}`],
    [`(b) transcript: ${TURNS} turns of "hello" built over HTTP`, `${longLen.toLocaleString('en')} entries in ${(buildMs / 1000).toFixed(1)} s`],
    ['(b) engine: `transcript` of all of it, from node', `${ms(engineMs)} (${(JSON.stringify(direct).length / 1024).toFixed(0)} KiB)`],
    ['(b) click → `transcript` answered in the page', range(opens.map((o) => o.answered))],
    ['(b) click → last entry in the DOM', range(opens.map((o) => o.inDom))],
    ['**(b) click → transcript painted (target ≤ 300 ms)**', `${range(opens.map((o) => o.painted))} — ${verdict(median(opens.map((o) => o.painted)) <= 300)}`],
    ['(b) DOM elements in the page after', opens.map((o) => o.nodes.toLocaleString('en')).join(', ')],
    [`(c) wheel up from the end as opened: ${up.wheels} wheel events of 1000 px over ${up.seconds.toFixed(1)} s`, `entries drawn ${drawnBefore.toLocaleString('en')} → ${drawnAfterUp.toLocaleString('en')}`],
    ['**(c) frames per second, scrolling up through the history (target 60)**', `${up.fps.toFixed(1)} fps — ${verdict(up.fps >= 57)}`],
    ['(c) frame time p50 / p95 / max; frames over 20 ms', frameStats(up.frames)],
    ['(c) scrolled to the top until the first entry is there', `${(revealMs / 1000).toFixed(1)} s`],
    [`(c) then wheel from top to bottom: ${down.wheels} wheel events of ${down.step} px over ${down.seconds.toFixed(1)} s`, `reached ${Math.round(where.top).toLocaleString('en')} of ${Math.round(where.height).toLocaleString('en')} px; entries drawn at the end ${drawnAtEnd.toLocaleString('en')}`],
    ['**(c) frames per second, top to bottom (target 60)**', `${down.fps.toFixed(1)} fps — ${verdict(down.fps >= 57)}`],
    ['(c) frame time p50 / p95 / max; frames over 20 ms', frameStats(down.frames)],
  ];
  const args = process.argv.slice(2).join(' ');
  console.log(`\n\`node tests/browser/bench-chat.mjs${args ? ` ${args}` : ''}\` (headless chromium ${browser.context.browser()?.version() ?? ''}, ${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| measure | value |');
  console.log('| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (${cpus().length} cores)`);
  if (errors.length) console.log(`\nerror banners: ${JSON.stringify(errors)}`);
} finally {
  await browser.close();
  await engine.stop();
  await tmp.cleanup();
}
