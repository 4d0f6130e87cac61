// Terminal sessions end to end against the real `airlock serve`: many sessions
// streaming at once arrive byte for byte and in order, full-screen programs
// work, and the scrollback survives reloading the page.
//
//   node --test tests/terminal/sessions.test.mjs      (AIRLOCK_BIN overrides target/debug/airlock)

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { WAIT_MS, launchBrowser, makeProject, startEngine, waitUntil } from '../browser/helpers.mjs';
import { OutputTrack, call, watchSessions } from './lib.mjs';

const SESSIONS = 8;
const BYTES_EACH = 20 * 1024 * 1024;
const FILLER = 'abcdefghijklmnopqrstuvwxyz-0123456789';

/** One line of session `k`'s stream; every line of a session has the same length. */
const line = (k, n) => `session-${k} line-${String(n).padStart(8, '0')} ${FILLER}\n`;
const lineCount = (k) => Math.ceil(BYTES_EACH / line(k, 0).length);

/** Prints exactly the lines `line(k, 0…count-1)` to stdout, in large writes. */
const GENERATOR = `
import sys
k, count = int(sys.argv[1]), int(sys.argv[2])
filler = ${JSON.stringify(FILLER)}
out = sys.stdout.buffer
for start in range(0, count, 2000):
    out.write("".join("session-%d line-%08d %s\\n" % (k, n, filler) for n in range(start, min(start + 2000, count))).encode())
out.flush()
`;

/**
 * The bytes session `k` should deliver: raw sessions ran `stty raw -echo`
 * first, the others keep the default termios, whose ONLCR turns \n into \r\n.
 */
function expectedStream(k, raw) {
  const count = lineCount(k);
  const parts = [];
  for (let start = 0; start < count; start += 10000) {
    let s = '';
    for (let n = start; n < Math.min(start + 10000, count); n++) s += line(k, n);
    parts.push(Buffer.from(raw ? s : s.replaceAll('\n', '\r\n')));
  }
  return Buffer.concat(parts);
}

describe('terminal sessions through airlock serve', () => {
  let tmp;
  let engine;
  before(async () => {
    tmp = await makeProject('terminal');
    engine = await startEngine(tmp);
  });
  after(async () => {
    await engine?.stop();
    await tmp?.cleanup();
  });

  test(`${SESSIONS} concurrent sessions × 20 MB: every byte arrives, in order, per session`, { timeout: 45_000 }, async () => {
    const watch = await watchSessions(engine, () => new OutputTrack({ hash: createHash('sha256') }));
    try {
      const started = await Promise.all(
        Array.from({ length: SESSIONS }, async (_, k) => {
          const raw = k % 2 === 0;
          const script = `${raw ? 'stty raw -echo && ' : ''}exec python3 -c "$1" "$2" "$3"`;
          const info = await call(engine, {
            op: 'startSession',
            command: ['bash', '-c', script, 'gen', GENERATOR, String(k), String(lineCount(k))],
            // Byte delivery is what this tries; `stty raw` would wait at the exec gate.
            execGate: false,
            name: `gen-${k}`,
            cols: 120,
            rows: 40,
          });
          return { k, raw, id: info.id };
        }),
      );
      for (const s of started) {
        const exit = await watch.waitExit(s.id, 30_000, `session ${s.k} (${s.id}) exits after printing 20 MB`);
        assert.equal(exit.exitCode, 0, `session ${s.k} exited ${exit.exitCode}`);
      }
      // Output sent just before the exit event may still be in the socket.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(watch.dropped(), null, 'the engine closed the event socket (it does when a client lags)');

      // Every session is checked before failing, so one run shows the whole picture.
      const problems = [];
      for (const s of started) {
        const t = watch.tracks.get(s.id);
        const expected = expectedStream(s.k, s.raw);
        const label = `session ${s.k} ${s.id} (${s.raw ? 'stty raw' : 'default termios'})`;
        const bad = [];
        if (!t) {
          problems.push(`${label}: no output event at all`);
          continue;
        }
        if (t.first !== 0) bad.push(`the first frame starts at offset ${t.first}, not 0`);
        if (t.gaps.length) bad.push(`${t.gaps.length} offset gap(s), first ${JSON.stringify(t.gaps.slice(0, 3))}`);
        if (t.bytes !== expected.length) bad.push(`received ${t.bytes} of ${expected.length} bytes in ${t.frames} frames`);
        else if (t.hash.digest('hex') !== createHash('sha256').update(expected).digest('hex')) bad.push('the bytes differ from the expected stream');
        if (t.afterExit) bad.push(`${t.afterExit} bytes arrived after sessionExited`);
        const sb = await call(engine, { op: 'readScrollback', session: s.id });
        const data = Buffer.from(sb.data, 'base64');
        if (sb.end !== expected.length) bad.push(`readScrollback end ${sb.end} ≠ ${expected.length} bytes printed`);
        if (!(data.length > 0 && data.length <= expected.length && data.equals(expected.subarray(expected.length - data.length)))) {
          bad.push(`the scrollback (${data.length} bytes) is not the tail of the stream`);
        }
        if (bad.length) problems.push(`${label}: ${bad.join('; ')}`);
      }
      assert.deepEqual(
        problems,
        [],
        `output of ${SESSIONS} concurrent sessions did not arrive whole over one event socket:\n${problems.join('\n')}\n` +
          '(offset gaps mean the engine dropped output the socket had not sent yet)',
      );
    } finally {
      await watch.close();
    }
  });

  for (const { name, command, quit, exitSeq } of [
    { name: 'less', command: ['less', 'README.md'], quit: 'q', exitSeq: '\x1b[?1049l' },
    { name: 'vi (vim-tiny)', command: ['vi', '-u', 'NONE', 'README.md'], quit: ':q!\r', exitSeq: '\x1b[?1049l' },
  ]) {
    test(`a full-screen program: ${name} enters the alternate screen and quits with code 0`, { timeout: 30_000 }, async () => {
      const watch = await watchSessions(engine);
      try {
        const info = await call(engine, { op: 'startSession', command, name, cols: 100, rows: 30 });
        const text = () => watch.tracks.get(info.id)?.text() ?? '';
        await waitUntil(`${name} switches to the alternate screen (\\x1b[?1049h); output so far: ${JSON.stringify(text().slice(-400))}`, () =>
          text().includes('\x1b[?1049h'),
        );
        await waitUntil(`${name} shows README.md`, () => text().includes('Demo project'));
        assert.equal(watch.exits.has(info.id), false, `${name} exited before being asked to`);
        await new Promise((r) => setTimeout(r, 200)); // let it settle into reading keys
        await call(engine, { op: 'writeInput', session: info.id, data: quit });
        const exit = await watch.waitExit(info.id, WAIT_MS, `${name} exits after ${JSON.stringify(quit)}; output: ${JSON.stringify(text().slice(-400))}`);
        assert.equal(exit.exitCode, 0, `${name} exited with ${exit.exitCode}`);
        await new Promise((r) => setTimeout(r, 100));
        assert.ok(text().includes(exitSeq), `${name} left the alternate screen (${JSON.stringify(exitSeq)}) on quitting`);
        const t = watch.tracks.get(info.id);
        assert.deepEqual(t.gaps, [], `${name}: output offsets are not contiguous`);
        const status = await call(engine, { op: 'status' });
        const s = status.sessions.find((x) => x.id === info.id);
        assert.equal(s?.state, 'exited', `status lists ${name} as ${s?.state}`);
        assert.equal(s?.exitCode, 0);
      } finally {
        await watch.close();
      }
    });
  }

  test('the browser: a terminal line is still there after reloading the page', { timeout: 45_000 }, async (t) => {
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const page = await browser.context.newPage();
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const rows = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('[data-testid="terminal"]:not([hidden]) .xterm-rows > *')].map((r) => r.textContent).join('\n'),
      );
    const seeInTerminal = async (what, pred) => {
      let last = '';
      try {
        await waitUntil(what, async () => pred((last = await rows())));
      } catch (err) {
        throw new Error(`${err.message}\nthe terminal shows:\n${last}\npage errors: ${JSON.stringify(pageErrors)}\nengine stderr:\n${engine.stderr().slice(-1500)}`);
      }
    };

    await page.goto(engine.url);
    await page.getByTestId('new-session-command').fill('bash --norc --noprofile');
    await page.getByTestId('new-session-start').click();
    const item = page.locator('[data-testid="session-item"][data-state="running"]').filter({ hasText: 'bash' }).first();
    await item.waitFor({ state: 'visible', timeout: WAIT_MS });
    const id = await item.getAttribute('data-session-id');
    await page.getByTestId('terminal').first().waitFor({ state: 'visible', timeout: WAIT_MS });
    await seeInTerminal('the bash prompt', (text) => /[$#]\s*$/m.test(text));

    // The output line differs from the typed line, so seeing it proves the command ran.
    await page.locator('[data-testid="terminal"]:not([hidden])').click();
    await page.keyboard.type('echo marker-$((40+2))-XYZ');
    await page.keyboard.press('Enter');
    const output = (text) => text.split('\n').some((l) => l.trim() === 'marker-42-XYZ');
    await seeInTerminal('the output line "marker-42-XYZ"', output);

    await page.reload();
    await page.locator(`[data-testid="session-item"][data-session-id="${id}"]`).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
    await page.locator('[data-testid="terminal"]:not([hidden])').first().waitFor({ state: 'visible', timeout: WAIT_MS });
    // A long prompt (the stage's path) wraps the typed line at the page's width: look for it in the
    // rows joined end to end, as the terminal would if it were wider.
    const typed = (text) => text.replace(/\n/g, '').includes('echo marker-$((40+2))-XYZ');
    await seeInTerminal('"marker-42-XYZ" again after the reload (scrollback)', (text) => output(text) && typed(text));
    assert.deepEqual(pageErrors, [], 'no page errors');
    await call(engine, { op: 'stopSession', session: id });
  });
});
