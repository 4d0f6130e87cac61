// Attempts in the real Tauri window (WebKitGTK through tauri-driver): three
// staged shells started through the CLI against the window's engine write
// different versions of one file; the window's sidebar shows the task, and
// its compare view opens with three columns. The browser test
// (tests/browser/compare-ui.test.mjs) covers keeping hunks and conflicts;
// this one proves the desktop shell opens the view (its commands and its
// event channel carry the task), and reports how long the view took to open.

import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, SCREENSHOTS, saveScreenshot, waitUntil } from '../browser/helpers.mjs';
import { errorBanners, launchWindow } from './harness.mjs';

const AIRLOCK = process.env.AIRLOCK_BIN || join(REPO, 'target', 'debug', 'airlock');
const LINES = 'line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\nline10\n';
const version = (from, to) => LINES.replace(`${from}\n`, `${to}\n`).trimEnd().split('\n').join(' ');
const TASK =
  `case $AIRLOCK_ATTEMPT in 1) printf '%s\\n' ${version('line1', 'one')} > f.txt ;; ` +
  `2) printf '%s\\n' ${version('line9', 'nine')} > f.txt ;; 3) printf '%s\\n' ${version('line2', 'two')} > f.txt ;; esac`;

describe('attempts in the desktop window through WebDriver (tauri-driver)', () => {
  let win;
  before(async () => {
    win = await launchWindow('desktop-compare', { 'f.txt': LINES });
  });
  after(async () => {
    await win?.close();
  });

  test('three attempts started from the CLI open side by side in the compare view', async () => {
    const { wd, tmp } = win;
    try {
      const out = execFileSync(AIRLOCK, ['attempts', '3', '--json', '--', TASK], {
        cwd: tmp.project,
        env: { ...process.env, AIRLOCK_HOME: tmp.home },
        encoding: 'utf8',
      });
      const task = JSON.parse(out);
      assert.equal(task.sessions.length, 3, out);
      await wd.see('[data-testid="task-item"]', 'the task in the sidebar');
      await waitUntil('three attempts, exited', async () =>
        (await wd.exec(`return [...document.querySelectorAll('[data-testid="task-attempt-turn"]')].map((e) => e.textContent).join();`)) ===
        'exited,exited,exited',
      );
      // Opened from the page itself, so the time is the window's own (no WebDriver round trip).
      await wd.exec(`
        window.__compareOpened = null;
        const t0 = performance.now();
        const done = () => document.querySelectorAll('[data-testid="compare-view"] [data-testid="compare-column-diff"]').length === 3;
        const watch = new MutationObserver(() => {
          if (done()) { watch.disconnect(); requestAnimationFrame(() => { window.__compareOpened = performance.now() - t0; }); }
        });
        watch.observe(document.body, { childList: true, subtree: true });
        document.querySelector('[data-testid="task-compare"]').click();`);
      const opened = await waitUntil('the compare view with three columns', async () => wd.exec('return window.__compareOpened;'));
      const totals = await wd.exec(`return [...document.querySelectorAll('[data-testid="compare-totals"]')].map((e) => e.textContent);`);
      assert.deepEqual(totals, ['1 file · +1 −1', '1 file · +1 −1', '1 file · +1 −1']);
      const drawn = await wd.exec(`return document.querySelector('[data-testid="compare-view"]').innerText;`);
      for (const line of ['+ one', '+ nine', '+ two']) assert.ok(drawn.includes(line), `${line} in the compare view:\n${drawn}`);
      console.error(`# compare view opened in the window in ${opened.toFixed(1)} ms (click → three columns painted)`);
      assert.deepEqual(await errorBanners(wd), []);
      if (SCREENSHOTS) await saveScreenshot('screenshot-desktop-compare.png', Buffer.from(await wd.cmd('GET', '/screenshot'), 'base64'));
    } catch (err) {
      err.message += `\n${win.logs()}`;
      throw err;
    }
  });
});
