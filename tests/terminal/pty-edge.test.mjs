// PTY edge cases end to end: the real `airlock serve`, the real UI in Debian's
// headless Chromium, xterm.js's DOM renderer. A UTF-8 character split across
// PTY reads, 256-colour and truecolor SGR, bracketed paste and mouse reports
// reaching the program in the session, and the environment a session gets.
//
//   node --test --test-concurrency=1 tests/terminal/pty-edge.test.mjs
//   (AIRLOCK_BIN overrides target/debug/airlock; the UI must be built: npm run build)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AIRLOCK_BIN, WAIT_MS, launchBrowser, makeProject, openPage, readOrNull, startEngine } from '../browser/helpers.mjs';
import { call, watchSessions } from './lib.mjs';

/**
 * A program that puts its terminal in raw mode, turns on a mode (bracketed
 * paste, or mouse reports in SGR encoding), says READY, and records every
 * byte it reads, with the terminal size at that moment, as JSON in `out`
 * (rewritten after each read, so a failure shows what did arrive). It stops
 * once it has a whole paste or a whole click (press and release), or after 30 s.
 */
const PROBE = String.raw`
import json, os, re, select, signal, sys, termios, time, tty
out, mode = sys.argv[1], sys.argv[2]
on, off, done = {
    "paste": ("\x1b[?2004h", "\x1b[?2004l", rb"\x1b\[201~"),
    "mouse": ("\x1b[?1000h\x1b[?1006h", "\x1b[?1006l\x1b[?1000l", rb"\x1b\[<\d+;\d+;\d+M.*\x1b\[<\d+;\d+;\d+m"),
}[mode]
got = b""
def record(*_):
    cols, rows = os.get_terminal_size(0)
    with open(out + ".tmp", "w") as f:
        json.dump({"hex": got.hex(), "cols": cols, "rows": rows}, f)
    os.replace(out + ".tmp", out)
saved = termios.tcgetattr(0)
tty.setraw(0)
try:
    record()
    signal.signal(signal.SIGWINCH, record)
    # Raw mode turns off output processing too: say \r\n.
    os.write(1, (on + "PROBE-" + "READY " + mode + "\r\n").encode())
    deadline = time.time() + 30
    while time.time() < deadline:
        if not select.select([0], [], [], 0.2)[0]:
            continue
        got += os.read(0, 4096)
        record()
        if re.search(done, got, re.S):
            break
finally:
    os.write(1, off.encode())
    termios.tcsetattr(0, termios.TCSADRAIN, saved)
`;

/** Starts `python3 probe.py OUT MODE` from the new-session form and waits for READY in its terminal. */
async function startProbe(ctx, mode) {
  const { tmp, engine, page, see, seeInTerminal } = ctx;
  const script = join(tmp.root, 'probe.py');
  await writeFile(script, PROBE);
  // The probe is sandboxed like any session: it writes its record into its stage.
  const name = `probe-${mode}.json`;
  await page.getByTestId('new-session-command').fill(`python3 ${script} ${name} ${mode}`);
  await page.getByTestId('new-session-start').click();
  await see(page.locator('[data-testid="session-item"][data-state="running"]'), `the ${mode} probe running in the sidebar`);
  await see(page.getByTestId('terminal'), `the terminal of the ${mode} probe`);
  // xterm parsed the mode before READY, which the probe wrote after it.
  await seeInTerminal(`the ${mode} probe's READY line`, (text) => text.includes(`PROBE-READY ${mode}`));
  const [session] = (await call(engine, { op: 'status' })).sessions.filter((s) => s.state === 'running');
  const out = join(session.cwd, name);
  const got = async () => {
    const raw = await readOrNull(out);
    return raw ? JSON.parse(raw.toString('utf8')) : null;
  };
  return { out, got };
}

/** Bytes as a readable string: printable ASCII as is, everything else as \xNN. */
const show = (buf) => [...buf].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');

describe('PTY edge cases through airlock serve and the UI', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('UTF-8 characters split across PTY reads render whole in xterm, live and after a reload', { timeout: 60_000 }, async (t) => {
    const ctx = await openPage(t, browser, 'utf8-split');
    const { engine, page, startAgent, typeLine, seeInTerminal, see } = ctx;
    const watch = await watchSessions(engine);
    t.after(() => watch.close());
    await startAgent();
    // € is e2 82 ac, 😀 is f0 9f 98 80: each printed in pieces 300 ms apart.
    await typeLine(String.raw`printf 'A\xe2\x82'; sleep 0.3; printf '\xacB\xf0\x9f'; sleep 0.3; printf '\x98'; sleep 0.3; printf '\x80C\n'`);
    const line = (text) => text.split('\n').some((l) => l.trim() === 'A€B😀C');
    await seeInTerminal('the line "A€B😀C"', line);

    // The test means something only if the pieces reached the page as separate frames.
    const id = await page.locator('[data-testid="session-item"]').first().getAttribute('data-session-id');
    const frames = watch.tracks.get(id)?.kept ?? [];
    const endsWith = (f, bytes) => f.length >= bytes.length && Buffer.from(bytes).equals(f.subarray(f.length - bytes.length));
    const splitAt = (head, tail) =>
      frames.some((f, i) => endsWith(f, head) && i + 1 < frames.length && frames[i + 1].subarray(0, tail.length).equals(Buffer.from(tail)));
    assert.ok(
      splitAt([0x41, 0xe2, 0x82], [0xac]) && splitAt([0xf0, 0x9f], [0x98]) && splitAt([0x98], [0x80]),
      `the output frames were not split inside the characters: ${frames.map((f) => show(f)).join(' | ')}`,
    );
    assert.ok(!(await page.locator('[data-testid="terminal"] .xterm-rows').innerText()).includes('\ufffd'), 'no U+FFFD replacement character');

    // The scrollback holds the bytes whole: the reload draws the same line.
    await page.reload();
    await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
    await see(page.getByTestId('terminal'), 'the terminal after the reload');
    await seeInTerminal('"A€B😀C" again after the reload', line);
  });

  test('256-colour and truecolor SGR colour the cells xterm draws', { timeout: 45_000 }, async (t) => {
    const { page, startAgent, typeLine, seeInTerminal } = await openPage(t, browser, 'sgr');
    await startAgent();
    // The words are built by the shell so that the echoed command line never holds them.
    await typeLine(
      String.raw`w=WORD; printf '\e[38;5;196m%s1\e[0m \e[48;5;21m%s2\e[0m \e[38;2;255;128;0m%s3\e[0m \e[48;2;0;128;255m%s4\e[0m \e[1;38;2;1;2;3;48;5;226m%s5\e[0m\n' $w $w $w $w $w`,
    );
    await seeInTerminal('the coloured words', (text) => /^WORD1 WORD2 WORD3 WORD4 WORD5\s*$/m.test(text));
    const cells = await page.evaluate(() => {
      const out = {};
      for (const span of document.querySelectorAll('[data-testid="terminal"] .xterm-rows span')) {
        const text = span.textContent;
        if (!/^WORD\d$/.test(text)) continue;
        const cs = getComputedStyle(span);
        out[text] = { color: cs.color, background: cs.backgroundColor, weight: cs.fontWeight, classes: span.className, style: span.getAttribute('style') };
      }
      return out;
    });
    const detail = JSON.stringify(cells, null, 1);
    assert.equal(cells.WORD1?.color, 'rgb(255, 0, 0)', `colour 196 of the 256-colour palette is #ff0000: ${detail}`);
    assert.equal(cells.WORD2?.background, 'rgb(0, 0, 255)', `background 21 is #0000ff: ${detail}`);
    assert.equal(cells.WORD3?.color, 'rgb(255, 128, 0)', `truecolor foreground 255;128;0: ${detail}`);
    assert.equal(cells.WORD4?.background, 'rgb(0, 128, 255)', `truecolor background 0;128;255: ${detail}`);
    assert.equal(cells.WORD5?.color, 'rgb(1, 2, 3)', `truecolor with bold and a 256-colour background: ${detail}`);
    assert.equal(cells.WORD5?.background, 'rgb(255, 255, 0)', `background 226 is #ffff00: ${detail}`);
    assert.ok(Number(cells.WORD5?.weight) >= 600, `bold drawn bold: ${detail}`);
    // After SGR 0 the default colours are back: the spaces between words carry no colour.
    const plain = await page.evaluate(() => {
      const row = [...document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div')].find((r) => /^WORD1 WORD2/.test(r.textContent));
      return row ? [...row.querySelectorAll('span')].filter((s) => s.textContent === ' ').map((s) => s.className + '|' + (s.getAttribute('style') ?? '')) : null;
    });
    for (const s of plain ?? []) assert.doesNotMatch(s, /xterm-(fg|bg)-|color/, `a reset cell is plain: ${s}`);
  });

  test('bracketed paste: a paste into xterm reaches the program inside \\e[200~ … \\e[201~', { timeout: 45_000 }, async (t) => {
    const ctx = await openPage(t, browser, 'paste');
    const probe = await startProbe(ctx, 'paste');
    const pasted = 'first line\nsecond €\r\nthird';
    await ctx.page.getByTestId('terminal').click();
    // xterm's own paste path: a paste event on its textarea, as the browser sends for Ctrl+V.
    await ctx.page.locator('[data-testid="terminal"] .xterm-helper-textarea').evaluate((ta, text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, pasted);
    // Wait for the last pasted word, then a moment for a closing bracket, so a failure shows what came.
    await ctx.until('the pasted text reaching the probe', async () => Buffer.from((await probe.got())?.hex ?? '', 'hex').includes('third'));
    await ctx.page.waitForTimeout(300);
    const got = await probe.got();
    // xterm sends a pasted line break as \r, as a terminal's Enter.
    const want = Buffer.from('\x1b[200~first line\rsecond €\rthird\x1b[201~');
    const bytes = Buffer.from(got.hex, 'hex');
    assert.ok(bytes.equals(want), `the program read ${show(bytes)}, expected ${show(want)}`);
    await ctx.seeInTerminal('the probe exiting', (text) => text.includes('[process exited with code 0]'));
  });

  test('mouse: a click in the terminal reaches the program as an SGR mouse report of that cell', { timeout: 45_000 }, async (t) => {
    const ctx = await openPage(t, browser, 'mouse');
    const probe = await startProbe(ctx, 'mouse');
    const screen = ctx.page.locator('[data-testid="terminal"] .xterm-screen');
    // The probe logs the PTY size (at start and on every SIGWINCH); xterm's screen is
    // exactly cols × rows cells, so the size cuts it into the grid the report counts in.
    const rowsDrawn = () => ctx.page.locator('[data-testid="terminal"] .xterm-rows > div').count();
    const size = await ctx.until('the PTY size the probe sees to match the rows xterm draws', async () => {
      const g = await probe.got();
      return g && g.rows === (await rowsDrawn()) ? g : null;
    });
    // The cell in column 10, row 5 (1-based, as the report counts).
    const col = 10;
    const row = 5;
    assert.ok(size.cols > col && size.rows > row, `a terminal larger than ${col}×${row}: ${size.cols}×${size.rows}`);
    const box = await screen.boundingBox();
    const x = ((col - 0.5) * box.width) / size.cols;
    const y = ((row - 0.5) * box.height) / size.rows;
    await screen.click({ position: { x, y } });
    // Wait for the first byte, then a moment for the release, so a failure shows what came.
    await ctx.until('a mouse report reaching the probe', async () => (await probe.got())?.hex);
    await ctx.page.waitForTimeout(500);
    const got = await probe.got();
    const text = Buffer.from(got.hex, 'hex').toString('latin1');
    assert.equal(text, `\x1b[<0;${col};${row}M\x1b[<0;${col};${row}m`, `the program read ${show(Buffer.from(text, 'latin1'))}`);
  });
});

describe('the environment of a session', () => {
  let tmp;
  let engine;
  before(async () => {
    tmp = await makeProject('session-env');
    engine = await startEngine(tmp);
  });
  after(async () => {
    await engine?.stop();
    await tmp?.cleanup();
  });

  /** Runs `airlock hook claude` for a Write into `dir`, with `env`; resolves with its JSON answer. */
  const hook = (env, dir) => {
    const input = JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Write',
      tool_input: { file_path: join(dir, 'hooked.txt'), content: 'x\n' },
      tool_use_id: 't-1',
      cwd: dir,
    });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_')));
    const out = execFileSync(AIRLOCK_BIN, ['hook', 'claude'], { input, env: { ...clean, ...env }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: WAIT_MS });
    return JSON.parse(out).hookSpecificOutput;
  };

  test('TERM, COLORTERM, AIRLOCK_SESSION, AIRLOCK_SOCKET, AIRLOCK_TOKEN and TMPDIR hold what the engine means, and a staged session has no AIRLOCK_PROJECT', { timeout: 45_000 }, async () => {
    const watch = await watchSessions(engine);
    try {
      // Sandboxed, a session writes only in its stage: the dump goes there.
      const start = async (name) => {
        const info = await call(engine, {
          op: 'startSession',
          command: ['python3', '-c', 'import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], "w"))', 'env.json'],
          name,
          cols: 80,
          rows: 24,
        });
        const exit = await watch.waitExit(info.id, WAIT_MS, `session ${name} exits after writing its environment`);
        assert.equal(exit.exitCode, 0, `session ${name} exited ${exit.exitCode}: ${watch.tracks.get(info.id)?.text()}`);
        return { info, env: JSON.parse(await readFile(join(info.cwd, 'env.json'), 'utf8')) };
      };
      const a = await start('env-a');
      const b = await start('env-b');
      const env = a.env;

      assert.equal(env.TERM, 'xterm-256color');
      assert.equal(env.COLORTERM, 'truecolor');
      assert.equal(env.AIRLOCK_SESSION, a.info.id, 'AIRLOCK_SESSION is the session id');
      assert.match(env.AIRLOCK_SESSION, /^s-[0-9a-f]{10}$/);
      assert.equal(env.AIRLOCK_PROJECT, undefined, 'a staged session is not told where the project is');
      assert.equal(env.TMPDIR, join(realpathSync(tmp.home), 'projects', readdirSync(join(realpathSync(tmp.home), 'projects'))[0], 'tmp', a.info.id), 'TMPDIR is its own');

      // The socket is the agents' door: $AIRLOCK_HOME/projects/<hash>/hook.sock, 0600,
      // beside the engine's own (engine.sock, named in engine.json), which a session never gets.
      const projects = join(realpathSync(tmp.home), 'projects');
      const [hash, ...more] = readdirSync(projects);
      assert.deepEqual(more, [], 'one project folder under $AIRLOCK_HOME/projects');
      assert.equal(env.AIRLOCK_SOCKET, join(projects, hash, 'hook.sock'));
      const st = statSync(env.AIRLOCK_SOCKET);
      assert.ok(st.isSocket(), `${env.AIRLOCK_SOCKET} is a socket`);
      assert.equal(st.mode & 0o777, 0o600, 'the socket is 0600');
      const info = JSON.parse(await readFile(join(projects, hash, 'engine.json'), 'utf8'));
      assert.equal(info.socket, join(projects, hash, 'engine.sock'), 'engine.json names the engine\'s own socket');
      assert.notEqual(info.socket, env.AIRLOCK_SOCKET, 'a session is not given the engine\'s socket');

      // The token is the session's own hook token: not the engine's, not another session's.
      assert.match(env.AIRLOCK_TOKEN, /^[0-9a-f]{64}$/);
      assert.notEqual(env.AIRLOCK_TOKEN, engine.token, 'a session never gets the API token');
      assert.notEqual(env.AIRLOCK_TOKEN, b.env.AIRLOCK_TOKEN, 'each session has its own token');
      assert.equal(b.env.AIRLOCK_SESSION, b.info.id);

      // And the engine accepts exactly that triple: a Write into the stage passes...
      const triple = (e) => ({ AIRLOCK_SOCKET: e.AIRLOCK_SOCKET, AIRLOCK_TOKEN: e.AIRLOCK_TOKEN, AIRLOCK_SESSION: e.AIRLOCK_SESSION });
      const ok = hook(triple(env), a.info.cwd);
      assert.equal(ok.permissionDecision, 'allow', `the hook with the session's variables: ${JSON.stringify(ok)}`);
      assert.match(ok.permissionDecisionReason, /holds edits in the stage/);
      // ...another session's token for this session is refused, and so is a changed one.
      for (const token of [b.env.AIRLOCK_TOKEN, env.AIRLOCK_TOKEN.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
        const refused = hook({ ...triple(env), AIRLOCK_TOKEN: token }, a.info.cwd);
        assert.equal(refused.permissionDecision, 'deny', `a wrong token: ${JSON.stringify(refused)}`);
        assert.match(refused.permissionDecisionReason, /refused the hook's token/);
      }
    } finally {
      await watch.close();
    }
  });
});
