// Bad input and broken surroundings, seen from the browser UI against the real
// `airlock serve`: each gets one clear line that says what happened and what
// to do, nothing typed or pending is lost, and the engine keeps answering.
// Also scripts/run.sh given a folder that does not exist.
//
//   node --test --test-concurrency=1 tests/browser/errors-ui.test.mjs

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AGENT, AIRLOCK_BIN, REPO, WAIT_MS, firstLine, launchBrowser, makeProject, openPage, terminate } from './helpers.mjs';
import { call } from '../terminal/lib.mjs';

/** The stages folder of the one project under $AIRLOCK_HOME. */
async function stagesDir(home) {
  const projects = join(home, 'projects');
  const [hash] = await readdir(projects);
  return join(projects, hash, 'stages');
}

const listOrEmpty = async (dir) => (existsSync(dir) ? readdir(dir) : []);

describe('error paths in the UI', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a command that does not exist: the form names it and says it is not found; nothing starts, the engine keeps going', async (t) => {
    const { tmp, engine, page, see, startAgent } = await openPage(t, browser, 'no-command');
    const typed = 'no-such-agent-4711 --model fast';
    await page.getByTestId('new-session-command').fill(typed);
    await page.getByTestId('new-session-name').fill('ghost');
    await page.getByTestId('new-session-start').click();
    const error = page.getByTestId('new-session-error');
    await see(error, 'the refusal under the new-session form');
    const text = (await error.innerText()).trim();
    assert.match(text, /no-such-agent-4711/, `the error names the command: ${JSON.stringify(text)}`);
    assert.match(text, /not found/, `the error says it is not found: ${JSON.stringify(text)}`);
    assert.match(text, /install it or give its full path/, `the error says what to do: ${JSON.stringify(text)}`);
    assert.ok(!text.includes('\n'), `one line: ${JSON.stringify(text)}`);

    // Nothing lost: what was typed is still there to correct.
    assert.equal(await page.getByTestId('new-session-command').inputValue(), typed);
    assert.equal(await page.getByTestId('new-session-name').inputValue(), 'ghost');
    // Nothing started, no stage left behind, and the form's error is not also a banner.
    assert.equal(await page.getByTestId('session-item').count(), 0, 'no session in the sidebar');
    assert.deepEqual(await listOrEmpty(await stagesDir(tmp.home)), [], 'no stage left for the refused command');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    const status = await call(engine, { op: 'status' });
    assert.deepEqual(status.sessions, [], 'the engine lists no session');

    // The engine still starts sessions, and typing clears the refusal.
    await page.getByTestId('new-session-name').fill('');
    await startAgent();
    assert.equal(await error.isVisible(), false, 'the refusal went away');
  });

  test("approving after the session's stage was deleted: a banner says so and what to do; the engine keeps answering", async (t) => {
    const { tmp, engine, page, see, until, startAgent, typeLine, projectText } = await openPage(t, browser, 'stage-gone');
    await startAgent();
    await typeLine(`printf 'kept\\n' > note.txt`);
    const file = page.locator('[data-testid="change-file"][data-path="note.txt"]');
    await see(file, 'the pending change for note.txt');
    const [session] = (await call(engine, { op: 'status' })).sessions;
    assert.ok(session.cwd.startsWith(await stagesDir(tmp.home)), `the session runs in a stage: ${session.cwd}`);

    await rm(session.cwd, { recursive: true, force: true });
    // The engine notices on its own (its stage watcher) and says so at once...
    const banner = page.getByTestId('error-banner').filter({ hasText: 'gone from disk' });
    await see(banner, 'an error banner saying the stage is gone, before any click');
    const text = (await banner.locator('.banner-text').innerText()).trim();
    assert.equal(text, `the stage of session ${session.id} is gone from disk; remove the session and start a new one`);
    // ...and the approval is refused with the same words: the banner counts the repeat.
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/call') && /"op":"approve"/.test(r.request().postData() ?? ''), { timeout: WAIT_MS });
    await file.getByTestId('hunk-approve').first().click();
    const reply = await (await answer).json();
    assert.deepEqual(reply.error, { code: 'notFound', message: text }, `the engine's answer to the approval: ${JSON.stringify(reply)}`);
    await until('the approval refused with the same message (×2 on the banner)', async () => (await banner.locator('.banner-count').innerText()).trim() === '×2');
    assert.equal(await banner.count(), 1, 'one banner for one message');
    await see(file, 'the change still listed after the refused approval');
    assert.equal(await projectText('note.txt'), null, 'nothing reached the project');

    // The engine keeps answering, and the advice works: remove it, start a new one.
    const status = await call(engine, { op: 'status' });
    assert.equal(status.sessions.length, 1);
    const item = page.locator(`[data-testid="session-item"][data-session-id="${session.id}"]`);
    await item.getByTestId('session-remove').click();
    const confirm = item.getByTestId('session-remove-confirm');
    await see(confirm, 'the "discard 1 pending change and remove?" confirmation');
    await confirm.click();
    await see(item, 'the session gone after Remove', 'detached');
    await startAgent();
    await until('a second session running', async () => (await call(engine, { op: 'status' })).sessions.some((s) => s.id !== session.id && s.state === 'running'));
  });
});

/**
 * `airlock serve` on `listen` (helpers' startEngine always takes a free port;
 * this one can come back on the same port after a stop).
 */
async function serveOn({ project, home }, listen) {
  const child = spawn(AIRLOCK_BIN, ['serve', '--project', project, '--listen', listen], {
    cwd: project,
    env: { ...process.env, AIRLOCK_HOME: home, SHELL: '/bin/bash' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  let line;
  try {
    line = await firstLine(child.stdout, WAIT_MS, `the URL from airlock serve --listen ${listen}`);
  } catch (err) {
    await terminate(child);
    throw new Error(`${err.message}\n${stderr}`);
  }
  child.stdout.resume();
  const m = /^(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([0-9a-f]+)$/.exec(line);
  assert.ok(m, `a URL with a token: ${line}`);
  return { url: line, origin: m[1], port: Number(m[2]), token: m[3], child, stderr: () => stderr, stop: () => terminate(child) };
}

describe('the engine going away under an open page', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('stopping airlock serve shows the connection banner and keeps the page; serve again, the page says its token is dead, the new URL shows the session', async (t) => {
    const tmp = await makeProject('serve-restart');
    t.after(() => tmp.cleanup());
    let engine = await serveOn(tmp, '127.0.0.1:0');
    t.after(() => engine.stop());
    const page = await browser.context.newPage();
    t.after(() => page.close().catch(() => {}));
    const rows = () => page.locator('[data-testid="terminal"] .xterm-rows').innerText();
    await page.goto(engine.url);
    await page.getByTestId('new-session-command').fill(AGENT);
    await page.getByTestId('new-session-start').click();
    const item = page.locator('[data-testid="session-item"]').first();
    await item.waitFor({ timeout: WAIT_MS });
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo "before-$((40+2))"');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^before-42\s*$/m.test(document.querySelector('[data-testid="terminal"] .xterm-rows')?.innerText ?? ''), null, { timeout: WAIT_MS });
    const banner = page.getByTestId('connection-banner');
    assert.equal(await banner.isVisible(), false, 'no connection banner while the engine runs');

    await engine.stop();
    await banner.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await banner.innerText(), /Engine not reachable — is airlock serve still running\? Reconnecting…/);
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'the connection banner says it alone, no error banners');
    assert.equal(await item.isVisible(), true, 'the session is still listed');
    assert.match(await rows(), /^before-42\s*$/m, 'the terminal still shows its output');

    // The same port again: a new engine, with a new token. Opening the URL it prints
    // (in the same tab) shows the session from before, exited, with its output.
    const port = new URL(engine.origin).port;
    engine = await serveOn(tmp, `127.0.0.1:${port}`);
    assert.equal(String(engine.port), port, 'the same port');
    // Left as it is, the page finds the engine but its token refused: it says so,
    // and what to do, instead of promising a reconnect that cannot happen.
    const refused = page.getByTestId('token-banner');
    await refused.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await refused.innerText(), /access token no longer works: open the new URL that airlock serve printed/);
    assert.equal(await banner.isVisible(), false, 'no "Reconnecting…" once the token is known to be dead');
    await page.goto(engine.url);
    assert.equal(await refused.isVisible(), false, 'the new URL works');
    await banner.waitFor({ state: 'hidden', timeout: WAIT_MS });
    const again = page.locator('[data-testid="session-item"]').first();
    await again.waitFor({ timeout: WAIT_MS });
    assert.equal(await again.getAttribute('data-state'), 'exited', 'the session from before is listed, exited with the engine that ran it');
    await page.locator('[data-testid="session-item"] .session-select').first().click();
    await page.waitForFunction(() => /^before-42\s*$/m.test(document.querySelector('[data-testid="terminal"] .xterm-rows')?.innerText ?? ''), null, { timeout: WAIT_MS });
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banners');
  });
});

describe('scripts/run.sh', () => {
  test('a project folder that does not exist: one line on stderr, exit 1, nothing installed or built', async (t) => {
    const tmp = await makeProject('run-sh');
    t.after(() => tmp.cleanup());
    // Every installer and builder run.sh could reach records that it was called.
    const bin = join(tmp.root, 'bin');
    const log = join(tmp.root, 'called.log');
    await mkdir(bin);
    for (const tool of ['sudo', 'apt-get', 'apt', 'dpkg', 'dpkg-query', 'npm', 'npx', 'cargo', 'rustup', 'curl']) {
      await writeFile(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexit 0\n`);
      await chmod(join(bin, tool), 0o755);
    }
    const missing = join(tmp.root, 'no-such-project');
    const run = spawnSync('bash', [join(REPO, 'scripts', 'run.sh'), missing], {
      cwd: tmp.project,
      env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    assert.equal(run.status, 1, `exit code; stderr: ${run.stderr}`);
    assert.equal(run.stderr, `airlock: ${missing} does not exist: pass an existing folder (or run from your project)\n`);
    assert.equal(run.stdout, '');
    assert.equal(existsSync(log) ? await readFile(log, 'utf8') : '', '', 'nothing was installed or built');
  });
});
