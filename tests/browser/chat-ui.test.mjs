// The chat pane in a real browser against the real engine and a real ACP
// agent: tests/fixtures/acp_agent.py, scripted by the first word of each
// prompt. A chat started from the form; a streamed reply with a thought and a
// plan; a staged write held in the review queue and approved there; a
// permission rejected from the tool card; a turn cancelled with Esc; prompt
// recall, completions (`@` from the project's files too), the mode picker, and
// the transcript after a reload. A long transcript, opened at its end.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

const ACP_AGENT = join(REPO, 'tests', 'fixtures', 'acp_agent.py');

/** One request to the engine over HTTP, as the page would send it; the reply's `ok`. */
async function callEngine(engine, req) {
  const res = await fetch(`${engine.origin}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${engine.token}` },
    body: JSON.stringify(req),
  });
  const body = await res.json();
  if ('error' in body) throw new Error(`${req.op}: ${body.error.message}`);
  return body.ok;
}

describe('chat', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a chat: streamed reply and plan, a held write approved, a permission rejected, a turn cancelled', async (t) => {
    // A file of the project that no tool has touched: `@` finds it through listFiles.
    const { page, engine, see, until, seeProjectFile, projectText, pageErrors } = await openPage(t, browser, 'chat', {
      files: { 'src/lib/util.ts': 'export const one = 1;\n' },
    });
    // What the engine streams, as the page receives it.
    const events = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload !== 'string') return;
        try {
          events.push(JSON.parse(payload));
        } catch {
          // not an event
        }
      }),
    );
    // The socket opened before the listener: take the page to a fresh one.
    await page.reload();
    await see(page.getByTestId('project-path'), 'the page after a reload');

    // 1. A chat from the form: the kind, the presets, the agent's command.
    await page.getByTestId('new-session-kind').selectOption('chat');
    // The known agents as the engine lists them: installed ones as presets, missing ones greyed with how to install them.
    const { agents } = await callEngine(engine, { op: 'listAgents' });
    assert.ok(agents.length > 0, 'the engine knows some agents');
    const presets = page.getByTestId('new-session-preset');
    const missing = page.getByTestId('new-session-missing');
    await until('every known agent offered', async () => (await presets.count()) + (await missing.count()) === agents.length);
    assert.deepEqual(
      await presets.evaluateAll((els) => els.map((e) => e.textContent)),
      agents.filter((a) => a.installed).map((a) => a.name),
      'the installed agents as presets, in order',
    );
    assert.deepEqual(
      await page.getByTestId('new-session-install-hint').evaluateAll((els) => els.map((e) => e.textContent)),
      agents.filter((a) => !a.installed).map((a) => a.install),
      'each missing agent with its install hint',
    );
    const ungated = agents.find((a) => a.installed && !a.gated);
    if (ungated) {
      await presets.filter({ hasText: ungated.name }).click();
      assert.equal(await page.getByTestId('new-session-mode').locator('option[value="gated"]').isDisabled(), true, 'no gated mode for it');
      await page.getByTestId('new-session-command').fill('');
    }
    await page.getByTestId('new-session-start').click();
    await see(page.getByTestId('new-session-error').filter({ hasText: 'ACP agent' }), 'the form asking for an agent command');
    await page.getByTestId('new-session-command').fill(`python3 '${ACP_AGENT}'`);
    await page.getByTestId('new-session-start').click();
    const item = page.getByTestId('session-item');
    await see(item, 'the chat session in the sidebar');
    await see(item.getByTestId('session-kind').filter({ hasText: 'chat' }), 'the "chat" badge on the session');
    const chat = page.getByTestId('chat');
    await see(chat, 'the chat pane in place of the terminal');
    assert.equal(await page.locator('.terminal-pane').isVisible(), false, 'no terminal pane beside the chat');
    const input = page.getByTestId('chat-input');
    await see(input, 'the prompt box');
    assert.ok(await input.evaluate((el) => el === document.activeElement), 'the prompt box has the focus');
    // The agent's modes, with the one it is in; none chosen for it.
    const mode = page.getByTestId('chat-mode');
    await see(mode, 'the mode picker (the agent offers modes)');
    await until('the mode picker showing the agent’s mode "ask"', async () => (await mode.inputValue()) === 'ask');
    assert.deepEqual(await mode.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['ask', 'yolo']);
    await see(page.getByTestId('chat-agent'), "the agent's version in the header");
    const title = page.locator('.chat-header .pane-title');
    const name = await page.getByTestId('chat-name').textContent();
    const agentText = await page.getByTestId('chat-agent').textContent();
    assert.ok(name && agentText && agentText !== name, `the agent (${agentText}) only as news beside the name (${name})`);
    assert.ok(((await title.textContent()) ?? '').split('scripted-agent').length <= 2, "the agent's name at most once in the header");


    const entries = page.getByTestId('chat-entry');
    const turnsEnded = page.locator('[data-testid="chat-entry"][data-type="turnEnded"]');
    const lastAgentText = () => entries.and(page.locator('[data-type="agent"]')).last().textContent();
    const send = async (text) => {
      await input.fill(text);
      await input.press('Enter');
    };

    // 2. hello: a thought (folded), a plan that updates in place, streamed text, the turn's end, the usage.
    await send('hello');
    await see(entries.and(page.locator('[data-type="user"]')).filter({ hasText: 'hello' }), 'the prompt in the transcript');
    await until('"Hello from the scripted agent." streamed in', async () => (await lastAgentText()).includes('Hello from the scripted agent.'));
    await until('the turn ended', async () => (await turnsEnded.count()) === 1);
    assert.equal(await turnsEnded.first().getAttribute('data-stop-reason'), 'endTurn');
    assert.ok(
      events.some((e) => e.type === 'chatText'),
      `the reply came as chatText events; got ${JSON.stringify([...new Set(events.map((e) => e.type))])}`,
    );
    const plan = page.getByTestId('chat-plan');
    assert.equal(await plan.count(), 1, 'one plan, updated in place');
    await until('the plan with its 2 items completed', async () => {
      const statuses = await plan.locator('li').evaluateAll((lis) => lis.map((li) => li.dataset.status));
      return statuses.length === 2 && statuses.every((s) => s === 'completed');
    });
    assert.deepEqual(await plan.locator('.chat-plan-text').allTextContents(), ['Greet', 'Stop']);
    const thought = entries.and(page.locator('[data-type="thought"]'));
    assert.equal(await thought.count(), 1, 'the thought is in the transcript');
    assert.equal(await thought.locator('details').evaluate((d) => d.open), false, 'the thought is folded');
    assert.match(await thought.locator('.chat-thought-text').textContent(), /Thinking about hello\./);
    await see(page.getByTestId('chat-usage').filter({ hasText: '200k' }), 'the context window use');

    // 3. A write: a staged session holds it for review, so the card asks nothing.
    await send('write notes.txt hi there');
    const editCard = page.locator('[data-testid="chat-tool"][data-kind="edit"]');
    await see(editCard, 'the edit tool card');
    assert.match(await editCard.locator('.chat-tool-title').textContent(), /Write notes\.txt/);
    const change = page.locator('[data-testid="change-file"][data-path="notes.txt"]');
    await see(change, 'the held change of notes.txt in the review queue');
    assert.equal(await editCard.getByTestId('chat-permission-allow').count(), 0, 'no Allow button: the engine answered at once');
    assert.equal(await projectText('notes.txt'), null, 'nothing reached the project yet');
    // The card's path leads to the change in the review pane.
    const location = editCard.getByTestId('chat-tool-location');
    await see(location, "the card's location");
    assert.equal(await location.getAttribute('data-path'), 'notes.txt', 'the location is relative to the session');
    await until('the location marked as waiting for review', async () => (await location.getAttribute('class')).includes('has-change'));
    await location.click();
    await until('the review pane showing notes.txt', async () => change.evaluate((el) => el.classList.contains('flash') || el.contains(document.activeElement)));
    await change.getByTestId('file-approve').click();
    await seeProjectFile('notes.txt', 'hi there\n');
    await see(change, 'the change gone once landed', 'detached');
    await until('the write turn ended', async () => (await turnsEnded.count()) === 2);
    // The agent's diff of the new file, shown small on the card.
    const diff = editCard.getByTestId('chat-diff');
    await see(diff.locator('.kind-created'), 'the diff on the card marked as a new file');
    assert.deepEqual(await diff.locator('.chat-diff-row').allTextContents(), ['+hi there']);

    // 4. A risky command: the card asks, and Reject answers the agent.
    await send('run rm -rf build');
    const runCard = page.locator('[data-testid="chat-tool"][data-kind="execute"]');
    await see(runCard.getByTestId('chat-permission-reject'), 'Reject on the tool card');
    await see(runCard.getByTestId('chat-permission-allow'), 'Allow on the tool card');
    // The same question as an action card in the review pane.
    await see(page.getByTestId('action-card'), 'the action card for the same request');
    if (SCREENSHOTS) {
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      await saveScreenshot('screenshot-chat.png', await page.screenshot());
    }
    await runCard.getByTestId('chat-permission-reject').click();
    await until('the agent saying "not allowed: reject"', async () => (await lastAgentText()).includes('not allowed: reject'));
    await see(page.getByTestId('action-card'), 'the action card gone', 'detached');
    await until('the run card failed, its permission rejected', async () => (await runCard.getAttribute('data-status')) === 'failed');
    await see(runCard.locator('[data-testid="chat-permission"][data-outcome="rejected"]'), 'the rejection on the card');
    assert.equal(await runCard.getByTestId('chat-permission-allow').count(), 0, 'the buttons went');
    await until('the run turn ended', async () => (await turnsEnded.count()) === 3);

    // 5. A slow turn, cancelled with Esc.
    await send('slow');
    const cancel = page.getByTestId('chat-cancel');
    await see(cancel, 'Cancel while the agent works');
    assert.equal(await page.getByTestId('chat-send').isDisabled(), true, 'Send waits for the turn');
    await until('dots streaming', async () => /\.{3,}/.test(await lastAgentText()));
    await input.press('Escape');
    await until('the turn ended as cancelled', async () => (await turnsEnded.count()) === 4);
    assert.equal(await turnsEnded.last().getAttribute('data-stop-reason'), 'cancelled');
    await see(cancel, 'Cancel gone after the turn', 'hidden');

    // 6. The prompt box: Up recalls, `/` offers the agent's commands, `@` the paths seen.
    await input.fill('');
    await input.press('ArrowUp');
    assert.equal(await input.inputValue(), 'slow', 'Up on an empty box recalls the last prompt');
    await input.press('ArrowUp');
    assert.equal(await input.inputValue(), 'run rm -rf build', 'Up again goes further back');
    await input.fill('');
    await input.pressSequentially('/rev');
    const completion = page.getByTestId('chat-completion');
    await see(completion.locator('[data-value="review"]'), 'the agent’s /review command offered');
    await input.press('Tab');
    assert.equal(await input.inputValue(), '/review ');
    await input.fill('');
    await input.pressSequentially('look at @nts');
    await see(completion.locator('[data-value="notes.txt"]'), 'notes.txt offered for @nts');
    await input.press('Enter');
    assert.equal(await input.inputValue(), 'look at @notes.txt ', 'Enter takes the completion, and sends nothing');
    await input.fill('');
    await input.pressSequentially('@utl');
    await see(completion.locator('[data-value="src/lib/util.ts"]'), 'src/lib/util.ts, a file of the project, offered for @utl');
    await input.press('Tab');
    assert.equal(await input.inputValue(), '@src/lib/util.ts ');
    await input.fill('');

    // 7. The mode: chosen by the user, confirmed by the agent.
    await mode.selectOption('yolo');
    await until('the mode "yolo" as the agent reports it', async () => (await mode.inputValue()) === 'yolo');

    // 8. The transcript after a reload: the same entries, drawn from `transcript`.
    const before = await entries.evaluateAll((els) => els.map((e) => e.dataset.type));
    await page.reload();
    await see(chat, 'the chat pane after a reload');
    await until('the transcript back after a reload', async () => {
      const now = await entries.evaluateAll((els) => els.map((e) => e.dataset.type));
      return JSON.stringify(now) === JSON.stringify(before);
    });
    assert.equal(await page.getByTestId('chat-plan').locator('li').count(), 2, 'the plan is back');

    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    assert.deepEqual(pageErrors, [], 'no page errors');
  });

  test("a chat's settings pickers, coloured code, the agent's log, and review comments sent back to it", async (t) => {
    const { page, see, until, pageErrors } = await openPage(t, browser, 'chat-settings');
    await page.getByTestId('new-session-kind').selectOption('chat');
    // The agent writes a line to stderr before it starts: the agent log shows it.
    await page.getByTestId('new-session-command').fill(`sh -c 'echo agent-log-line >&2; exec python3 "${ACP_AGENT}"'`);
    await page.getByTestId('new-session-start').click();
    const input = page.getByTestId('chat-input');
    await see(input, 'the prompt box');

    // The agent's settings: the model picker first; a choice reaches the agent and shows once the engine says so.
    const configs = page.getByTestId('chat-config');
    await see(configs.first(), 'the settings pickers');
    const model = configs.first();
    assert.equal(await model.getAttribute('data-category'), 'model', 'the model first');
    assert.equal(await model.inputValue(), 'small');
    assert.deepEqual(await model.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['small', 'large']);
    await model.selectOption('large');
    await until('the model picker showing "large"', async () => (await model.inputValue()) === 'large' && !(await model.getAttribute('aria-busy')));
    await input.fill('model');
    await input.press('Enter');
    const agentText = page.locator('[data-testid="chat-entry"][data-type="agent"]');
    await see(agentText.filter({ hasText: 'model: large' }), 'the agent answering "model: large"');

    // Fenced code in the agent's text is coloured with the diff theme's classes; its text is unchanged.
    await input.fill('code\n```rust\nfn main() { let x = "<b>1</b>"; }\n```');
    await input.press('Enter');
    const code = agentText.locator('pre[data-lang="rust"] code').last();
    await see(code.locator('span.sy-keyword').filter({ hasText: 'fn' }).first(), 'the keyword "fn" coloured');
    await see(code.locator('span.sy-string'), 'the string coloured');
    assert.equal(await code.textContent(), 'fn main() { let x = "<b>1</b>"; }\n', 'the code as written');
    assert.equal(await code.locator('b').count(), 0, 'markup in code stays text');

    // The log: hidden until asked for, then what the agent wrote to stderr, as text.
    const log = page.getByTestId('chat-agent-log');
    assert.equal(await log.isVisible(), false, 'no log until asked for');
    await page.getByTestId('chat-log-toggle').click();
    await see(log.filter({ hasText: 'agent-log-line' }), "the agent's stderr in the log");
    assert.equal(await log.locator('*').count(), 0, 'the log is plain text');
    await page.getByTestId('chat-log-toggle').click();
    await see(log, 'the log closed again', 'hidden');

    // Review comments: the agent writes a file; comments on its hunk go back to it with Send review.
    await input.fill('selfwrite notes.txt draft');
    await input.press('Enter');
    const hunk = page.getByTestId('hunk').first();
    await see(hunk, "the agent's write as a hunk in the review pane");
    await hunk.getByTestId('hunk-comment').click();
    const box = hunk.getByTestId('comment-input');
    await see(box, 'the comment box');
    await box.fill('Say "final", not "draft".');
    await hunk.getByTestId('comment-save').click();
    const comments = hunk.getByTestId('review-comment');
    await see(comments.filter({ hasText: 'not "draft"' }), 'the saved comment under its hunk');
    await see(box, 'the box closed', 'detached');
    // A second one from the keyboard: c on the current hunk, Ctrl+Enter saves.
    await page.locator('.review-list').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('j');
    await page.keyboard.press('c');
    await see(box, 'the comment box from the c key');
    assert.ok(await box.evaluate((el) => el === document.activeElement), 'the box has the focus');
    await box.fill('And end it with a full stop.');
    await box.press('Control+Enter');
    await until('two comments under the hunk', async () => (await comments.count()) === 2);
    const sendReview = page.getByTestId('send-review');
    await see(sendReview.filter({ hasText: 'Send review (2)' }), '"Send review (2)" for the session');
    // One deleted: the engine's list says so.
    await comments.filter({ hasText: 'full stop' }).getByTestId('comment-delete').click();
    await until('one comment left', async () => (await comments.count()) === 1);
    await see(sendReview.filter({ hasText: 'Send review (1)' }), '"Send review (1)" after the delete');
    await sendReview.click();
    await see(page.getByTestId('toast').filter({ hasText: /Sent 1 comment to .* as a prompt/ }), 'a notice saying how the review was sent');
    await see(sendReview, 'no Send review once sent', 'detached');
    await see(comments, 'the sent comment gone from the hunk', 'detached');
    const entries = page.getByTestId('chat-entry');
    await see(entries.and(page.locator('[data-type="user"]')).filter({ hasText: /^\s*Review of your changes/ }), 'the review as a prompt in the chat');
    await see(agentText.filter({ hasText: 'You said: Review of your changes' }), 'the agent answering the review');
    assert.match((await entries.and(page.locator('[data-type="user"]')).last().textContent()) ?? '', /not "draft"/, 'the comment in the review');

    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    assert.deepEqual(pageErrors, [], 'no page errors');
  });

  test('a long transcript opens at its end; earlier entries are drawn as the user scrolls up to them', async (t) => {
    const { page, engine: e, see, until, pageErrors } = await openPage(t, browser, 'chat-long');
    const call = (req) => callEngine(e, req);
    // 50 turns of "hello" (5 entries each) over HTTP: more than the 200 drawn at first.
    const { id } = await call({ op: 'startSession', kind: 'chat', command: ['python3', ACP_AGENT] });
    await until('the agent started', async () => (await call({ op: 'status' })).sessions.find((s) => s.id === id)?.chat);
    let n = 0;
    for (let i = 0; i < 50; i++) {
      await call({ op: 'prompt', session: id, text: 'hello' });
      n = await until(`turn ${i + 1} ended`, async () => {
        const tr = await call({ op: 'transcript', session: id, from: n });
        const end = tr.entries.findIndex((e) => e.type === 'turnEnded');
        return end >= 0 ? tr.from + end + 1 : 0;
      });
    }
    assert.equal(n, 250);

    await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
    const pane = page.locator(`.chat-session[data-session-id="${id}"]`);
    const entry = (i) => pane.locator(`[data-testid="chat-entry"][data-index="${i}"]`);
    await see(entry(249), 'the last entry');
    assert.equal(await pane.getByTestId('chat-entry').count(), 200, 'the last 200 entries drawn');
    await see(pane.getByTestId('chat-earlier').filter({ hasText: '50 earlier entries' }), 'the note of the 50 earlier entries');
    const log = pane.locator('.chat-log');
    const inView = (i) =>
      entry(i).evaluate((el) => {
        const a = el.getBoundingClientRect();
        const b = el.closest('.chat-log').getBoundingClientRect();
        return a.bottom > b.top && a.top < b.bottom;
      });
    assert.ok(await inView(249), 'opened at the end');

    // Up to the first drawn entry: the earlier ones come, and what was in view stays there.
    await log.evaluate((el) => (el.scrollTop = 0));
    await see(entry(0), 'the first entry, drawn once scrolled up to');
    assert.equal(await pane.getByTestId('chat-entry').count(), 250);
    await see(pane.getByTestId('chat-earlier'), 'no note once all is drawn', 'hidden');
    assert.ok(await inView(50), 'the entry that was at the top is still in view');
    assert.ok(!(await inView(0)), 'the view did not jump to the very first entry');

    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    assert.deepEqual(pageErrors, [], 'no page errors');
  });
});
