// The chat pane in a real browser against the real engine and a real ACP
// agent: tests/fixtures/acp_agent.py, scripted by the first word of each
// prompt. A chat started from the form; a streamed reply with a thought and a
// plan; a staged write held in the review queue and approved there; a
// permission rejected from the tool card; a turn cancelled with Esc; prompt
// recall, completions (`@` from the project's files too), the mode picker, and
// the transcript after a reload. A long transcript as a virtual list: opened
// at its end, few entries in the page wherever it is scrolled, the entry in
// view kept in place when one above it grows, a thought's state kept when its
// view is dropped and drawn again, and the end followed while streaming.

import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, SCREENSHOTS, launchBrowser, openPage, saveScreenshot, waitUntil } from './helpers.mjs';

const ACP_AGENT = join(REPO, 'tests', 'fixtures', 'acp_agent.py');
// The interpreter itself, not a launcher in front of it: a pyenv shim runs
// helper programs the session's exec gate would stop to ask about.
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

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
    await page.getByTestId('new-session-command').fill(`'${PYTHON}' '${ACP_AGENT}'`);
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
    await page.getByTestId('new-session-command').fill(`sh -c 'echo agent-log-line >&2; exec "${PYTHON}" "${ACP_AGENT}"'`);
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

  test('a long transcript is a virtual list: opened at its end, few entries drawn, the top reachable, the end followed while streaming', async (t) => {
    const { page, engine: e, see, until, pageErrors } = await openPage(t, browser, 'chat-long');
    const call = (req) => callEngine(e, req);
    // 400 turns of "hello" (5 entries each) over HTTP.
    const { id } = await call({ op: 'startSession', kind: 'chat', command: [PYTHON, ACP_AGENT] });
    await until('the agent started', async () => (await call({ op: 'status' })).sessions.find((s) => s.id === id)?.chat);
    let n = 0;
    /** Waits for the turn after entry `n` to end; `n` is then the transcript's length. */
    const ended = async () => {
      const from = n;
      n = await waitUntil(`the turn after entry ${from} ended`, async () => {
        const tr = await call({ op: 'transcript', session: id, from });
        const end = tr.entries.findIndex((e) => e.type === 'turnEnded');
        return end >= 0 ? tr.from + end + 1 : 0;
      }, 30_000, 5);
    };
    const turn = async (text) => {
      await call({ op: 'prompt', session: id, text });
      await ended();
    };
    for (let i = 0; i < 400; i++) await turn('hello');
    assert.equal(n, 2000);

    await page.locator(`[data-testid="session-item"][data-session-id="${id}"] .session-select`).click();
    const pane = page.locator(`.chat-session[data-session-id="${id}"]`);
    const entry = (i) => pane.locator(`[data-testid="chat-entry"][data-index="${i}"]`);
    const drawn = () => pane.getByTestId('chat-entry').count();
    const log = pane.locator('.chat-log');
    /** Entry i's top and bottom relative to the log's view, or null when it is not drawn. */
    const place = (i) =>
      pane.evaluate((el, i) => {
        const e = el.querySelector(`[data-testid="chat-entry"][data-index="${i}"]`);
        if (!e) return null;
        const a = e.getBoundingClientRect();
        const b = el.querySelector('.chat-log').getBoundingClientRect();
        return { top: a.top - b.top, bottom: a.bottom - b.top, view: b.height };
      }, i);
    const inView = async (i) => {
      const p = await place(i);
      return p !== null && p.bottom > 0 && p.top < p.view;
    };
    /** Two frames: what a scroll set off is laid out. */
    const settle = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const LIMIT = 200;

    await see(entry(1999), 'the last entry');
    await until('opened at the end', () => inView(1999));
    assert.ok((await drawn()) <= LIMIT, `at most ${LIMIT} entries drawn at the end; ${await drawn()} are`);
    assert.equal(await entry(0).count(), 0, 'the first entry not drawn while at the end');

    // The top: the first entry drawn and in view, the end taken out of the page.
    await log.evaluate((el) => (el.scrollTop = 0));
    await until('the first entry in view once scrolled to the top', async () => {
      await log.evaluate((el) => (el.scrollTop = 0));
      return inView(0);
    });
    assert.ok((await drawn()) <= LIMIT, `at most ${LIMIT} entries drawn at the top; ${await drawn()} are`);
    assert.equal(await entry(1999).count(), 0, 'the last entry taken out of the page');

    // The middle, by a jump: what is in view is drawn (no blank), still few.
    const mid = await log.evaluate((el) => (el.scrollTop = Math.round(el.scrollHeight / 2)));
    await settle();
    const shownInView = () =>
      pane.evaluate((el) => {
        const b = el.querySelector('.chat-log').getBoundingClientRect();
        return [...el.querySelectorAll('[data-testid="chat-entry"]')]
          .filter((e) => {
            const a = e.getBoundingClientRect();
            return a.bottom > b.top && a.top < b.bottom;
          })
          .map((e) => Number(e.dataset.index));
      });
    const shown = await shownInView();
    assert.ok(shown.length >= 3, `entries in view in the middle; got ${JSON.stringify(shown)}`);
    assert.ok(shown.every((i, k) => k === 0 || i === shown[k - 1] + 1), `in view in order, none missing: ${JSON.stringify(shown)}`);
    assert.ok(shown[0] > 400 && shown[0] < 1600, `the middle shows the middle: ${shown[0]}`);
    assert.ok((await drawn()) <= LIMIT, `at most ${LIMIT} entries drawn in the middle; ${await drawn()} are`);

    // An entry above the view grows (a thought opened): what is in view stays where it is.
    const top = shown[1];
    const before = await place(top);
    const thought = await pane.evaluate((el, top) => {
      const t = [...el.querySelectorAll('[data-testid="chat-entry"][data-type="thought"]')].filter((e) => Number(e.dataset.index) < top - 5).pop();
      t.querySelector('details').open = true;
      return Number(t.dataset.index);
    }, top);
    await settle();
    await settle();
    const afterOpen = await place(top);
    assert.ok(Math.abs(afterOpen.top - before.top) < 2, `entry ${top} stayed at ${before.top}px when thought ${thought} above it opened; it is at ${afterOpen.top}px`);

    // Scrolled far away and back, the thought is drawn again, still open.
    await until('the opened thought taken out of the page', async () => {
      await log.evaluate((el) => (el.scrollTop = 0));
      return (await entry(thought).count()) === 0;
    });
    await until(`thought ${thought} drawn again`, async () => {
      await log.evaluate((el, y) => (el.scrollTop = y), mid);
      return (await entry(thought).count()) === 1;
    });
    assert.equal(await entry(thought).locator('details').evaluate((d) => d.open), true, 'the thought is still open');

    // Away from the end, a reply does not pull the view down.
    await settle();
    const still = (await shownInView())[1];
    const stillBefore = await place(still);
    await turn('stream 300');
    await settle();
    const stillAfter = await place(still);
    assert.ok(stillAfter && Math.abs(stillAfter.top - stillBefore.top) < 2, `the view stayed put while the agent answered; entry ${still} moved from ${stillBefore.top} to ${stillAfter?.top}`);

    // At the end, streamed text stays in view as it grows.
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await until('back at the end', async () => {
      await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
      return inView(n - 1);
    });
    await call({ op: 'prompt', session: id, text: 'slow' });
    const slow = n + 1;
    await until('the slow reply streaming', async () => ((await entry(slow).textContent().catch(() => '')) ?? '').length > 10);
    for (let k = 0; k < 5; k++) {
      const p = await place(slow);
      assert.ok(p && p.bottom <= p.view + 1 && p.bottom > 0, `the streaming reply's end in view: ${JSON.stringify(p)}`);
      await page.waitForTimeout(150);
    }
    await call({ op: 'cancel', session: id });
    await ended();
    await turn('stream 3000');
    await settle();
    assert.ok(await inView(n - 1), 'the end of the transcript in view after a long reply');
    const reply = await place(n - 2);
    assert.ok(reply && reply.bottom <= reply.view + 1, `the long reply's last line in view: ${JSON.stringify(reply)}`);
    assert.ok((await drawn()) <= LIMIT, `at most ${LIMIT} entries drawn after streaming; ${await drawn()} are`);

    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    assert.deepEqual(pageErrors, [], 'no page errors');
  });
});
