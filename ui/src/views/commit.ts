// The top of the history drawer: the landings since the last commit, grouped
// by session, each with "Commit…", and "Push and open PR" for the branch.

import '../styles/commit.css';
import type { Ctx } from '../context';
import type { CommitPlan, CommitSession } from '../ipc/bindings';
import { h } from '../lib/dom';
import { openCommitDialog, openPrDialog } from './commit-dialogs';

export class CommitBox {
  readonly el: HTMLElement;
  private readonly groups = h('ul', { class: 'commit-groups', 'aria-label': 'Landings not committed yet, by session' });
  private readonly status = h('p', { class: 'commit-box-status', 'data-testid': 'commit-box-status', role: 'status' });
  private readonly all = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'commit-all', text: 'Commit all…', hidden: true });
  private readonly pr = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'history-pr', text: 'Push and open PR…', hidden: true });
  private plan: CommitPlan | null = null;
  private seq = 0;

  constructor(private readonly ctx: Ctx) {
    this.all.addEventListener('click', () => void this.commit(undefined));
    this.pr.addEventListener('click', () => {
      const dialog = openPrDialog(this.ctx, this.plan?.remotes ?? []);
      this.el.append(dialog);
      dialog.showModal();
    });
    this.el = h(
      'section',
      { class: 'commit-box', 'data-testid': 'commit-box', 'aria-label': 'Not committed yet' },
      h('div', { class: 'commit-box-head' }, h('span', { class: 'commit-box-title', text: 'Not committed yet' }), h('span', { class: 'spacer' }), this.all, this.pr),
      this.status,
      this.groups,
    );
  }

  /** Asks the engine what waits for a commit. */
  async refresh(): Promise<void> {
    const seq = ++this.seq;
    const res = await this.ctx.attempt({ op: 'commitPlan' });
    if (seq !== this.seq) return;
    if (!res.ok) {
      this.plan = null;
      this.show(res.message, []);
      this.pr.hidden = true;
      return;
    }
    this.plan = res.value;
    const sessions = res.value.sessions;
    this.show(sessions.length === 0 ? 'Everything Airlock landed is committed.' : '', sessions);
    this.pr.hidden = res.value.branch === null;
  }

  private show(text: string, sessions: CommitSession[]): void {
    this.status.textContent = text;
    this.status.hidden = text === '';
    this.all.hidden = sessions.length < 2;
    this.groups.replaceChildren(...sessions.map((s) => this.group(s)));
  }

  private group(s: CommitSession): HTMLElement {
    const files = s.paths.length === 1 ? (s.paths[0] ?? '') : `${s.paths.length} files`;
    return h(
      'li',
      { class: 'commit-group', 'data-testid': 'commit-group', 'data-session-id': s.id },
      h(
        'div',
        { class: 'landing-head' },
        h('span', { class: 'landing-who', title: s.id, text: s.name }),
        h('span', { class: 'landing-id', text: s.landings.map((l) => `#${l}`).join(' ') }),
        h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-sm btn-primary', type: 'button', 'data-testid': 'commit-open', 'aria-label': `Commit ${files} of ${s.name}`, text: 'Commit…', onclick: () => void this.commit(s.id) }),
      ),
      h('ul', { class: 'landing-files' }, ...s.paths.map((p) => h('li', { title: p, text: p }))),
    );
  }

  /** Opens "Commit…" for one session's landings, or everyone's. */
  private async commit(session: string | undefined): Promise<void> {
    const res = await this.ctx.attempt({ op: 'commitPlan', ...(session ? { session } : {}) });
    if (!res.ok) {
      this.ctx.error(res.message);
      return;
    }
    const dialog = openCommitDialog(this.ctx, res.value, session, (summary) => {
      this.ctx.notify(summary);
      void this.refresh();
    });
    this.el.append(dialog);
    dialog.showModal();
    dialog.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }
}
