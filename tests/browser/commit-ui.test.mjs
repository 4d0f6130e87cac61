// Commit and pull request from the history drawer, in a real browser against
// the real engine and a real git repository with a local bare remote. `gh` is
// a script on the engine's PATH that records its arguments. The user's own
// uncommitted change must stay uncommitted; a failing hook's words show in
// the dialog; the pull request's address shows once gh ran.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SCREENSHOTS, launchBrowser, openPage, saveScreenshot } from './helpers.mjs';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('commit and pull request', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('commit only the landed file on a new branch, then push and open a PR', async (t) => {
    // The engine inherits this PATH: gh is the recording script.
    const bin = await import('node:os').then((os) => join(os.tmpdir(), `airlock-gh-${process.pid}`));
    await mkdir(bin, { recursive: true });
    const log = join(bin, 'gh.args');
    await writeFile(join(bin, 'gh'), `#!/bin/sh\nif [ "$1" = auth ]; then exit 0; fi\nprintf '%s\\0' "$@" > '${log}'\necho https://github.example/o/r/pull/9\n`);
    await chmod(join(bin, 'gh'), 0o755);
    process.env.PATH = `${bin}:${process.env.PATH}`;

    const s = await openPage(t, browser, 'commit', { files: { 'mine.txt': 'mine\n' } });
    const { page, tmp, see, until, startAgent, typeLine, seeProjectFile } = s;
    const remote = join(tmp.root, 'remote.git');
    git(tmp.root, 'init', '-q', '--bare', remote);
    git(tmp.project, 'remote', 'add', 'origin', remote);
    git(tmp.project, 'push', '-q', 'origin', 'main');
    await writeFile(join(tmp.project, 'mine.txt'), 'mine, not for this commit\n');

    await startAgent();
    await typeLine(`printf 'hello\\n' > hello.txt`);
    await see(page.locator('[data-testid="change-file"][data-path="hello.txt"]'), 'the change of hello.txt');
    await page.getByTestId('approve-all').click();
    await seeProjectFile('hello.txt', 'hello\n');

    await page.getByTestId('history-toggle').click();
    const group = page.getByTestId('commit-group');
    await see(group, 'the session waiting to be committed');
    assert.match(await group.innerText(), /hello\.txt/);
    assert.doesNotMatch(await group.innerText(), /mine\.txt/);

    // A hook that refuses: its words in the dialog, nothing committed.
    const hook = join(tmp.project, '.git', 'hooks', 'pre-commit');
    await writeFile(hook, '#!/bin/sh\necho "hook says: not today" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    await group.getByTestId('commit-open').click();
    const dialog = page.getByTestId('commit-dialog');
    await see(dialog, 'the Commit dialog');
    assert.match(await dialog.getByTestId('commit-message').inputValue(), /^bash: update hello\.txt\n/);
    const ticked = async (path) => dialog.locator(`[data-testid="commit-file"][data-path="${path}"]`).isChecked();
    assert.equal(await ticked('hello.txt'), true, 'the landed file is ticked');
    assert.equal(await ticked('mine.txt'), false, "the user's file is not");
    await dialog.getByTestId('commit-on-new').check();
    assert.equal(await dialog.getByTestId('commit-branch-name').inputValue(), 'airlock/bash');
    await dialog.getByTestId('commit-message').fill('Say hello\n\nFrom the browser test.');
    await dialog.getByTestId('commit-confirm').click();
    await see(dialog.getByTestId('commit-dialog-error').filter({ hasText: 'hook says: not today' }), "the hook's output in the dialog");
    assert.equal(git(tmp.project, 'branch', '--show-current'), 'main', 'still on main');
    assert.equal(git(tmp.project, 'rev-list', '--count', 'HEAD'), '1', 'nothing committed');

    // Without the hook, the commit goes through on the new branch.
    await writeFile(hook, '#!/bin/sh\nexit 0\n');
    await dialog.getByTestId('commit-confirm').click();
    await see(dialog, 'the dialog closed after committing', 'hidden');
    await see(page.getByTestId('commit-box-status').filter({ hasText: 'Everything Airlock landed is committed.' }), 'nothing left to commit');
    assert.equal(git(tmp.project, 'branch', '--show-current'), 'airlock/bash');
    assert.equal(git(tmp.project, 'log', '-1', '--format=%B'), 'Say hello\n\nFrom the browser test.');
    assert.equal(git(tmp.project, 'show', '--name-only', '--format=', 'HEAD'), 'hello.txt');
    const porcelain = execFileSync('git', ['status', '--porcelain'], { cwd: tmp.project, encoding: 'utf8' });
    assert.equal(porcelain, ' M mine.txt\n', "the user's change is still uncommitted, and unstaged");

    // Push and open PR.
    await page.getByTestId('history-pr').click();
    const pr = page.getByTestId('pr-dialog');
    await see(pr, 'the pull request dialog');
    assert.equal(await pr.getByTestId('pr-remote').inputValue(), 'origin');
    await pr.getByTestId('pr-base').fill('main');
    await pr.getByTestId('pr-draft').check();
    if (SCREENSHOTS) await saveScreenshot('screenshot-pull-request.png', await page.screenshot());
    await pr.getByTestId('pr-confirm').click();
    await see(pr.getByTestId('pr-url').filter({ hasText: 'https://github.example/o/r/pull/9' }), 'the pull request address');
    assert.equal(git(remote, 'rev-parse', 'airlock/bash'), git(tmp.project, 'rev-parse', 'HEAD'), 'the branch was pushed');
    const args = (await readFile(log, 'utf8')).split('\0').slice(0, -1);
    assert.deepEqual(args.slice(0, 8), ['pr', 'create', '--head', 'airlock/bash', '--base', 'main', '--title', 'Say hello']);
    assert.equal(args[8], '--body');
    assert.match(args[9], /^From the browser test\.\n\n## Sessions\n\n- \*\*bash\*\* \(`s-[0-9a-f]+`\)$/);
    assert.equal(args[10], '--draft');
    await until('no error banner', async () => (await page.getByTestId('error-banner').count()) === 0);
  });
});
