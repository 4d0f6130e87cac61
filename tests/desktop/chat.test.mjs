// One chat turn in the real Tauri window (WebKitGTK through tauri-driver), with
// the scripted ACP agent (tests/fixtures/acp_agent.py): a chat started from the
// window's form, a streamed reply and its plan, then a write the engine holds
// in the session's stage until it is approved in the review pane. The browser
// test (tests/browser/chat-ui.test.mjs) covers the pane in depth; this one
// proves the desktop shell carries a chat end to end (its commands, its event
// channel, its capability grants).

import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, SCREENSHOTS, readOrNull, saveScreenshot, waitUntil } from '../browser/helpers.mjs';
import { errorBanners, launchWindow } from './harness.mjs';

const ACP_AGENT = join(REPO, 'tests', 'fixtures', 'acp_agent.py');
// The interpreter itself, not a launcher in front of it: a pyenv shim runs
// helper programs the session's exec gate would stop to ask about.
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

describe('a chat in the desktop window through WebDriver (tauri-driver)', () => {
  let win;
  let wd;
  let tmp;

  before(async () => {
    win = await launchWindow('desktop-chat');
    ({ wd, tmp } = win);
  });

  after(async () => {
    await win?.close();
  });

  /** What the chat pane shows, for failure messages. */
  const chatText = () =>
    wd.exec(`const c = document.querySelector('[data-testid="chat"]'); return c ? c.innerText.slice(-3000) : 'no chat pane';`);
  const count = (css) => wd.exec(`return document.querySelectorAll(arguments[0]).length;`, [css]);
  const lastAgentText = () =>
    wd.exec(`const a = document.querySelectorAll('[data-testid="chat-entry"][data-type="agent"]'); return a.length ? a[a.length - 1].textContent : '';`);
  const turnsEnded = () => count('[data-testid="chat-entry"][data-type="turnEnded"]');

  /** Types `text` into the prompt box and clicks Send once the agent can take a turn. */
  async function send(text) {
    const input = await wd.see('[data-testid="chat-input"]', 'the prompt box');
    await wd.click(input);
    await wd.type(input, text);
    const button = await wd.see('[data-testid="chat-send"]', 'the Send button');
    await waitUntil('the Send button enabled', () => wd.cmd('GET', `/element/${button}/enabled`));
    await wd.click(button);
  }

  test('start a chat from the form, stream a reply and a plan, approve a held write in the review pane', async () => {
    try {
      // 1. The form: kind Chat, the agent's command, Start.
      await wd.press('[data-testid="new-session-kind"] option[value="chat"]', 'the Chat option of the kind select');
      await waitUntil('the kind select on Chat', async () =>
        (await wd.exec(`return document.querySelector('[data-testid="new-session-kind"]').value;`)) === 'chat',
      );
      const command = await wd.see('[data-testid="new-session-command"]', 'the new-session command input');
      await wd.click(command);
      await wd.type(command, `'${PYTHON}' '${ACP_AGENT}'`);
      await wd.press('[data-testid="new-session-start"]', 'the Start button');
      await wd.see('[data-testid="session-item"] [data-testid="session-kind"]', 'the chat session in the sidebar');
      assert.match(
        await wd.exec(`return document.querySelector('[data-testid="session-item"] [data-testid="session-kind"]').textContent;`),
        /chat/,
        'the session is marked as a chat',
      );
      await wd.see('[data-testid="chat"]', 'the chat pane');
      const button = await wd.see('[data-testid="chat-send"]', 'the Send button');
      await waitUntil('the agent ready (Send enabled)', () => wd.cmd('GET', `/element/${button}/enabled`));

      // 2. hello: the prompt, the streamed reply, the plan, the turn's end.
      await send('hello');
      await waitUntil('the prompt "hello" in the transcript', async () =>
        (await wd.exec(`return [...document.querySelectorAll('[data-testid="chat-entry"][data-type="user"]')].map((e) => e.textContent);`)).some((t) =>
          t.includes('hello'),
        ),
      );
      await waitUntil('"Hello from the scripted agent." streamed in', async () => (await lastAgentText()).includes('Hello from the scripted agent.'));
      await waitUntil('the plan with its 2 items completed', async () => {
        const statuses = await wd.exec(`return [...document.querySelectorAll('[data-testid="chat-plan"] li')].map((li) => li.dataset.status);`);
        return statuses.length === 2 && statuses.every((s) => s === 'completed');
      });
      assert.deepEqual(
        await wd.exec(`return [...document.querySelectorAll('[data-testid="chat-plan"] .chat-plan-text')].map((e) => e.textContent);`),
        ['Greet', 'Stop'],
      );
      await waitUntil('the hello turn ended', async () => (await turnsEnded()) === 1);

      // 3. A write: held in the stage, shown in the review pane, nothing in the project yet.
      await send('write notes.txt from the window');
      await wd.see('[data-testid="chat-tool"][data-kind="edit"]', 'the edit tool card');
      const fileCss = '[data-testid="change-file"][data-path="notes.txt"]';
      await wd.see(fileCss, 'the held change of notes.txt in the review pane');
      await waitUntil('the notes.txt hunk showing "from the window"', async () => {
        const text = await wd.exec(`return document.querySelector(arguments[0])?.textContent ?? '';`, [`${fileCss} [data-testid="hunk"]`]);
        return text.includes('from the window');
      });
      assert.equal(await readOrNull(join(tmp.project, 'notes.txt')), null, 'nothing reaches the project before approval');
      assert.equal(await count('[data-testid="chat-permission-allow"]'), 0, 'no Allow button: a staged write asks nothing in the chat');

      if (SCREENSHOTS) {
        await new Promise((r) => setTimeout(r, 800));
        const png = await wd.cmd('GET', '/screenshot');
        await saveScreenshot('screenshot-desktop-chat.png', Buffer.from(png, 'base64'));
      }

      // 4. Approved in the review pane: the file lands, the change goes, the turn ends.
      await wd.press(`${fileCss} [data-testid="file-approve"]`, 'Approve on the notes.txt change');
      await waitUntil('notes.txt in the project holding exactly "from the window\\n"', async () => {
        const bytes = await readOrNull(join(tmp.project, 'notes.txt'));
        return bytes !== null && bytes.toString('utf8') === 'from the window\n';
      });
      await wd.gone(fileCss, 'the change of notes.txt going away after approval');
      await waitUntil('the write turn ended', async () => (await turnsEnded()) === 2);
      await waitUntil('the edit card completed', async () =>
        (await wd.exec(`return document.querySelector('[data-testid="chat-tool"][data-kind="edit"]')?.dataset.status;`)) === 'completed',
      );
      assert.deepEqual(await errorBanners(wd), [], 'no error banner');
    } catch (err) {
      throw new Error(`${err?.message ?? err}\nthe chat shows:\n${await chatText().catch((e) => `? ${e.message}`)}\n${win.logs()}`, {
        cause: err,
      });
    }
  });
});
