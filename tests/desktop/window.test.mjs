// The real Tauri window, driven through tauri-driver (WebDriver over HTTP, no
// client library): open a project, start bash in a staged session, let it write
// a file, approve the hunk, and find the file in the project.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SCREENSHOTS, readOrNull, saveScreenshot, waitUntil } from '../browser/helpers.mjs';
import { ENTER, errorBanners, launchWindow } from './harness.mjs';

const AGENT = 'bash --norc --noprofile';

describe('the desktop window through WebDriver (tauri-driver)', () => {
  let win;
  let wd;
  let tmp;
  const logs = () => win?.logs() ?? '';

  before(async () => {
    win = await launchWindow('desktop');
    ({ wd, tmp } = win);
  });

  after(async () => {
    await win?.close();
  });

  const terminalText = () => wd.exec(`return document.querySelector('[data-testid="terminal"] .xterm-rows')?.innerText ?? '';`);

  /** Types a command line into the session's terminal and presses Enter. */
  async function typeLine(line) {
    await wd.press('[data-testid="terminal"]', 'the terminal');
    const textarea = (await wd.find('[data-testid="terminal"] .xterm-helper-textarea'))[0];
    assert.ok(textarea, 'the xterm helper textarea exists');
    try {
      await wd.type(textarea, line);
      await wd.type(textarea, ENTER);
    } catch (err) {
      // WebKitWebDriver may call the hidden textarea not interactable: type into the focus instead.
      console.error(`# element/value refused (${err.message}); using the Actions API`);
      await wd.exec(`document.querySelector('[data-testid="terminal"] .xterm-helper-textarea').focus();`);
      await wd.keys(line + ENTER);
    }
  }

  test('start bash, let it write a file, approve the hunk, find it in the project', async () => {
    const fail = (err) => {
      throw new Error(`${err?.message ?? err}\n${logs()}`, { cause: err });
    };
    try {
      const input = await wd.see('[data-testid="new-session-command"]', 'the new-session command input');
      await wd.click(input);
      await wd.type(input, AGENT);
      await wd.press('[data-testid="new-session-start"]', 'the Start button');
      await wd.see('[data-testid="session-item"][data-state="running"]', 'a running session in the sidebar');
      await wd.see('[data-testid="terminal"] .xterm-rows', 'the terminal of the new session').catch(async (err) => {
        const dom = await wd
          .exec(`const t = document.querySelector('[data-testid="terminal"]'); return t ? t.outerHTML.slice(0, 1500) : 'no terminal element; banners: ' + [...document.querySelectorAll('[role="alert"]')].map((e) => e.textContent).join(' | ');`)
          .catch((e) => `? ${e.message}`);
        throw new Error(`${err.message}\nthe terminal pane holds: ${dom}`, { cause: err });
      });
      await waitUntil('the bash prompt in the terminal', async () => /[$#]\s*$/m.test(await terminalText()));

      await typeLine(`printf 'hello from the agent\\n' > hello.txt`);

      const fileCss = '[data-testid="change-file"][data-path="hello.txt"]';
      await wd.see(fileCss, 'a change-file for hello.txt').catch(async (err) => {
        throw new Error(`${err.message}\nthe terminal shows:\n${await terminalText().catch(() => '?')}`, { cause: err });
      });
      await waitUntil('the hello.txt hunk showing "hello from the agent"', async () => {
        const text = await wd.exec(`return document.querySelector('${fileCss} [data-testid="hunk"]')?.textContent ?? '';`);
        return text.includes('hello from the agent');
      });
      assert.equal(await readOrNull(join(tmp.project, 'hello.txt')), null, 'nothing reaches the project before approval');

      if (SCREENSHOTS) {
        await new Promise((r) => setTimeout(r, 800));
        const png = await wd.cmd('GET', '/screenshot');
        await saveScreenshot('screenshot-desktop.png', Buffer.from(png, 'base64'));
      }

      await wd.press(`${fileCss} [data-testid="hunk-approve"]`, 'the Approve hunk button');
      await waitUntil('hello.txt in the project holding exactly "hello from the agent\\n"', async () => {
        const bytes = await readOrNull(join(tmp.project, 'hello.txt'));
        return bytes !== null && bytes.toString('utf8') === 'hello from the agent\n';
      });
      await wd.gone(fileCss, 'the change-file for hello.txt going away after approval');
      assert.deepEqual(await errorBanners(wd), [], 'no error banner');
    } catch (err) {
      fail(err);
    }
  });

  // The window's channel never pushes back by itself: the shell sends output
  // only while the window is at most 8 MiB behind, and the window says what it
  // took. 15 MB of output goes through only if those acknowledgements flow.
  test('15 MB of output reaches the window, in order, through its flow control', async () => {
    try {
      await typeLine('clear; seq 1 2000000; echo SEQ-$((40+2))-DONE');
      await waitUntil(
        'the end of 15 MB of seq output in the terminal',
        async () => /1999999\s+2000000\s+SEQ-42-DONE/.test(await terminalText()),
        120_000,
        250,
      );
    } catch (err) {
      throw new Error(`${err?.message ?? err}\nthe terminal shows:\n${await terminalText().catch(() => '?')}\n${logs()}`, { cause: err });
    }
  });

  // A reloaded window reads the session's scrollback again, as raw bytes
  // through `read_scrollback` (a command the capability must grant).
  test('a reloaded window shows the scrollback again', async () => {
    try {
      const item = await wd.see('[data-testid="session-item"][data-state="running"]', 'the running session before the reload');
      const id = await wd.cmd('GET', `/element/${item}/attribute/data-session-id`);
      assert.ok(id, 'the session item names its session');
      await wd.cmd('POST', '/refresh', {});
      const select = `[data-testid="session-item"][data-session-id="${id}"] .session-select`;
      await wd.press(select, 'the session in the sidebar after the reload');
      await wd.see('[data-testid="terminal"] .xterm-rows', 'the terminal after the reload');
      await waitUntil(
        'the end of the seq output again after the reload (scrollback)',
        async () => /1999999\s+2000000\s+SEQ-42-DONE/.test(await terminalText()),
        60_000,
        250,
      );
      assert.deepEqual(await errorBanners(wd), [], 'no error banner');
    } catch (err) {
      throw new Error(`${err?.message ?? err}\nthe terminal shows:\n${await terminalText().catch(() => '?')}\n${logs()}`, { cause: err });
    }
  });
});
