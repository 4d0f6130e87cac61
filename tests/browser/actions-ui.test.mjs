// Action cards in a real browser against the real engine and the real hook.
// No agent with a gate runs here, so bash plays Claude Code: it pipes the
// PreToolUse JSON Claude Code would send into `airlock hook claude` (the
// session's environment has AIRLOCK_SOCKET/TOKEN/SESSION from the engine) and
// keeps the hook's answer in a file in its stage, read back with `cat`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AIRLOCK_BIN, SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

/** The line that makes bash ask the hook about `command`, as Claude Code would; the answer goes to `out`. */
const hookLine = (command, out) =>
  `printf '%s' '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"${command}"},"cwd":"'"$PWD"'"}' | "$AIRLOCK_BIN_PATH" hook claude > ${out}`;

/** The terminal's text with its rows joined (a long line wraps over several rows). */
const flat = (text) => text.replace(/\u00a0/g, ' ').replace(/\n/g, '');

describe('action cards', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('deny with a reason, always allow, and the keyboard', async (t) => {
    const { page, see, until, startAgent, typeLine, seeInTerminal, projectText } = await openPage(t, browser, 'actions');
    await startAgent();
    const session = page.getByTestId('session-item');
    const id = await session.getAttribute('data-session-id');
    await typeLine(`export AIRLOCK_BIN_PATH='${AIRLOCK_BIN.replace(/'/g, `'\\''`)}'; clear`);

    // 1. Deny, with a reason the agent reads.
    await typeLine(hookLine('rm -rf build', 'answer.json'));
    const card = page.getByTestId('action-card');
    await see(card, 'an action card for rm -rf build');
    assert.equal(await card.count(), 1);
    assert.match(await card.getAttribute('data-action-id'), /^a-[0-9a-f]+$/);
    assert.equal(await card.getAttribute('data-session-id'), id);
    assert.equal((await card.locator('.action-question').innerText()).trim(), 'Run rm -rf build?');
    assert.equal(await card.getByTestId('action-summary').innerText(), 'rm -rf build');
    assert.equal(await card.getByTestId('action-tool').textContent(), 'Bash');
    const risks = await card.locator('.action-risks li').allInnerTexts();
    assert.ok(risks.some((r) => /delete/i.test(r)), `a risk about deleting, got ${JSON.stringify(risks)}`);
    // The working folder: the session's stage, said so, with the full path at hand.
    assert.equal(await card.getByTestId('action-cwd').innerText(), "bash's stage");
    assert.match(await card.getByTestId('action-cwd').getAttribute('data-cwd'), new RegExp(`/stages/${id}$`));
    // What waits shows everywhere: the top bar, the sidebar, and the turn.
    await see(page.getByTestId('actions-count').filter({ hasText: '1 action waiting' }), '"1 action waiting" in the top bar');
    await see(session.getByTestId('session-actions').filter({ hasText: '1' }), "the session's action count in the sidebar");
    await until('the turn "waiting"', async () => (await session.getAttribute('data-turn')) === 'waiting');
    await see(page.getByTestId('attention-toast').filter({ hasText: 'waiting for you' }), 'the "waiting for you" notice');

    if (SCREENSHOTS) {
      await page.mouse.move(0, 0);
      await page.waitForTimeout(400);
      await saveScreenshot('screenshot-action-card.png', await page.screenshot());
    }

    await card.getByTestId('action-deny').click();
    const reason = card.getByTestId('action-reason');
    await see(reason, 'the reason box after Deny…');
    assert.ok(await reason.evaluate((el) => el === document.activeElement), 'the reason box has the focus');
    await reason.fill('not the build folder, it is shared');
    await reason.press('Enter');
    await see(card, 'the card gone after Deny', 'detached');
    await see(page.getByTestId('actions-count'), 'the top bar count gone', 'hidden');
    await typeLine('cat answer.json; echo');
    await seeInTerminal('the hook answering deny with the reason', (text) =>
      flat(text).includes('"permissionDecision":"deny","permissionDecisionReason":"not the build folder, it is shared"'),
    );

    // 2. Always allow: the rule lands in the project's policy, and the hook says allow.
    await typeLine(`clear; ${hookLine('rm -rf build', 'answer2.json')}`);
    await see(card, 'a second card for rm -rf build');
    assert.match(await card.innerText(), /Always allow adds Bash\(rm -rf build\)/);
    await card.getByTestId('action-always').click();
    await see(card, 'the card gone after Always allow', 'detached');
    await see(page.getByTestId('action-rule').filter({ hasText: 'Bash(rm -rf build)' }), 'the rule that was written, in a notice');
    await until('Bash(rm -rf build) in .airlock/policy.toml', async () => (await projectText('.airlock/policy.toml'))?.includes('Bash(rm -rf build)'));
    await typeLine('cat answer2.json; echo');
    await seeInTerminal('the hook answering allow', (text) => flat(text).includes('"permissionDecision":"allow"'));

    // The rule holds: the same command asks nobody now.
    await typeLine(`clear; ${hookLine('rm -rf build', 'answer3.json')} && cat answer3.json; echo`);
    await seeInTerminal('the policy allowing it without a card', (text) => flat(text).includes('"permissionDecision":"allow","permissionDecisionReason":"allowed by Airlock'));
    assert.equal(await card.count(), 0, 'no card for an allowed command');

    // 3. The keyboard: focus the card, r opens the reason box, Esc cancels; a allows once.
    await typeLine(`clear; ${hookLine('rm -rf dist', 'answer4.json')}`);
    await see(card.filter({ hasText: 'rm -rf dist' }), 'a card for rm -rf dist');
    await card.focus();
    await page.keyboard.press('r');
    await see(reason, 'the reason box after r');
    assert.ok(await reason.evaluate((el) => el === document.activeElement), 'r focused the reason box');
    assert.equal(await reason.inputValue(), '', 'the r was not typed into it');
    await page.keyboard.press('Escape');
    await see(reason, 'the reason box gone after Esc', 'detached');
    assert.ok(await card.evaluate((el) => el === document.activeElement), 'the card has the focus back');
    await page.keyboard.press('a');
    await see(card, 'the card gone after a', 'detached');
    await typeLine('cat answer4.json; echo');
    await seeInTerminal('the hook answering allow for rm -rf dist', (text) => flat(text).includes('"permissionDecision":"allow","permissionDecisionReason":"allowed by the user'));
    assert.ok(!(await projectText('.airlock/policy.toml')).includes('rm -rf dist'), 'allow once writes no rule');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });
});
