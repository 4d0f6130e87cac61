// The web UI in a real browser against the real engine: an agent (bash in a
// staged session) writes files, and the user approves or rejects them.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { README, SCREENSHOTS, launchBrowser, openPage, readOrNull, saveScreenshot, waitUntil } from './helpers.mjs';

/** One engine, one project and one page per test. */
const open = (t, browser, name) => openPage(t, browser, name);

describe('airlock serve in a browser', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('an approved hunk lands in the project', async (t) => {
    const { tmp, page, see, startAgent, typeLine, explain } = await open(t, browser, 'approve');
    assert.equal(await page.getByTestId('change-file').count(), 0, 'no change is pending at the start');

    await startAgent();
    await typeLine(`printf 'hello from the agent\\n' > hello.txt`);

    const file = page.locator('[data-testid="change-file"][data-path="hello.txt"]');
    await see(file, 'a change-file for hello.txt');
    const hunk = file.getByTestId('hunk');
    await see(hunk.filter({ hasText: 'hello from the agent' }), 'the hunk of hello.txt showing "hello from the agent"');
    assert.equal(await readOrNull(join(tmp.project, 'hello.txt')), null, 'nothing reaches the project before approval');

    if (SCREENSHOTS) {
      await page.waitForTimeout(300);
      await saveScreenshot('screenshot-browser.png', await page.screenshot());
    }

    await hunk.getByTestId('hunk-approve').click();
    try {
      await waitUntil('hello.txt in the project with the agent text', async () => {
        const bytes = await readOrNull(join(tmp.project, 'hello.txt'));
        return bytes !== null && bytes.toString('utf8') === 'hello from the agent\n';
      });
    } catch (err) {
      throw new Error(`${err.message}\n${await explain('the landed file')}`);
    }
    await see(file, 'the change-file for hello.txt going away after approval', 'detached');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('a rejected hunk never reaches the project and is reverted in the stage', async (t) => {
    const { tmp, page, see, seeInTerminal, startAgent, typeLine } = await open(t, browser, 'reject');
    const readmePath = join(tmp.project, 'README.md');
    const before = await readOrNull(readmePath);
    assert.equal(before?.toString('utf8'), README);

    await startAgent();
    await typeLine(`printf 'agent line\\n' >> README.md`);

    const file = page.locator('[data-testid="change-file"][data-path="README.md"]');
    await see(file, 'a change-file for README.md');
    const hunk = file.getByTestId('hunk').filter({ hasText: 'agent line' });
    await see(hunk, 'the README.md hunk showing "agent line"');

    await hunk.getByTestId('hunk-reject').click();
    const reason = page.getByTestId('reject-reason');
    const asked = await reason.waitFor({ state: 'visible', timeout: 2000 }).then(
      () => true,
      () => false,
    );
    if (asked) {
      await reason.fill('not in this change, please');
      await reason.press('Enter');
    }

    await see(file, 'the change-file for README.md going away after rejection', 'detached');
    await page.waitForTimeout(1000);
    assert.equal(await file.count(), 0, 'the rejected change stays gone for 1 s');
    assert.deepEqual(await readOrNull(readmePath), before, "the project's README.md is unchanged byte for byte");

    // The agent sees its edit undone: ask bash in the stage.
    await typeLine(`echo "agent-lines:$(grep -c 'agent line' README.md)"`);
    await seeInTerminal('"agent-lines:0" (the stage reverted)', (text) => /^agent-lines:0\s*$/m.test(text));
    assert.deepEqual(await readOrNull(readmePath), before, "the project's README.md is still unchanged");
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });
});
