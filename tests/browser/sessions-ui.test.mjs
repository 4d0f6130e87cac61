// Sessions in a real browser against the real engine: a named session's turn
// (running → idle), Stop, Restart, Remove with pending changes, gated refused
// for an agent without a gate, the leftover-stages banner, and the terminal's
// find bar and renderers.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AGENT, launchBrowser, openPage } from './helpers.mjs';

/** Records every `data-turn` a session's sidebar item shows, in order, from now on. */
async function recordTurns(page) {
  await page.evaluate(() => {
    window.__turns = [];
    const seen = () => {
      for (const li of document.querySelectorAll('[data-testid="session-item"]')) {
        const list = (window.__turns[li.dataset.sessionId] ||= []);
        if (list[list.length - 1] !== li.dataset.turn) list.push(li.dataset.turn);
      }
    };
    seen();
    new MutationObserver(seen).observe(document.querySelector('.session-list'), { childList: true, subtree: true, attributes: true });
  });
  return async (id) => page.evaluate((sid) => window.__turns[sid] ?? [], id);
}

/** Whether `want` occurs in `seen` in this order (other values may come between). */
function inOrder(seen, want) {
  let i = 0;
  for (const v of seen) if (v === want[i]) i++;
  return i === want.length;
}

describe('sessions', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a named session: running → idle, Stop, Restart, Remove with a pending change', async (t) => {
    const { page, see, until, seeInTerminal, typeLine, projectText } = await openPage(t, browser, 'lifecycle');
    const turns = await recordTurns(page);

    // Gated needs an agent with a gate: the engine refuses bash, and the form says why.
    await page.getByTestId('new-session-command').fill(AGENT);
    await page.getByTestId('new-session-mode').selectOption('gated');
    await see(page.getByTestId('new-session-hint').filter({ hasText: 'Claude Code only' }), 'the gated hint under the mode select');
    await page.getByTestId('new-session-start').click();
    await see(page.getByTestId('new-session-error').filter({ hasText: 'staged' }), "the engine's refusal of gated bash under the form");
    assert.equal(await page.getByTestId('session-item').count(), 0, 'no session was started');

    await page.getByTestId('new-session-mode').selectOption('staged');
    await page.getByTestId('new-session-name').fill('builder');
    await page.getByTestId('new-session-start').click();
    const item = page.locator('[data-testid="session-item"]', { hasText: 'builder' });
    await see(item, 'the session named "builder" in the sidebar');
    assert.equal(await page.getByTestId('new-session-error').isVisible(), false, 'the refusal went away');
    const id = await item.getAttribute('data-session-id');
    await see(page.getByTestId('terminal'), 'the terminal of the new session');
    await seeInTerminal('the bash prompt', (text) => /[$#]\s*$/m.test(text));
    await until('the turn going idle once bash waits at its prompt', async () => (await item.getAttribute('data-turn')) === 'idle');
    assert.ok(inOrder(await turns(id), ['running', 'idle']), `turns seen: ${await turns(id)}`);
    assert.match(await item.getByTestId('session-turn').innerText(), /idle/);

    // Stop.
    await item.getByTestId('session-stop').click();
    await until('the session exited after Stop', async () => (await item.getAttribute('data-state')) === 'exited' && (await item.getAttribute('data-turn')) === 'exited');
    await seeInTerminal('the exit notice', (text) => text.includes('[process exited'));

    // Restart: the same command in the same stage, and the terminal takes input again.
    await item.getByTestId('session-restart').click();
    await until('the session running again after Restart', async () => (await item.getAttribute('data-state')) === 'running');
    assert.ok(inOrder(await turns(id), ['running', 'idle', 'exited', 'running']), `turns seen: ${await turns(id)}`);
    await seeInTerminal('the [restarted] notice and a new prompt', (text) => /\[restarted\][\s\S]*[$#]\s*$/.test(text));
    await typeLine('echo "again-$((40+2))"');
    await seeInTerminal('the restarted bash answering', (text) => /^again-42\s*$/m.test(text));

    // A pending change: Remove asks first, then discards it with the stage.
    await typeLine(`printf 'scratch\\n' > scratch.txt`);
    await see(page.locator('[data-testid="change-file"][data-path="scratch.txt"]'), 'the pending change for scratch.txt');
    await until('the turn "waiting" with a change to review', async () => (await item.getAttribute('data-turn')) === 'waiting');
    assert.match(await item.getByTestId('session-turn').innerText(), /waiting for you/);
    await item.getByTestId('session-remove').click();
    const confirm = item.getByTestId('session-remove-confirm');
    await see(confirm, 'the inline "discard and remove?" confirmation');
    assert.match(await item.innerText(), /Discard 1 pending change and remove\?/);
    await confirm.click();
    await see(item, 'the session gone from the sidebar', 'detached');
    await see(page.locator('[data-testid="change-file"][data-path="scratch.txt"]'), 'its change gone from the review pane', 'detached');
    assert.equal(await projectText('scratch.txt'), null, 'the discarded file never reached the project');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('a session started from the CLI is listed, and the terminal pane says to choose it', async (t) => {
    const { engine, page, see, until } = await openPage(t, browser, 'cli-session');
    const empty = page.locator('.empty-terminal');
    await see(empty, 'the empty terminal pane');
    assert.match(await empty.innerText(), /No sessions yet/);
    // As `airlock run` does: the API, not this window.
    const res = await fetch(`${engine.origin}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${engine.token}` },
      body: JSON.stringify({ op: 'startSession', command: ['sleep', '600'], name: 'from-cli' }),
    });
    assert.ok('ok' in (await res.json()), 'the session started');
    await see(page.locator('[data-testid="session-item"]'), 'the session in the sidebar');
    await until('the pane saying to choose it', async () => /Choose a session on the left/.test(await empty.innerText()));
    await page.locator('[data-testid="session-item"] .session-select').first().click();
    await see(page.getByTestId('terminal'), 'its terminal once chosen');
    assert.equal(await empty.isVisible(), false, 'no empty-state text beside a terminal');
  });

  test('stages left by a crash: the banner offers to clean them up', async (t) => {
    const { tmp, page, see, until } = await openPage(t, browser, 'orphans');
    // The engine made its folder for this project when it started.
    const projects = join(tmp.home, 'projects');
    const [hash] = await readdir(projects);
    const orphan = join(projects, hash, 'stages', 's-orphan');
    await mkdir(orphan, { recursive: true });
    await writeFile(join(orphan, 'x'), 'y'.repeat(3000));
    await page.reload();
    const banner = page.getByTestId('orphans-banner');
    await see(banner, 'the leftover-stages banner after a reload');
    assert.match(await banner.innerText(), /1 stage left by a crash uses \d+(\.\d)? KB/);
    await banner.getByTestId('orphans-clean').click();
    await see(banner, 'the banner gone after Clean up', 'detached');
    await until('the leftover stage deleted', async () => !existsSync(orphan));

    // Nothing left: no banner on the next load.
    await page.reload();
    await see(page.getByTestId('new-session-command'), 'the page again');
    await page.waitForTimeout(500);
    assert.equal(await page.getByTestId('orphans-banner').count(), 0, 'no banner without leftover stages');
  });

  test('attention: always a notice in the page, a system notification once enabled', async (t) => {
    const { page, see, until, startAgent, typeLine } = await openPage(t, browser, 'attention', {
      // A stand-in for the browser's Notification, to see what the page asks of it; and a
      // page without the focus, as when the user is in their editor.
      init: () => {
        window.__notes = [];
        window.__asked = 0;
        class FakeNotification {
          static permission = 'default';
          static async requestPermission() {
            window.__asked++;
            FakeNotification.permission = 'granted';
            return 'granted';
          }
          constructor(title, opts) {
            window.__notes.push({ title, body: opts?.body ?? '' });
          }
          close() {}
        }
        window.Notification = FakeNotification;
        document.hasFocus = () => false;
      },
    });
    const enable = page.getByTestId('enable-notifications');
    await see(enable, '"Enable notifications" in the top bar');
    assert.equal(await page.evaluate(() => window.__asked), 0, 'no permission asked on load');
    await enable.click();
    await see(enable, 'the control gone once notifications are allowed', 'hidden');
    assert.equal(await page.evaluate(() => window.__asked), 1);

    await startAgent();
    await typeLine('exit 0');
    await see(page.getByTestId('attention-toast').filter({ hasText: 'bash finished' }), 'the "bash finished" notice in the page');
    await until('a system notification saying bash finished', async () =>
      (await page.evaluate(() => window.__notes)).some((n) => n.body === 'bash finished'),
    );
  });

  test('the terminal find bar finds a printed marker', async (t) => {
    const { page, see, until, startAgent, typeLine, seeInTerminal } = await openPage(t, browser, 'find');
    await startAgent();
    // Headless Chromium's GL is software (asked in a worker): the DOM renderer draws.
    const term = page.getByTestId('terminal');
    const why = await until('the GPU asked', async () => await term.getAttribute('data-renderer-why'));
    assert.match(why, /^GPU: none, or software$|^GPU: .*(SwiftShader|llvmpipe)/i, why);
    assert.equal(await term.getAttribute('data-renderer'), 'dom');
    await typeLine('for i in 1 2 3; do echo "row $i"; done; echo "MARK""ER-$((6*7))"; for i in 4 5 6; do echo "row $i"; done');
    await seeInTerminal('the marker', (text) => /^MARKER-42\s*$/m.test(text));

    await page.getByTestId('terminal').click();
    await page.keyboard.press('Control+f');
    const bar = page.getByTestId('terminal-find');
    await see(bar, 'the find bar after Ctrl+F in the terminal');
    const input = page.getByTestId('terminal-find-input');
    assert.ok(await input.evaluate((el) => el === document.activeElement), 'the find input has the focus');
    await input.fill('MARKER-42');
    const count = page.getByTestId('terminal-find-count');
    await until('"1 of 1" in the find bar', async () => (await count.innerText()).trim() === '1 of 1');

    // The command line holds "row $i" too: a regular expression tells the printed rows apart.
    await page.getByTestId('terminal-find-regex').click();
    await input.fill('row \\d');
    await until('six rows found', async () => /^\d of 6$/.test((await count.innerText()).trim()));
    const first = (await count.innerText()).trim();
    await input.press('Enter');
    await until('Enter moves to the next match', async () => (await count.innerText()).trim() !== first);
    await page.getByTestId('terminal-find-prev').click();
    await until('Previous moves back', async () => (await count.innerText()).trim() === first);

    await input.fill('no such text anywhere');
    await until('"No results"', async () => (await count.innerText()).trim() === 'No results');

    await input.press('Escape');
    await see(bar, 'the find bar closed after Esc', 'hidden');
    assert.ok(
      await page.evaluate(() => document.activeElement?.closest('[data-testid="terminal"]') !== null),
      'the terminal has the focus back',
    );
    // Ctrl+F went to the find bar, not to bash: typing still works.
    await typeLine('echo "after-$((1+1))"');
    await seeInTerminal('bash answering after the find bar closed', (text) => /^after-2\s*$/m.test(text));
  });

  test('dragging across the terminal selects text; output keeps the selection, a click clears it', async (t) => {
    const { page, until, startAgent, typeLine, seeInTerminal } = await openPage(t, browser, 'select');
    await startAgent();
    await typeLine('seq 1 3000; echo "DO""NE"');
    await seeInTerminal('the end of the numbers', (text) => /^DONE\s*$/m.test(text));
    // Output that comes while text is selected (typing would clear it).
    await typeLine('sleep 2; seq 1 5; echo "AGA""IN"');

    // Dragging across the rows selects: xterm draws the selection, and a click clears it.
    const box = await page.locator('[data-testid="terminal"] .xterm-screen').boundingBox();
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3, { steps: 5 });
    await page.mouse.up();
    const selected = page.locator('[data-testid="terminal"] .xterm-selection div');
    await until('the selection drawn', async () => (await selected.count()) > 0);
    // The output scrolls the selection along with its rows: still drawn.
    await seeInTerminal('more output', (text) => /^AGAIN\s*$/m.test(text));
    assert.ok((await selected.count()) > 0, 'the selection is still drawn after output scrolled it');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height - 5);
    await until('the selection cleared', async () => (await selected.count()) === 0);
  });

  test('an idle page opens a spare terminal, invisible, and the next session takes it clean', async (t) => {
    const { page, until, startAgent, typeLine, seeInTerminal } = await openPage(t, browser, 'spare');
    const spare = page.locator('.terminal-spare');
    await until('a spare xterm in the terminal pane', async () => (await spare.count()) === 1 && (await spare.locator('.xterm-rows').count()) === 1);
    assert.equal(await spare.evaluate((el) => getComputedStyle(el).visibility), 'hidden');
    await spare.evaluate((el) => {
      el.dataset['mark'] = 'was-spare';
    });

    await startAgent();
    const term = page.getByTestId('terminal');
    assert.equal(await term.getAttribute('data-mark'), 'was-spare', 'the session took the spare');
    assert.equal(await term.evaluate((el) => el.classList.contains('terminal-spare') || getComputedStyle(el).visibility !== 'visible'), false);
    // The characters it was warmed with are gone: the terminal shows the session only.
    assert.doesNotMatch(await term.locator('.xterm-rows').innerText(), /ABCDEFGHIJ/);
    await typeLine('echo "spare-$((40+2))"');
    await seeInTerminal('bash answering in the taken terminal', (text) => /^spare-42\s*$/m.test(text));
    await until('a new spare for the next session', async () => (await page.locator('.terminal-spare').count()) === 1);
  });

  test('output streaming across a page reload shows once: the scrollback and live output meet by offset', async (t) => {
    const { page, see, until, startAgent, typeLine, seeInTerminal } = await openPage(t, browser, 'reload-seam');
    await startAgent();
    const id = await page.locator('[data-testid="session-item"]').first().getAttribute('data-session-id');
    const LINES = 600;
    // A line every few milliseconds, so some are printed while the reloaded page loads the scrollback.
    await typeLine(`for i in $(seq 1 ${LINES}); do echo "seq-$i-end"; sleep 0.004; done; echo "DO""NE-$((40+2))"`);
    await seeInTerminal('the first lines', (text) => /^seq-\d+-end\s*$/m.test(text));
    await page.reload();
    await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
    await seeInTerminal('the loop finished', (text) => /^DONE-42\s*$/m.test(text));

    // Every line is in the terminal exactly once: none lost at the seam, none repeated.
    await page.getByTestId('terminal').click();
    await page.keyboard.press('Control+f');
    await page.getByTestId('terminal-find-regex').click();
    const input = page.getByTestId('terminal-find-input');
    const count = page.getByTestId('terminal-find-count');
    await input.fill('seq-\\d+-end');
    await until(`${LINES} lines found`, async () => new RegExp(`^\\d+ of ${LINES}$`).test((await count.innerText()).trim()));
    for (const n of [1, 300, LINES]) {
      await input.fill(`seq-${n}-end`);
      await until(`seq-${n}-end found once`, async () => (await count.innerText()).trim() === '1 of 1');
    }
  });

  test('WebGL when asked for, and back to the DOM renderer when its context is lost', async (t) => {
    const { page, see, until, seeInTerminal, typeLine } = await openPage(t, browser, 'webgl', {
      init: () => localStorage.setItem('airlock.terminalRenderer', 'webgl'),
    });
    await page.getByTestId('new-session-command').fill(AGENT);
    await page.getByTestId('new-session-start').click();
    const term = page.getByTestId('terminal');
    await until('the WebGL renderer in use', async () => (await term.getAttribute('data-renderer')) === 'webgl');
    await see(term.locator('.xterm-screen canvas').first(), "WebGL's canvas");
    // WebGL draws on a canvas: wait for bash by its turn instead of its text.
    await until('bash at its prompt', async () => (await page.getByTestId('session-item').getAttribute('data-turn')) === 'idle');
    await typeLine('echo "gl-$((2*21))"');
    await page.waitForTimeout(500);
    const lost = await page.evaluate(() => {
      for (const c of document.querySelectorAll('[data-testid="terminal"] canvas')) {
        const gl = c.getContext('webgl2');
        const ext = gl?.getExtension('WEBGL_lose_context');
        if (ext) {
          ext.loseContext();
          return true;
        }
      }
      return false;
    });
    assert.ok(lost, 'a WebGL context to lose');
    await until('the DOM renderer after the context was lost', async () => (await term.getAttribute('data-renderer')) === 'dom');
    // The DOM renderer draws what is in the buffer, including what came before.
    await seeInTerminal('the output from before, drawn by the DOM renderer', (text) => /^gl-42\s*$/m.test(text));
    await typeLine('echo "dom-$((2*21))"');
    await seeInTerminal('new output drawn by the DOM renderer', (text) => /^dom-42\s*$/m.test(text));
  });
});
