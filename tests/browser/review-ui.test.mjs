// The review pane in a real browser against the real engine: keyboard-only
// review, side by side, edit before approve, line-level approval, expanding
// context, history with undo, the white-space filter, syntax colours in dark
// and light mode, and binary changes. An agent (bash in a staged session) writes
// the files through the terminal; the project's bytes are checked afterwards.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { README, SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

const numbered = (n, word = 'line') => Array.from({ length: n }, (_, i) => `${word} ${i + 1}\n`).join('');
const APP = numbered(30);
/** APP with line `no` (1-based) replaced. */
const withLine = (no, text, base = APP) => base.replace(new RegExp(`^line ${no}\\n`, 'm'), text === null ? '' : `${text}\n`);

/** A small Rust file, and the agent's version of it: a changed signature, a deleted fn, a new enum. */
const ENGINE_RS = `//! The review engine, in miniature.

use std::collections::HashMap;

pub struct Engine {
    pending: HashMap<String, Hunk>,
    landed: usize,
}

impl Engine {
    pub fn new() -> Self {
        Engine { pending: HashMap::new(), landed: 0 }
    }

    pub fn land(&mut self, id: &str) -> Option<usize> {
        let hunk = self.pending.remove(id)?;
        self.landed += 1;
        Some(hunk.lines)
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn landed(&self) -> usize {
        self.landed
    }

    pub fn summary(&self) -> String {
        format!("{} pending, {} landed", self.pending(), self.landed)
    }

    fn forget(&mut self, id: &str) {
        self.pending.remove(id);
    }
}

pub struct Hunk {
    pub lines: usize,
}
`;
const ENGINE_RS_AGENT = ENGINE_RS.replace(
  `    pub fn land(&mut self, id: &str) -> Option<usize> {
        let hunk = self.pending.remove(id)?;
        self.landed += 1;
        Some(hunk.lines)
    }`,
  `    pub fn land(&mut self, id: &str) -> Result<usize, Error> {
        let hunk = self.pending.remove(id).ok_or(Error::Unknown)?;
        self.landed += 1;
        Ok(hunk.lines)
    }`,
)
  .replace(
    `
    fn forget(&mut self, id: &str) {
        self.pending.remove(id);
    }
`,
    '',
  )
  .concat(`
/// Why a hunk could not land.
#[derive(Debug)]
pub enum Error {
    Unknown,
}
`);

/** The current hunk (or file header, as `header`) and its file. */
async function current(page) {
  return page.evaluate(() => {
    const c = document.querySelector('.hunk.current, .file-header.current');
    if (!c) return null;
    const file = c.closest('[data-testid="change-file"]');
    const lines = [...c.querySelectorAll(':scope > .hunk-main > .lines-scroll .line-added .code, :scope > .hunk-main > .lines-scroll .k-added.code')].map((e) => e.textContent);
    return { path: file?.dataset.path ?? null, header: c.classList.contains('file-header'), added: lines, focused: document.activeElement === c };
  });
}

const fileLoc = (page, path) => page.locator(`[data-testid="change-file"][data-path="${path}"]`);

describe('the review pane', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a three-file change reviewed with the keyboard only', async (t) => {
    const s = await openPage(t, browser, 'keys', { files: { 'app.txt': APP } });
    const { page, see, until, startAgent, typeLine, seeProjectFile, projectText } = s;
    await startAgent();
    await typeLine(
      `sed -i 's/^line 3$/line three/; s/^line 25$/line twenty-five/' app.txt && printf 'one\\ntwo\\n' > notes.txt && printf 'agent line\\n' >> README.md`,
    );
    await until('3 files with 4 hunks in the review pane', async () => (await page.getByTestId('change-file').count()) === 3 && (await page.getByTestId('hunk').count()) === 4);
    assert.deepEqual(await page.getByTestId('change-file').evaluateAll((els) => els.map((e) => e.dataset.path)), ['app.txt', 'notes.txt', 'README.md']);

    // Keys typed in the terminal belong to the terminal.
    await page.keyboard.press('j');
    await page.waitForTimeout(200);
    assert.equal(await current(page), null, 'j typed in the terminal does not move the review cursor');
    await page.keyboard.press('Backspace');
    // Setup, not review: take the focus off the terminal.
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    const press = async (key, expect, what) => {
      await page.keyboard.press(key);
      await until(`after ${key}: ${what}`, async () => {
        const c = await current(page);
        return c && expect(c);
      });
    };

    await press('j', (c) => c.path === 'app.txt' && c.added.includes('line three') && c.focused, 'the first hunk of app.txt is current and focused');
    await press('j', (c) => c.path === 'app.txt' && c.added.includes('line twenty-five'), 'the second hunk of app.txt');
    await press('n', (c) => c.path === 'notes.txt' && !c.header, 'notes.txt');
    await press('j', (c) => c.path === 'README.md' && c.added.includes('agent line'), 'README.md');
    await press('p', (c) => c.path === 'notes.txt', 'back to notes.txt');
    await press('k', (c) => c.path === 'notes.txt' && c.header, "notes.txt's header");
    await press('k', (c) => c.path === 'app.txt' && c.added.includes('line twenty-five'), 'the last hunk of app.txt');
    await press('k', (c) => c.path === 'app.txt' && c.added.includes('line three'), 'the first hunk of app.txt');
    assert.equal(await page.locator('.hunk.current').count(), 1, 'one current hunk');
    const ring = await page.locator('.hunk.current > .hunk-main').evaluate((el) => getComputedStyle(el, '::after').borderTopWidth);
    assert.equal(ring, '2px', 'the current hunk has a visible ring');

    // a: the first hunk lands; the cursor stays in place, on the hunk that moves up.
    await press('a', (c) => c.path === 'app.txt' && c.added.includes('line twenty-five'), 'the second hunk of app.txt becoming current after approving the first');
    await seeProjectFile('app.txt', withLine(3, 'line three'));
    await until('app.txt showing one hunk', async () => (await fileLoc(page, 'app.txt').getByTestId('hunk').count()) === 1);

    // r: the reason box takes the focus; Enter rejects.
    await page.keyboard.press('r');
    const reason = page.getByTestId('reject-reason');
    await see(reason, 'the reject reason box');
    assert.equal(await reason.evaluate((el) => el === document.activeElement), true, 'the reason box has the focus');
    await page.keyboard.type('not line 25, please');
    await page.keyboard.press('Enter');
    await see(fileLoc(page, 'app.txt'), 'app.txt leaving the queue after the rejection', 'detached');
    await until('the cursor on notes.txt', async () => (await current(page))?.path === 'notes.txt');

    // u: the rejection undone, the agent's hunk pending again; then rejected for good.
    await page.keyboard.press('u');
    await until('the rejected hunk back in the queue', async () => (await fileLoc(page, 'app.txt').getByTestId('hunk').count()) === 1);
    // Up to the restored hunk (from notes.txt, through its header).
    for (let i = 0; i < 3 && !(await current(page))?.added?.includes('line twenty-five'); i++) {
      await page.keyboard.press('k');
      await page.waitForTimeout(100);
    }
    await until('the cursor on the restored hunk', async () => {
      const c = await current(page);
      return c?.path === 'app.txt' && c.added.includes('line twenty-five');
    });
    await page.keyboard.press('r');
    await see(reason, 'the reject reason box again');
    await page.keyboard.press('Enter');
    await see(fileLoc(page, 'app.txt'), 'app.txt leaving the queue after the second rejection', 'detached');
    await until('the cursor on notes.txt again', async () => (await current(page))?.path === 'notes.txt');

    // A: the whole file.
    await page.keyboard.press('A');
    await seeProjectFile('notes.txt', 'one\ntwo\n');
    await see(fileLoc(page, 'notes.txt'), 'notes.txt leaving the queue', 'detached');
    await until('the cursor on README.md', async () => (await current(page))?.path === 'README.md');
    await page.keyboard.press('a');
    await seeProjectFile('README.md', `${README}agent line\n`);
    await see(page.getByTestId('change-file').first(), 'an empty queue', 'detached');

    assert.equal(await projectText('app.txt'), withLine(3, 'line three'), 'app.txt: line 3 approved, line 25 rejected');
    assert.equal(await projectText('notes.txt'), 'one\ntwo\n');
    assert.equal(await projectText('README.md'), `${README}agent line\n`);
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('side by side: both columns, remembered across a reload; screenshots', async (t) => {
    const s = await openPage(t, browser, 'split', {
      files: { 'src/engine.rs': ENGINE_RS },
      viewport: { width: 1600, height: 900 },
      init: () => localStorage.setItem('airlock.reviewWidth', '1020'),
    });
    const { page, tmp, see, until, startAgent, typeLine } = s;
    // Every diff window the page asks for, by change.
    const asked = [];
    page.on('request', (r) => {
      const body = r.method() === 'POST' && r.url().endsWith('/api/call') ? JSON.parse(r.postData() ?? '{}') : {};
      if (body.op === 'getDiff') asked.push(body.change);
    });
    const agentCopy = join(tmp.root, 'engine.rs');
    await writeFile(agentCopy, ENGINE_RS_AGENT);
    await startAgent();
    // Moved into place whole: the stage watcher sees one version of the file.
    await typeLine(`cp ${agentCopy} src/.engine.rs.new && mv src/.engine.rs.new src/engine.rs && clear`);
    const file = fileLoc(page, 'src/engine.rs');
    await see(file.getByTestId('hunk').filter({ hasText: 'Error::Unknown' }).first(), 'the hunk of src/engine.rs');
    await see(file.getByTestId('hunk').filter({ hasText: 'fn forget' }), 'the hunk deleting fn forget');
    // Labels come after the hunks, patched into them: the diff is not asked for again.
    const label = file.getByTestId('hunk-label').filter({ hasText: 'fn land' }).first();
    await see(label, 'the label of the hunk in fn land');
    assert.match(await label.innerText(), /impl Engine/, 'the label names the enclosing symbols');
    await page.waitForTimeout(1000);
    const id = await file.getAttribute('data-change-id');
    assert.equal(asked.filter((c) => c === id).length, 1, `src/engine.rs's diff asked for once, not again for its labels: ${JSON.stringify(asked)}`);

    const shoot = async (name) => {
      if (!SCREENSHOTS) return;
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      await saveScreenshot(name, await page.screenshot());
    };
    // The first hunk current, as a reviewer would have it.
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.keyboard.press('j');
    await shoot('screenshot-unified.png');

    const toggle = page.getByTestId('view-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const split = file.locator('table.lines-split').first();
    await see(split, 'a side-by-side table');

    const checkColumns = async () => {
      const row = (side, no) => file.locator(`table.lines-split tr:has(td.ln-${side}[data-ln="${no}"])`).first();
      // A context line: the same number and text in both columns.
      const ctx = row('old', 12);
      assert.equal(await ctx.locator('td.ln-new').getAttribute('data-ln'), '12');
      assert.equal(await ctx.locator('td.code-old').innerText(), '        Engine { pending: HashMap::new(), landed: 0 }');
      assert.equal(await ctx.locator('td.code-new').innerText(), '        Engine { pending: HashMap::new(), landed: 0 }');
      // A changed line: old on the left, new on the right, on one row, words marked.
      const changed = row('old', 16);
      assert.equal(await changed.locator('td.ln-new').getAttribute('data-ln'), '16');
      assert.equal(await changed.locator('td.code-old').innerText(), '        let hunk = self.pending.remove(id)?;');
      assert.equal(await changed.locator('td.code-new').innerText(), '        let hunk = self.pending.remove(id).ok_or(Error::Unknown)?;');
      assert.match((await changed.locator('td.code-new mark.word').allInnerTexts()).join(''), /ok_or/, 'the changed words are marked');
      // The deleted fn: removed lines on the left, nothing on the right.
      const gone = row('old', 33);
      assert.equal(await gone.locator('td.code-old').innerText(), '    fn forget(&mut self, id: &str) {');
      assert.ok(!(await gone.locator('td.ln-new').getAttribute('data-ln')), 'no new line number beside a removed line');
      assert.equal(await gone.locator('td.code-new').innerText(), '');
      // Syntax highlighting survives the word marks.
      assert.ok((await changed.locator('td.code-new [class^="sy-"]').count()) > 0, 'highlighted tokens');
    };
    await checkColumns();
    await shoot('screenshot-side-by-side.png');

    await page.reload();
    await see(file.locator('table.lines-split').first(), 'side by side after a reload');
    assert.equal(await page.getByTestId('view-toggle').getAttribute('aria-pressed'), 'true');
    await checkColumns();

    await page.getByTestId('view-toggle').click();
    await see(file.locator('table.lines-unified').first(), 'the unified view again');
    assert.equal(await file.locator('table.lines-split').count(), 0);
  });

  test('edit before approve: the edited text lands', async (t) => {
    const s = await openPage(t, browser, 'edit', { files: { 'app.txt': APP } });
    const { page, see, startAgent, typeLine, seeProjectFile } = s;
    await startAgent();
    await typeLine(`sed -i 's/^line 3$/line three/' app.txt`);
    const file = fileLoc(page, 'app.txt');
    await see(file.getByTestId('hunk').filter({ hasText: 'line three' }), 'the hunk of app.txt');

    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.keyboard.press('j');
    await page.keyboard.press('e');
    const editor = file.locator('.cm-content[data-testid="hunk-editor"]');
    await see(editor, 'the inline editor');
    assert.equal(await editor.innerText(), 'line three', 'the editor holds the proposed lines');
    assert.equal(await editor.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)), true, 'the editor has the focus');
    // Keys typed in the editor are text, not review keys.
    await page.keyboard.press('Control+a');
    await page.keyboard.type('line 3, as the user wants it\nand one more line');
    assert.equal(await file.getByTestId('hunk').count(), 1, 'typing j/k/a in the editor did not move or approve');
    await page.keyboard.press('Control+Enter');
    await seeProjectFile('app.txt', withLine(3, 'line 3, as the user wants it\nand one more line'));
    await see(file, 'app.txt leaving the queue', 'detached');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('line-level approval and expanding context', async (t) => {
    const s = await openPage(t, browser, 'lines', { files: { 'app.txt': APP } });
    const { page, see, until, startAgent, typeLine, seeProjectFile } = s;
    await startAgent();
    await typeLine(`sed -i 's/^line 10$/ten\\ninserted/' app.txt`);
    const file = fileLoc(page, 'app.txt');
    const hunk = file.getByTestId('hunk').filter({ hasText: 'inserted' });
    await see(hunk, 'the hunk of app.txt');

    // Lines 1–6 are collapsed above the hunk; expand up shows them.
    assert.equal(await hunk.locator('td.ln-old[data-ln="1"]').count(), 0);
    await hunk.locator('[data-testid="expand-context"][data-direction="up"]').click();
    await see(hunk.locator('td.ln-old[data-ln="1"]'), 'line 1 after expanding up');
    assert.equal(await hunk.locator('tr:has(td.ln-old[data-ln="4"]) td.code').innerText(), 'line 4');
    assert.equal(await hunk.locator('[data-testid="expand-context"][data-direction="up"]').count(), 0, 'nothing left to expand above');

    // Take the change of line 10 but not the inserted line.
    await hunk.locator('[data-testid="line-select"][data-side="removed"][data-index="0"]').check();
    await hunk.locator('[data-testid="line-select"][data-side="added"][data-index="0"]').check();
    const approveLines = hunk.getByTestId('approve-lines');
    await see(approveLines, 'the Approve selected lines button');
    assert.match(await approveLines.innerText(), /2 lines/);
    await approveLines.click();
    // The selected lines land; the line left out stays pending, and the stage keeps it.
    await seeProjectFile('app.txt', withLine(10, 'ten'));
    const rest = file.getByTestId('hunk').filter({ hasText: 'inserted' });
    await see(rest, 'the inserted line still pending');
    await until('only the inserted line left in the hunk', async () =>
      (await rest.locator('[data-testid="line-select"][data-side="added"]').count()) === 1 &&
      (await rest.locator('[data-testid="line-select"][data-side="removed"]').count()) === 0);
    await typeLine(`echo "stage-says:$(sed -n 10,11p app.txt | tr '\\n' ,)"`);
    await s.seeInTerminal('the stage still holding the inserted line', (text) => /^stage-says:ten,inserted,\s*$/m.test(text));
  });

  test('history: undo a landing, from the panel and with u', async (t) => {
    const s = await openPage(t, browser, 'history');
    const { page, see, until, startAgent, typeLine, seeProjectFile } = s;
    await startAgent();
    await typeLine(`printf 'hello\\n' > hello.txt`);
    const file = fileLoc(page, 'hello.txt');
    await see(file.getByTestId('hunk'), 'the hunk of hello.txt');
    await file.getByTestId('hunk-approve').click();
    await seeProjectFile('hello.txt', 'hello\n');

    await page.getByTestId('history-toggle').click();
    const landing = page.getByTestId('landing').first();
    await see(landing, 'a landing in the history panel');
    assert.match(await landing.innerText(), /hello\.txt/);
    const id = await landing.getAttribute('data-landing-id');
    assert.match(id, /^\d+$/);
    await landing.getByTestId('landing-undo').click();
    await seeProjectFile('hello.txt', null);
    const undone = page.locator(`[data-testid="landing"][data-landing-id="${id}"]`);
    await until('the landing marked undone', async () => (await undone.getByTestId('landing-undo').isDisabled()) && /Undone by/.test(await undone.innerText()));
    await see(page.locator('[data-testid="landing"]', { hasText: `Undo of #${id}` }), 'the undo listed as a landing');

    // u undoes the last approval made here.
    await page.getByTestId('history-toggle').click();
    await see(page.getByTestId('history-panel'), 'the history panel closing', 'hidden');
    await typeLine(`printf 'hello again\\n' > hello.txt`);
    await see(file.getByTestId('hunk').filter({ hasText: 'hello again' }), 'the new hunk of hello.txt');
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await seeProjectFile('hello.txt', 'hello again\n');
    await page.keyboard.press('u');
    await seeProjectFile('hello.txt', null);
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('conflicts, held changes, renames, badges, collapsed lockfiles and sorting by risk', async (t) => {
    const s = await openPage(t, browser, 'states', { files: { 'app.txt': APP, 'old-name.txt': 'moving\nalong\n' } });
    const { page, tmp, see, until, startAgent, typeLine, projectText } = s;
    await startAgent();
    await typeLine(
      [
        `printf '{}\\n' > package-lock.json`,
        `mkdir -p .github/workflows && printf 'on: push\\n' > .github/workflows/ci.yml`,
        'mv old-name.txt new-name.txt',
        `sed -i 's/^line 3$/agent three/' app.txt`,
        `printf 'x\\n' > linked.txt && ln linked.txt linked2.txt`,
      ].join(' && '),
    );
    await until('6 changes in the queue', async () => (await page.getByTestId('change-file').count()) === 6);
    // The user edits the same line in the project meanwhile: the agent's hunk now conflicts.
    await writeFile(join(tmp.project, 'app.txt'), withLine(3, 'user three'));
    const app = fileLoc(page, 'app.txt');
    const conflict = app.locator('[data-testid="hunk"].conflict');
    await see(conflict, 'the app.txt hunk shown as a conflict');
    assert.match(await conflict.locator('.conflict-note').innerText(), /overlaps lines you changed.*reject it to keep yours, or edit it/);
    assert.equal(await conflict.getByTestId('hunk-approve').isDisabled(), true, 'Approve is disabled on a conflict');
    assert.equal(await conflict.getByTestId('hunk-edit').isDisabled(), false, 'Edit stays possible');
    assert.equal(await conflict.getByTestId('line-select').count(), 0, 'no line selection on a conflict');

    // Held: only Reject.
    // linked.txt may be proposed once before `ln` links it (a plain new file),
    // then again as held when the link count changes: wait for the second.
    const held = fileLoc(page, 'linked.txt');
    await see(held.locator('.held-note'), 'linked.txt held as hard-linked');
    assert.match(await held.locator('.held-note').innerText(), /hard-linked/);
    assert.equal(await held.getByTestId('file-approve').isDisabled(), true);
    assert.equal(await held.getByTestId('hunk-approve').isDisabled(), true);
    assert.equal(await held.getByTestId('hunk-edit').isDisabled(), true);
    assert.equal(await held.getByTestId('hunk-reject').isDisabled(), false);

    // A rename shows both names and its whole-file hunk.
    const renamed = fileLoc(page, 'new-name.txt');
    assert.equal((await renamed.locator('.file-path').innerText()).replace(/\s+/g, ' '), 'old-name.txt → new-name.txt');
    assert.match(await renamed.getByTestId('hunk').innerText(), /Moved without edits/);

    // File badges; the lockfile starts collapsed and opens on demand.
    const lock = fileLoc(page, 'package-lock.json');
    await see(lock.locator('[data-testid="badge"][data-kind="lockfile"]'), 'the lockfile badge');
    assert.match(await lock.getByTestId('badge').getAttribute('title'), /lockfile/);
    assert.equal(await lock.getAttribute('class').then((c) => c.includes('collapsed')), true, 'the lockfile is collapsed');
    assert.equal(await lock.getByTestId('hunk').count(), 0);
    await lock.getByTestId('file-toggle').click();
    await see(lock.getByTestId('hunk'), 'the lockfile hunk once expanded');
    await see(fileLoc(page, '.github/workflows/ci.yml').locator('[data-testid="badge"][data-kind="ciConfig"]'), 'the CI config badge');

    // Sorting by risk puts CI config (50) before the lockfile (10) before the rest.
    const order = () => page.getByTestId('change-file').evaluateAll((els) => els.map((e) => e.dataset.path));
    assert.equal((await order())[0], '.github/workflows/ci.yml');
    await page.getByTestId('sort-toggle').click();
    await until('risk order', async () => {
      const o = await order();
      return o[0] === '.github/workflows/ci.yml' && o[1] === 'package-lock.json';
    });
    assert.equal(await page.getByTestId('sort-toggle').innerText(), 'Sort: risk');
    await page.reload();
    await see(page.getByTestId('change-file').first(), 'the queue after a reload');
    assert.equal(await page.getByTestId('sort-toggle').innerText(), 'Sort: risk', 'the sort is remembered');

    // a on the conflict says why instead of approving; r rejects it and the user's line stays.
    await page.locator('[data-testid="change-file"][data-path="app.txt"] [data-testid="hunk"] .hunk-range').click();
    await until('the app.txt hunk current', async () => (await current(page))?.path === 'app.txt');
    await page.keyboard.press('a');
    await see(page.getByTestId('toast').filter({ hasText: 'reject to keep yours' }), 'a notice saying why a conflict cannot be approved');
    assert.equal(await projectText('app.txt'), withLine(3, 'user three'));
    await page.keyboard.press('r');
    await page.keyboard.press('Enter');
    await see(fileLoc(page, 'app.txt'), 'app.txt leaving the queue after the rejection', 'detached');
    assert.equal(await projectText('app.txt'), withLine(3, 'user three'), "the user's line is kept");
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
  });

  test('hide white space: a white-space-only hunk goes, and comes back', async (t) => {
    const { page, see, until, startAgent, typeLine } = await openPage(t, browser, 'ws', { files: { 'app.txt': APP } });
    await page.evaluate(() => localStorage.removeItem('airlock.ignoreWhitespace'));
    await startAgent();
    // Line 3 really changes; line 25 only gains an indent.
    await typeLine(`sed -i 's/^line 3$/line three/; s/^line 25$/    line 25/' app.txt && clear`);
    const file = fileLoc(page, 'app.txt');
    const hunks = file.getByTestId('hunk');
    await until('2 hunks of app.txt', async () => (await hunks.count()) === 2);
    await see(hunks.filter({ hasText: '    line 25' }), 'the indent-only hunk');
    const toggle = page.getByTestId('whitespace-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    await until('1 hunk of app.txt with the filter on', async () => (await hunks.count()) === 1);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.match(await hunks.first().innerText(), /line three/, 'the real change stays');
    assert.equal(await hunks.filter({ hasText: '    line 25' }).count(), 0, 'the indent-only hunk is hidden');
    await toggle.click();
    await until('both hunks again with the filter off', async () => (await hunks.count()) === 2);
    await see(hunks.filter({ hasText: '    line 25' }), 'the indent-only hunk again');
  });

  test('syntax colours follow the OS: a token has another colour in dark mode than in light', async (t) => {
    const { page, see, until, startAgent, typeLine, tmp } = await openPage(t, browser, 'theme', { files: { 'src/engine.rs': ENGINE_RS } });
    const agentCopy = join(tmp.root, 'engine.rs');
    await writeFile(agentCopy, ENGINE_RS_AGENT);
    await startAgent();
    await typeLine(`cp ${agentCopy} src/engine.rs && clear`);
    const file = fileLoc(page, 'src/engine.rs');
    const keyword = file.locator('[data-testid="hunk"] .code .sy-storage.sy-type').first();
    await see(keyword, 'a highlighted `fn` or `let` in a hunk of src/engine.rs');
    // Read from a token in the page: the hunk may be painted again while we
    // look (its labels arrive), and a replaced node has no computed style.
    const colours = async () => {
      let got;
      await until('a painted token to read colours from', async () => {
        got = await keyword.evaluate((el) =>
          el.isConnected
            ? { token: getComputedStyle(el).color, text: getComputedStyle(el.closest('.code') ?? document.body).color, word: el.textContent }
            : null,
        );
        return got && got.token !== '' && got.text !== '';
      });
      return got;
    };
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours();
    assert.notEqual(dark.token, light.token, `"${dark.word}" is ${dark.token} in dark mode and ${light.token} in light mode`);
    assert.notEqual(dark.token, dark.text, 'in dark mode the token is coloured, not the plain text colour');
    assert.notEqual(light.token, light.text, 'in light mode the token is coloured, not the plain text colour');
    await page.emulateMedia({ colorScheme: null });
  });

  test('a binary change says both sizes and is decided whole', async (t) => {
    // 1,229 bytes of text with NULs in it: binary to the engine.
    const bin = 'ab\0'.repeat(409) + 'ab';
    const { page, see, startAgent, typeLine } = await openPage(t, browser, 'binary', { files: { 'logo.bin': bin } });
    await startAgent();
    await typeLine('head -c 3482 /dev/zero > logo.bin && clear');
    const file = fileLoc(page, 'logo.bin');
    await see(file.locator('.file-notice', { hasText: 'Binary file: 1.2 KiB → 3.4 KiB, approve or reject it whole.' }), 'the binary notice with both sizes');
    await see(file.locator('.badge', { hasText: 'binary' }), 'the binary badge');
    assert.equal(await file.locator('[data-testid="hunk"] table').count(), 0, 'no line diff for a binary file');
  });

  test('? opens an accessible list of every key', async (t) => {
    const { page, see } = await openPage(t, browser, 'help');
    await page.keyboard.press('?');
    const dialog = page.getByTestId('help-dialog');
    await see(dialog, 'the help dialog');
    assert.equal(await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).count(), 1);
    const text = await dialog.innerText();
    for (const key of ['j', 'k', 'n', 'p', 'a', 'r', 'e', 'c', 'A', 'R', 'u', '?']) assert.match(text, new RegExp(`(^|\\s)${key.replace('?', '\\?')}(\\s|$)`, 'm'), `help lists ${key}`);
    await page.keyboard.press('Escape');
    await see(dialog, 'the help dialog closing', 'hidden');
  });
});
