// Benchmark: the engine's memory under steady terminal output. Four sessions
// each print about 1 MB/s of text for `--seconds` (default 600) while one
// WebSocket client drains the events; the engine's RSS (VmRSS) is sampled
// every 10 s. Pass: the last sample is within 10 % of the sample taken after
// the first minute (memory levels off once the scrollbacks are full).
//
//   node tests/terminal/rss.bench.mjs [--seconds 600] [--sessions 4] [--rate-mb 1]
//
// Uses target/release/airlock unless AIRLOCK_BIN is set. Prints a markdown table.

import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
process.env.AIRLOCK_BIN ||= join(REPO, 'target', 'release', 'airlock');

const { makeProject, startEngine } = await import('../browser/helpers.mjs');
const { args, call, OutputTrack, rssKiB, sleep, table, watchSessions } = await import('./lib.mjs');

const opts = args();
const SECONDS = Number(opts.seconds || 600);
const SESSIONS = Number(opts.sessions || 4);
const RATE = Number(opts['rate-mb'] || 1) * 1e6; // bytes per second per session
const EVERY_MS = 10_000;

// 100 ms ticks of RATE/10 bytes of numbered text lines; the sleep is taken
// against a schedule so the rate holds however long a write takes.
const PRINTER = `
import sys, time
k, rate = sys.argv[1], float(sys.argv[2])
out = sys.stdout.buffer
per_tick = int(rate / 10)
n = 0
start = time.monotonic()
tick = 0
while True:
    chunk = []
    size = 0
    while size < per_tick:
        line = "session-%s line-%09d some line of output, steady as she goes\\n" % (k, n)
        chunk.append(line)
        size += len(line)
        n += 1
    out.write("".join(chunk).encode())
    out.flush()
    tick += 1
    delay = start + tick / 10 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
`;

const mb = (kib) => (kib / 1024).toFixed(1);

const tmp = await makeProject('rss');
let engine;
let watch;
try {
  engine = await startEngine(tmp);
  const { pid } = await call(engine, { op: 'status' });
  watch = await watchSessions(engine, () => new OutputTrack());
  const idle = rssKiB(pid);
  const ids = [];
  for (let k = 0; k < SESSIONS; k++) {
    const info = await call(engine, {
      op: 'startSession',
      command: ['python3', '-c', PRINTER, String(k), String(RATE)],
      name: `printer-${k}`,
      cols: 120,
      rows: 40,
    });
    ids.push(info.id);
  }
  console.error(`# engine ${process.env.AIRLOCK_BIN} pid ${pid}; ${SESSIONS} sessions × ${RATE / 1e6} MB/s for ${SECONDS} s; idle RSS ${mb(idle)} MiB`);

  const t0 = Date.now();
  const samples = []; // { t, kib, delivered }
  for (;;) {
    const elapsed = Date.now() - t0;
    const kib = rssKiB(pid);
    const delivered = [...watch.tracks.values()].reduce((a, t) => a + t.bytes, 0);
    samples.push({ t: Math.round(elapsed / 1000), kib, delivered });
    console.error(`# t=${Math.round(elapsed / 1000)} s RSS ${mb(kib)} MiB, delivered ${(delivered / 1e6).toFixed(0)} MB`);
    if (kib === null) throw new Error('the engine process is gone');
    if (watch.dropped()) throw new Error(`the engine closed the event socket: ${JSON.stringify(watch.dropped())}`);
    if (elapsed >= SECONDS * 1000) break;
    await sleep(Math.min(EVERY_MS, SECONDS * 1000 - elapsed) || EVERY_MS);
  }
  for (const id of ids) await call(engine, { op: 'stopSession', session: id }).catch(() => {});

  const first = samples[0];
  const afterMinute = samples.find((s) => s.t >= 60) || samples[samples.length - 1];
  const last = samples[samples.length - 1];
  const max = samples.reduce((a, s) => (s.kib > a.kib ? s : a), first);
  const drift = (last.kib - afterMinute.kib) / afterMinute.kib;
  const ok = Math.abs(drift) <= 0.1;
  const gaps = [...watch.tracks.values()].reduce((a, t) => a + t.gaps.length, 0);
  const delivered = last.delivered;

  console.log(`### engine RSS, ${SESSIONS} sessions × ${RATE / 1e6} MB/s of output for ${SECONDS} s, one WebSocket client draining\n`);
  console.log(
    table(
      ['idle (before sessions)', 'first sample', `after 1 min (t=${afterMinute.t} s)`, `max (t=${max.t} s)`, `last (t=${last.t} s)`, 'last vs 1 min', 'within 10 %'],
      [[`${mb(idle)} MiB`, `${mb(first.kib)} MiB`, `${mb(afterMinute.kib)} MiB`, `${mb(max.kib)} MiB`, `${mb(last.kib)} MiB`, `${(drift * 100).toFixed(1)} %`, ok ? 'yes' : 'NO']],
    ),
  );
  console.log(
    `\ndelivered ${(delivered / 1e6).toFixed(0)} MB over the socket (${(delivered / 1e6 / (last.t || 1)).toFixed(2)} MB/s in all), offset gaps: ${gaps}`,
  );
  console.log(`samples (s: MiB): ${samples.map((s) => `${s.t}: ${mb(s.kib)}`).join(', ')}`);
  console.log(`\ncommand: node tests/terminal/rss.bench.mjs --seconds ${SECONDS} --sessions ${SESSIONS} --rate-mb ${RATE / 1e6} (AIRLOCK_BIN=${process.env.AIRLOCK_BIN})`);
  // --quick (CI): fail only on lost or reordered output, not on the memory figure.
  process.exitCode = (opts.quick || ok) && gaps === 0 ? 0 : 1;
} finally {
  await watch?.close();
  await engine?.stop();
  await tmp.cleanup();
}
