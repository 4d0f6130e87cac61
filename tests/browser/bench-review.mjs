#!/usr/bin/env node
// Review pane at scale: a 100,000-line file with ~1,000 changed hunks in a
// stage, reviewed in headless chromium against the real `airlock serve`.
// Measures (a) time to the first painted hunk, (b) frame times while j and
// PageDown are held, (c) the page's JS heap and DOM size afterwards. Prints a
// markdown table. Not a test: run it by hand.
//
//   node tests/browser/bench-review.mjs [--lines 100000] [--every 100] [--seconds 4] [--runs 3] [--plain]
//
// The first paint is measured cold: each of --runs runs starts a fresh engine
// and opens the page the moment the change is proposed, with nothing asked of
// it before (the engine starts highlighting the first hunks in the background
// when it proposes; the page may catch it half-way). Then once warm (a second
// page on the last engine, whose highlighting is cached), labelled as such.
// The reference, in the same run and browser: a static page holding one
// 60-row table, from navigation to its first paint (the floor any page pays).
//
// --plain pads the lines so the file is over the engine's 2 MiB highlight
// limit: the engine then skips syntax highlighting, which shows the cost of
// the rest.

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// The engine is spawned in the project folder: a relative AIRLOCK_BIN is taken from here.
if (process.env.AIRLOCK_BIN) process.env.AIRLOCK_BIN = resolve(process.env.AIRLOCK_BIN);
const { launchBrowser, makeProject, median, startEngine, waitUntil } = await import('./helpers.mjs');

const { values: opt } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000' },
    every: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '4' },
    plain: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
  },
});
const LINES = Number(opt.lines);
const EVERY = Number(opt.every);
const SECONDS = Number(opt.seconds);
const RUNS = Math.max(1, Number(opt.runs));
const PATH = 'src/big.rs';

// Short Rust-looking lines: the file stays under the engine's 2 MiB highlight
// limit, so the engine highlights all of it (the slow case).
const pad = opt.plain ? ' // padding the line past the limit' : '';
const line = (i) => (i % 7 === 0 ? `fn f${i}() {}` : i % 7 === 3 ? `// note ${i}` : `let v${i} = ${i};${pad}`);
const base = [];
const proposed = [];
for (let i = 1; i <= LINES; i++) {
  base.push(line(i));
  proposed.push(i % EVERY === 50 ? `let v${i} = ${i} * 2;` : line(i));
}
const baseText = `${base.join('\n')}\n`;
const proposedText = `${proposed.join('\n')}\n`;

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '—');
const mib = (x) => `${(x / 1024 / 1024).toFixed(1)} MiB`;

const browser = await launchBrowser();
/** A fresh project and engine with the change proposed: the engine has highlighted nothing yet. */
async function prepare() {
  const tmp = await makeProject('bench', { [PATH]: baseText });
  const engine = await startEngine(tmp);
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
  const session = await call({ op: 'startSession', command: ['sleep', '600'], cols: 80, rows: 24 });
  await writeFile(join(session.cwd, PATH), proposedText);
  const change = await waitUntil(
    `the engine proposing ${PATH}`,
    async () => (await call({ op: 'listChanges' })).changes.find((c) => c.path === PATH && c.hunks.length > 0),
    120_000,
    250,
  );
  return {
    engine,
    call,
    change,
    async stop() {
      await engine.stop();
      await tmp.cleanup();
    },
  };
}

/** Opens the UI in a new page and waits for its first painted hunk; marks are set inside the page. */
async function openPage(engine) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.addInitScript(() => {
    localStorage.setItem('airlock.reviewWidth', '860');
    const w = window;
    w.__bench = { firstHunk: null, painted: null, diffCalls: [], calls: [] };
    const origFetch = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      const start = performance.now();
      const res = await origFetch(input, init);
      w.__bench.calls.push(`${/"op":"(\w+)"/.exec(body)?.[1] ?? '?'} ${start.toFixed(0)}→${performance.now().toFixed(0)}`);
      if (body.includes('"getDiff"')) {
        const text = await res.clone().text();
        w.__bench.diffCalls.push({ ms: performance.now() - start, end: performance.now(), bytes: text.length });
      }
      return res;
    };
    new MutationObserver((_, obs) => {
      if (w.__bench.firstHunk === null && document.querySelector('[data-testid="hunk"] table')) {
        w.__bench.firstHunk = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => (w.__bench.painted = performance.now())));
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(engine.url);
  await page.waitForFunction(() => window.__bench.painted !== null, null, { timeout: 60_000 });
  const load = await page.evaluate(() => ({
    ...window.__bench,
    // The entry script only: the terminal's chunk loads after the first paint.
    script: performance.getEntriesByType('resource').find((e) => /\/assets\/index-[^/]*\.js$/.test(e.name))?.responseEnd ?? NaN,
    // The page itself, with the first state `airlock serve` writes into it.
    html: performance.getEntriesByType('navigation')[0]?.responseEnd ?? NaN,
    // The deferred main script has run (the app is built and has taken the state).
    ran: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventStart ?? NaN,
  }));
  return { page, load };
}

/** The reference: navigation → first paint of a static 60-row table, the same way. */
async function staticPaint() {
  const { createServer } = await import('node:http');
  const rows = Array.from({ length: 60 }, (_, i) => `<tr><td>${i}</td><td><span class="k">let</span> v${i} = ${i};</td></tr>`).join('');
  const html = `<!doctype html><html><head><style>body{font:13px monospace}</style></head><body><table>${rows}</table></body></html>`;
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const out = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.addInitScript(() => {
      window.__painted = null;
      document.addEventListener('DOMContentLoaded', () => requestAnimationFrame(() => requestAnimationFrame(() => (window.__painted = performance.now()))));
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__painted !== null);
    out.push(await page.evaluate(() => window.__painted));
    await page.close();
  }
  server.close();
  return out;
}
const reference = await staticPaint();

// (a) Cold: each run a fresh engine, so the page's first getDiff highlights from scratch.
const cold = [];
let ready = null;
for (let run = 0; run < RUNS; run++) {
  const fresh = await prepare();
  const { page, load } = await openPage(fresh.engine);
  cold.push(load);
  await page.close();
  if (run < RUNS - 1) await fresh.stop();
  else ready = fresh;
}
const { engine, call, change } = ready;
try {
  // Warm: the engine has highlighted the first windows already (for the pages above).
  const t0 = performance.now();
  const direct = await call({ op: 'getDiff', change: change.id, from: 0, count: 50 });
  const engineWindowMs = performance.now() - t0;
  const { page, load } = await openPage(engine);
  const cdp = await page.context().newCDPSession(page);

  // (a') Expanding the collapsed file: the UI's own cost (its windows are cached).
  const expand = await page.evaluate(async () => {
    const toggle = document.querySelector('[data-testid="change-file"] [data-testid="file-toggle"]');
    toggle.click(); // collapse
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const start = performance.now();
    toggle.click(); // expand
    await new Promise((r) => {
      const tick = () => (document.querySelector('[data-testid="hunk"] table') ? r() : requestAnimationFrame(tick));
      tick();
    });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - start;
  });

  /** Presses `key` about 30 times a second (a held key's auto-repeat) for SECONDS, recording rAF frame times. */
  const hold = async (key) => {
    await page.evaluate(() => {
      const w = window;
      w.__frames = [];
      w.__recording = true;
      let last = performance.now();
      const tick = (now) => {
        w.__frames.push(now - last);
        last = now;
        if (w.__recording) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const end = Date.now() + SECONDS * 1000;
    let presses = 0;
    while (Date.now() < end) {
      await page.keyboard.press(key);
      presses++;
      await new Promise((r) => setTimeout(r, 33));
    }
    const frames = await page.evaluate(() => {
      window.__recording = false;
      return window.__frames.slice(1);
    });
    const where = await page.evaluate(() => {
      const list = document.querySelector('[data-testid="review-list"]');
      return { scrollTop: list.scrollTop, scrollHeight: list.scrollHeight };
    });
    return { frames, presses, ...where };
  };

  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  const j = await hold('j');
  const afterJ = await page.evaluate(() => ({
    hunks: document.querySelectorAll('[data-testid="hunk"]').length,
    waiting: document.querySelectorAll('.hunk-placeholder').length,
  }));
  // PageDown scrolls the review list once a hunk in it has the focus (j gave it).
  const pd = await hold('PageDown');

  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const dom = await page.evaluate(() => ({
    nodes: document.getElementsByTagName('*').length,
    waiting: document.querySelectorAll('.hunk-placeholder').length,
    hunks: document.querySelectorAll('[data-testid="hunk"]').length,
    rows: document.querySelectorAll('tr').length,
  }));
  const errors = await page.locator('[data-testid="error-banner"]').allInnerTexts();

  const range = (xs) => {
    const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
    if (ok.length === 0) return '—';
    const med = ok[Math.floor((ok.length - 1) / 2)];
    return ok.length === 1 ? ms(med) : `${ms(med)} (${ok[0].toFixed(0)}–${ok[ok.length - 1].toFixed(0)} over ${ok.length} runs)`;
  };
  const rows = [
    ['file', `${LINES.toLocaleString('en')} lines (${mib(baseText.length)}), ${change.hunks.length.toLocaleString('en')} changed hunks, ${PATH}`],
    ['cold (fresh engine each run): page received, with the first state written in (status, queue, theme, first hunks highlighted)', range(cold.map((l) => l.html))],
    ['cold: main script loaded', range(cold.map((l) => l.script))],
    ['cold: main script run (app built, first state taken)', range(cold.map((l) => l.ran))],
    ['cold: first hunk in the DOM', range(cold.map((l) => l.firstHunk))],
    ['cold: getDiff requests the page made before its first paint (each run)', cold.map((l) => l.diffCalls.filter((d) => d.end - d.ms < l.painted).length).join(', ')],
    ['**cold: page open → first hunk painted (target ≤ 300 ms)**', range(cold.map((l) => l.painted))],
    ['reference: a static 60-row table page, navigation → first paint (same browser, same run)', range(reference)],
    ['ratio: cold first hunk / static page (medians)', `${(median(cold.map((l) => l.painted)) / median(reference)).toFixed(2)}×`],
    ['engine: getDiff of the first 50 hunks from node after the pages (first 24 cached)', `${ms(engineWindowMs)} (${(JSON.stringify(direct).length / 1024).toFixed(0)} KiB)`],
    ['warm (highlighting cached): page received', ms(load.html)],
    ['warm: page open → first hunk painted', ms(load.painted)],
    ["expand the file → first hunk painted (UI only, windows cached)", ms(expand)],
    [`hold j ${SECONDS} s: ${j.presses} presses, frames p50 / p95 / max (target p95 ≤ 50 ms)`, `${ms(pct(j.frames, 50))} / ${ms(pct(j.frames, 95))} / ${ms(Math.max(...j.frames))}`],
    [`hold PageDown ${SECONDS} s: ${pd.presses} presses, frames p50 / p95 / max`, `${ms(pct(pd.frames, 50))} / ${ms(pct(pd.frames, 95))} / ${ms(Math.max(...pd.frames))}`],
    ['after j: hunks drawn / placeholders waiting for the engine', `${afterJ.hunks} / ${afterJ.waiting}`],
    ['PageDown scrolled to', `${Math.round(pd.scrollTop).toLocaleString('en')} of ${Math.round(pd.scrollHeight).toLocaleString('en')} px`],
    ['JS heap after scrolling (after GC), used / total', `${mib(heap.usedSize)} / ${mib(heap.totalSize)}`],
    ['DOM after scrolling: elements / hunks / placeholders / table rows', `${dom.nodes} / ${dom.hunks} / ${dom.waiting} / ${dom.rows}`],
  ];
  const args = process.argv.slice(2).join(' ');
  console.log(`\n\`node tests/browser/bench-review.mjs${args ? ` ${args}` : ''}\` (headless chromium ${browser.context.browser()?.version() ?? ''}, ${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| measure | value |');
  console.log('| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  cold.forEach((l, i) => console.log(`\ncold run ${i + 1} page calls (op start→end, ms since navigation): ${l.calls.slice(0, 8).join(', ')}`));
  console.log(`\nwarm page calls: ${load.calls.slice(0, 8).join(', ')}`);
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (${cpus().length} cores)`);
  if (errors.length) console.log(`\nerror banners: ${JSON.stringify(errors)}`);
} finally {
  await browser.close();
  await ready.stop();
}
