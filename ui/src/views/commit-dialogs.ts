// The two dialogs of the history drawer: "Commit…" (the drafted message,
// editable; the current branch or a new one; the changed files, Airlock's
// ticked and the user's own not) and "Push and open PR" (the remote, the
// base, draft or not; the pull request's address, or the commands to run).
// An engine error (a hook that refused, no remote) is shown in the dialog.

import type { Ctx } from '../context';
import type { CommitFile, CommitPlan, FileStatus, PullRequestOutcome } from '../ipc/bindings';
import { dialogShell } from '../lib/dialog';
import { h } from '../lib/dom';

const LETTER: Record<FileStatus, string> = { added: 'A', modified: 'M', deleted: 'D' };

function fileRow(f: CommitFile): HTMLElement {
  const box = h('input', { type: 'checkbox', 'data-testid': 'commit-file', 'data-path': f.path, checked: f.landed });
  return h(
    'li',
    { class: f.landed ? 'landed' : 'yours' },
    h('label', {}, box, h('span', { class: 'commit-status', text: LETTER[f.status] }), h('span', { class: 'commit-path', title: f.path, text: f.path }), f.landed ? null : h('span', { class: 'commit-tag', text: 'yours' })),
  );
}

/** The branch choice: the current branch (when HEAD is on one) or a new one. */
function branchChoice(plan: CommitPlan): { el: HTMLElement; value: () => string | undefined } {
  const current = h('input', { type: 'radio', name: 'commit-branch', value: 'current', 'data-testid': 'commit-on-current', checked: plan.branch !== null, disabled: plan.branch === null });
  const fresh = h('input', { type: 'radio', name: 'commit-branch', value: 'new', 'data-testid': 'commit-on-new', checked: plan.branch === null });
  const name = h('input', { type: 'text', class: 'commit-branch-name', 'data-testid': 'commit-branch-name', value: plan.suggestedBranch, 'aria-label': 'New branch name', spellcheck: 'false' });
  name.addEventListener('focus', () => (fresh.checked = true));
  const el = h(
    'fieldset',
    { class: 'commit-branch' },
    h('legend', { text: 'Branch' }),
    h('label', {}, current, plan.branch ? ` On ${plan.branch}` : ' HEAD is detached: commit on a new branch'),
    h('label', {}, fresh, ' On a new branch ', name),
  );
  return { el, value: () => (fresh.checked ? name.value.trim() : undefined) };
}

/** Opens "Commit…" for `plan` (of `session`, or all); `done` runs after a commit. */
export function openCommitDialog(ctx: Ctx, plan: CommitPlan, session: string | undefined, done: (summary: string) => void): HTMLDialogElement {
  const message = h('textarea', { class: 'commit-message', 'data-testid': 'commit-message', rows: 8, 'aria-label': 'Commit message', spellcheck: 'true' });
  message.value = plan.message;
  const branch = branchChoice(plan);
  const files = h('ul', { class: 'commit-files', 'aria-label': 'Files to commit' }, ...plan.files.map(fileRow));
  const confirm = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'commit-confirm', text: 'Commit' });
  const { dialog, error } = dialogShell('Commit', 'commit-dialog', [h('label', { class: 'commit-label', text: 'Message' }), message, branch.el, h('p', { class: 'commit-label', text: 'Files (only the ticked ones are committed)' }), files], confirm);
  confirm.addEventListener('click', async () => {
    const paths = [...files.querySelectorAll<HTMLInputElement>('input[type="checkbox"]:checked')].map((b) => b.dataset['path'] ?? '');
    confirm.disabled = true;
    error.hidden = true;
    const name = branch.value();
    const res = await ctx.attempt({ op: 'commit', message: message.value, paths, ...(session ? { session } : {}), ...(name !== undefined ? { branch: name } : {}) });
    confirm.disabled = false;
    if (!res.ok) {
      error.textContent = res.message;
      error.hidden = false;
      return;
    }
    const c = res.value;
    dialog.close();
    done(`Committed ${c.commit.slice(0, 8)} on ${c.branch}${c.createdBranch ? ' (new branch)' : ''}: ${c.paths.length} file${c.paths.length === 1 ? '' : 's'}`);
  });
  return dialog;
}

function prResult(out: PullRequestOutcome): HTMLElement {
  if (out.url) {
    return h('p', { class: 'commit-result', 'data-testid': 'pr-url' }, `Pushed ${out.branch} to ${out.remote}. Pull request: `, h('a', { href: out.url, target: '_blank', rel: 'noopener noreferrer', text: out.url }));
  }
  return h(
    'div',
    { class: 'commit-result' },
    h('p', { 'data-testid': 'pr-note', text: out.note ?? `Pushed ${out.branch} to ${out.remote}.` }),
    h('pre', { class: 'commit-commands', 'data-testid': 'pr-commands', text: out.commands.join('\n') }),
  );
}

/** Opens "Push and open PR" with `remotes` to pick from (the one to offer first at the head). */
export function openPrDialog(ctx: Ctx, remotes: string[]): HTMLDialogElement {
  const remote = h('select', { class: 'commit-remote', 'data-testid': 'pr-remote', 'aria-label': 'Remote' }, ...remotes.map((r) => h('option', { value: r, text: r })));
  const base = h('input', { type: 'text', 'data-testid': 'pr-base', placeholder: 'the default branch', 'aria-label': 'Base branch', spellcheck: 'false' });
  const draft = h('input', { type: 'checkbox', 'data-testid': 'pr-draft' });
  const result = h('div', { 'data-testid': 'pr-result', 'aria-live': 'polite' });
  const confirm = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'pr-confirm', text: 'Push and open PR' });
  const fields = h(
    'div',
    { class: 'commit-pr-fields' },
    h('label', {}, 'Remote ', remote),
    h('label', {}, 'Base ', base),
    h('label', {}, draft, ' Draft'),
  );
  const { dialog, error } = dialogShell('Push and open a pull request', 'pr-dialog', [fields, result], confirm);
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    error.hidden = true;
    const target = base.value.trim();
    const res = await ctx.attempt({ op: 'openPullRequest', draft: draft.checked, ...(remote.value ? { remote: remote.value } : {}), ...(target ? { base: target } : {}) });
    confirm.disabled = false;
    if (!res.ok) {
      error.textContent = res.message;
      error.hidden = false;
      return;
    }
    result.replaceChildren(prResult(res.value));
  });
  return dialog;
}
