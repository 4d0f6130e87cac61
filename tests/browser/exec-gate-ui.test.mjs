// The exec gate in a real browser against the real engine and kernel: a
// staged session (started with the CLI, as a script an agent would run)
// runs `rm -rf build` twice; each waits in the kernel as an Exec card. Deny
// makes that rm fail and the script go on; Approve lets the second one run,
// and what it deleted in the stage waits in the review pane.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { AIRLOCK_BIN, SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

const SCRIPT = [
  'rm -rf build; echo "first rm: $?"',
  'rm -rf build; echo "second rm: $?"',
  'exec sleep 600',
].join('; ');

describe('exec gate', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a risky program an agent starts waits as an Exec card: deny fails it, approve runs it', async (t) => {
    const { tmp, page, see, until, seeInTerminal, projectText } = await openPage(t, browser, 'exec-gate', {
      files: { 'build/out.txt': 'built\n' },
    });
    const id = execFileSync(AIRLOCK_BIN, ['--project', tmp.project, 'run', '--name', 'agent', '--', 'sh', '-c', SCRIPT], {
      env: { ...process.env, AIRLOCK_HOME: tmp.home },
      encoding: 'utf8',
    }).split(/\s+/)[0];
    const session = page.locator(`[data-testid="session-item"][data-session-id="${id}"]`);
    await see(session, 'the CLI-started session in the sidebar');
    await session.click();

    // The shield says the session is confined and its commands gated.
    const badge = await see(page.getByTestId('sandbox-badge'), 'the sandbox shield in the terminal header');
    assert.equal((await badge.innerText()).trim(), 'sandboxed · gated');
    assert.match(await badge.getAttribute('title'), /commands gated/);

    const card = page.getByTestId('action-card');
    await see(card, 'an Exec card for rm -rf build');
    assert.equal(await card.count(), 1);
    assert.equal(await card.getAttribute('data-session-id'), id);
    assert.equal(await card.getByTestId('action-tool').textContent(), 'Exec');
    assert.equal(await card.getByTestId('action-summary').innerText(), 'rm -rf build');
    const risks = await card.locator('.action-risks li').allInnerTexts();
    assert.ok(risks.some((r) => /delete/i.test(r)), `a risk about deleting, got ${JSON.stringify(risks)}`);
    await until('the turn "waiting"', async () => (await session.getAttribute('data-turn')) === 'waiting');

    if (SCREENSHOTS) {
      await page.mouse.move(0, 0);
      await page.waitForTimeout(400);
      await saveScreenshot('screenshot-sandbox.png', await page.screenshot());
    }

    // Deny: that rm fails with "Operation not permitted" and the script goes on.
    await card.getByTestId('action-deny').click();
    const reason = card.getByTestId('action-reason');
    await see(reason, 'the reason box after Deny');
    await reason.press('Enter');
    await seeInTerminal('the first rm refused', (text) => /first rm: [1-9]/.test(text));

    // The second rm: a new card; Approve runs it, in the stage only.
    await see(card, 'a second Exec card');
    await card.getByTestId('action-allow').click();
    await seeInTerminal('the second rm run', (text) => /second rm: 0/.test(text));
    await see(card, 'no card left', 'detached');
    assert.equal(await projectText('build/out.txt'), 'built\n', 'the project is untouched until the deletion is approved');
    await see(page.locator('[data-testid="change-file"][data-path="build/out.txt"]'), 'the deletion waiting in the review pane');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });
});
