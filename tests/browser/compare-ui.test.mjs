// Attempts and the compare view in a real browser against the real engine:
// three staged shells write different versions of the same file; the
// compare view shows three columns with each attempt's totals and test
// result; ticking hunks of two attempts over the same lines shows a
// conflict and cannot be kept; hunks picked from two attempts land exactly;
// the stages are gone after confirming.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

const LINES = 'line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\nline10\n';
/** Each attempt writes its version with the shell's own printf: no program for the exec gate to ask about. */
const version = (from, to) => LINES.replace(`${from}\n`, `${to}\n`).trimEnd().split('\n').join(' ');
const TASK =
  `case $AIRLOCK_ATTEMPT in 1) printf '%s\\n' ${version('line1', 'one')} > f.txt ;; ` +
  `2) printf '%s\\n' ${version('line9', 'nine')} > f.txt ;; 3) printf '%s\\n' ${version('line2', 'two')} > f.txt ;; esac`;

describe('attempts', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('three attempts side by side; hunks picked from two land; conflicts refused', async (t) => {
    const s = await openPage(t, browser, 'compare', { files: { 'f.txt': LINES } });
    const { page, see, until, seeProjectFile } = s;

    await page.getByTestId('new-attempts').click();
    const dialog = page.getByTestId('attempts-dialog');
    await see(dialog, 'the New attempts dialog');
    await dialog.getByTestId('attempts-task').fill(TASK);
    await dialog.getByTestId('attempts-count').fill('3');
    await dialog.getByTestId('attempts-test').fill("test \"$(head -n 1 f.txt)\" = one");
    await dialog.getByTestId('attempts-start').click();
    await see(dialog, 'the dialog closed', 'hidden');

    const task = page.getByTestId('task-item');
    await see(task, 'the task in the sidebar');
    await until('three attempts, exited', async () => (await task.getByTestId('task-attempt-turn').allInnerTexts()).join() === 'exited,exited,exited');
    await task.getByTestId('task-compare').click();
    const view = page.getByTestId('compare-view');
    await see(view, 'the compare view');
    // The test results come in after the attempts exit.
    const tests = async () => (await view.getByTestId('compare-test').allInnerTexts()).join('|');
    await until('each attempt tested', async () => (await tests()) === 'test passed|test failed (1)|test failed (1)');
    assert.deepEqual(await view.getByTestId('compare-totals').allInnerTexts(), ['1 file · +1 −1', '1 file · +1 −1', '1 file · +1 −1']);
    const file = view.locator('[data-testid="compare-file"][data-path="f.txt"]');
    await see(file, 'f.txt in the compare view');
    assert.equal(await file.getByTestId('compare-column-diff').count(), 3, 'three columns');
    await until('the diffs drawn', async () => (await file.innerText()).includes('+ nine'));
    if (SCREENSHOTS) await saveScreenshot('screenshot-compare.png', await page.screenshot());

    // Attempts 1 and 3 change neighbouring lines: a conflict, not keepable.
    const picks = file.getByTestId('compare-pick');
    await picks.nth(0).check();
    await picks.nth(2).check();
    await see(file.locator('[data-testid="compare-hunk"].conflict').first(), 'the conflict marked');
    assert.equal(await file.locator('[data-testid="compare-hunk"].conflict').count(), 2);
    assert.equal(await view.getByTestId('compare-keep').isDisabled(), true);
    await picks.nth(2).uncheck();
    await picks.nth(1).check();
    assert.equal(await file.locator('[data-testid="compare-hunk"].conflict').count(), 0);
    await view.getByTestId('compare-keep').click();
    await see(view.getByTestId('compare-confirm'), 'the confirmation to remove the stages');
    await seeProjectFile('f.txt', LINES.replace('line1\n', 'one\n').replace('line9\n', 'nine\n'));
    await view.getByTestId('compare-finish').click();
    await see(view, 'the compare view closed', 'hidden');
    await until('the task and its sessions gone', async () => (await page.getByTestId('task-item').count()) === 0 && (await page.getByTestId('session-item').count()) === 0);
  });
});
