// Benchmark: `cat` of a 256 MB text file through an Airlock session to a
// connected WebSocket client, against the raw PTY read rate measured here too.
// Target: Airlock delivers ≥ 90 % of the raw rate, byte for byte the same.
//
//   node tests/terminal/throughput.bench.mjs [--mb 256] [--runs 5] [--verify] [--spin]
//
// Each run reads the raw PTY, then Airlock, back to back; the verdict is on
// the median ratio (single runs scatter by ±10 % on a 2-core VM).
//
// --spin (a what-if, not the verdict): a busy loop at the lowest priority
// keeps one CPU awake through every run. Both readers hand each 4 KiB to and
// from the kernel's tty worker; on a VM, waking an idle virtual CPU for each
// hand-off is what bounds both rates, and this shows by how much.
//
// Uses target/release/airlock unless AIRLOCK_BIN is set. Prints a markdown table.

import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
process.env.AIRLOCK_BIN ||= join(REPO, 'target', 'release', 'airlock');

const { makeProject, median: medianOf, startEngine } = await import('../browser/helpers.mjs');
const { args, call, makeTextFile, OutputTrack, openEvents, sleep, table } = await import('./lib.mjs');

const opts = args();
const MB = Number(opts.mb || 256);
const RUNS = Number(opts.runs || 5);
const SPIN = !!opts.spin;
// --verify: hash every frame to compare the bytes, not only their count (costs
// the client a CPU second or so per 256 MB, which a 2-core machine feels).
const VERIFY = !!opts.verify;
const MODE = 'staged'; // `cat` has no gate, so the engine runs it staged only
const COLS = 120;
const ROWS = 40;
const mbps = (bytes, s) => bytes / 1e6 / s;
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

function rawRead(file) {
  const out = execFileSync('python3', [join(HERE, 'pty-read.py'), '--cols', String(COLS), '--rows', String(ROWS), '--', 'cat', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out);
}

async function throughAirlock(engine, pid, file, timeoutMs) {
  const track = new OutputTrack({ hash: VERIFY ? createHash('sha256') : null });
  let session = null;
  let exited = null;
  let afterExit = 0; // bytes that arrived after sessionExited
  const early = []; // events for our session before we knew its id
  const onEvent = (ev) => {
    if (session === null) {
      early.push(ev);
      return;
    }
    handle(ev);
  };
  const handle = (ev) => {
    if (ev.session !== session && ev.session?.id !== session) return;
    if (ev.type === 'output') {
      track.feed(ev.offset, ev.bytes);
      if (exited) afterExit += ev.bytes.length;
    } else if (ev.type === 'sessionExited' && !exited) {
      exited = { at: performance.now(), exitCode: ev.exitCode };
    }
  };
  const ws = await openEvents(engine, { onEvent });
  let lagClosed = null;
  ws.closed.then((c) => {
    if (!c.byUs) lagClosed = c;
  });
  const cpu0 = cpuSeconds(pid);
  const me0 = process.cpuUsage();
  const t0 = performance.now();
  const info = await call(engine, { op: 'startSession', command: ['cat', file], mode: MODE, cols: COLS, rows: ROWS, name: 'cat' });
  session = info.id;
  for (const ev of early.splice(0)) handle(ev);
  const deadline = Date.now() + timeoutMs;
  while (!exited && !lagClosed && Date.now() < deadline) await sleep(20);
  // Anything still in flight after the exit event?
  const settle = Date.now() + 1000;
  let last = track.bytes;
  while (Date.now() < settle) {
    await sleep(100);
    if (track.bytes === last) break;
    last = track.bytes;
  }
  const engineCpu = cpuSeconds(pid) - cpu0;
  const me = process.cpuUsage(me0);
  const clientCpu = (me.user + me.system) / 1e6;
  const sb = await call(engine, { op: 'readScrollback', session });
  await ws.close();
  return {
    session,
    engineCpu,
    clientCpu,
    bytes: track.bytes,
    frames: track.frames,
    first: track.first,
    gaps: track.gaps,
    sha256: track.hash ? track.hash.digest('hex') : null,
    seconds: exited ? (exited.at - t0) / 1000 : null,
    firstByteMs: track.firstAt !== null ? track.firstAt - t0 : null,
    lastByteS: track.lastAt !== null ? (track.lastAt - t0) / 1000 : null,
    exitCode: exited?.exitCode,
    afterExit,
    lagClosed,
    scrollbackEnd: sb.end,
    scrollbackBytes: Buffer.byteLength(sb.data, 'base64'),
  };
}

const tmp = await makeProject('throughput');
let engine;
const spinner = SPIN ? spawn('nice', ['-n', '19', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
try {
  const file = join(tmp.root, `lines-${MB}mb.txt`);
  const made = makeTextFile(file, MB * 1024 * 1024);
  const expectedPty = made.bytes + made.lines; // ONLCR: every \n becomes \r\n
  console.error(`# ${file}: ${made.bytes} bytes, ${made.lines} lines → ${expectedPty} bytes through a PTY`);
  engine = await startEngine(tmp);
  const status = await call(engine, { op: 'status' });
  console.error(`# engine ${process.env.AIRLOCK_BIN} pid ${status.pid}, session mode ${MODE}`);

  const rows = [];
  const problems = [];
  const ratios = [];
  for (let run = 1; run <= RUNS; run++) {
    const raw = rawRead(file);
    const rawRate = mbps(raw.bytes, raw.seconds);
    const a = await throughAirlock(engine, status.pid, file, 300_000);
    const rate = a.seconds ? mbps(a.bytes, a.seconds) : 0;
    const ratio = rate / rawRate;
    ratios.push(ratio);
    rows.push([
      String(run),
      `${raw.bytes}`,
      rawRate.toFixed(1),
      `${a.bytes}`,
      a.seconds ? rate.toFixed(1) : 'no exit',
      `${(ratio * 100).toFixed(1)} %`,
      a.bytes !== raw.bytes ? 'NO' : !VERIFY ? 'count' : a.sha256 === raw.sha256 ? 'sha256' : 'NO',
      a.gaps.length === 0 && a.first === 0 ? 'none' : `${a.gaps.length} (first offset ${a.first})`,
      a.firstByteMs !== null ? a.firstByteMs.toFixed(0) : '-',
      String(a.frames),
      `${a.engineCpu.toFixed(1)} / ${a.clientCpu.toFixed(1)}`,
    ]);
    if (raw.bytes !== expectedPty) problems.push(`run ${run}: the raw reader saw ${raw.bytes} bytes, expected ${expectedPty}`);
    if (a.bytes !== raw.bytes) problems.push(`run ${run}: Airlock delivered ${a.bytes} bytes, the raw reader saw ${raw.bytes}`);
    else if (VERIFY && a.sha256 !== raw.sha256) problems.push(`run ${run}: same length but different bytes (sha256 ${a.sha256} vs ${raw.sha256})`);
    if (a.gaps.length) problems.push(`run ${run}: offset gaps ${JSON.stringify(a.gaps.slice(0, 5))}`);
    if (a.first !== 0) problems.push(`run ${run}: the first output frame starts at offset ${a.first}, not 0`);
    if (a.afterExit) problems.push(`run ${run}: ${a.afterExit} bytes arrived after sessionExited`);
    if (a.lagClosed) problems.push(`run ${run}: the engine closed the event socket (${JSON.stringify(a.lagClosed)}) — the client lagged`);
    if (a.exitCode !== 0) problems.push(`run ${run}: cat exited ${a.exitCode}`);
    if (a.scrollbackEnd !== a.bytes) problems.push(`run ${run}: readScrollback end ${a.scrollbackEnd} ≠ bytes delivered ${a.bytes}`);
    if (raw.exit !== 0) problems.push(`run ${run}: raw cat exited ${raw.exit}`);
  }

  const sorted = [...ratios].sort((a, b) => a - b);
  const median = medianOf(ratios);
  console.log(`### cat ${MB} MB through a session (${MODE}) vs the raw PTY read rate\n`);
  console.log(
    table(
      ['run', 'raw bytes', 'raw MB/s', 'Airlock bytes', 'Airlock MB/s', 'ratio', 'bytes equal', 'offset gaps', 'first byte ms', 'frames', 'CPU s engine / client'],
      rows,
    ),
  );
  console.log(`\nmedian ratio ${(median * 100).toFixed(1)} % (runs ${sorted.map((r) => (r * 100).toFixed(1)).join(', ')}) — target ≥ 90 %: ${median >= 0.9 ? 'met' : 'NOT met'}`);
  console.log(`MB = 10^6 bytes; Airlock time runs from the startSession request to the sessionExited event.`);
  if (problems.length) console.log(`\nproblems:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  console.log(`\ncommand: node tests/terminal/throughput.bench.mjs --mb ${MB} --runs ${RUNS}${VERIFY ? ' --verify' : ''}${SPIN ? ' --spin' : ''} (AIRLOCK_BIN=${process.env.AIRLOCK_BIN})`);
  process.exitCode = problems.length ? 1 : 0;
} finally {
  spinner?.kill('SIGKILL');
  await engine?.stop();
  await tmp.cleanup();
}
