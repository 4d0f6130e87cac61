// The top bar: product name, project path, what waits for the user, and the
// global Approve all / Reject all.

import type { Ctx } from '../context';
import { h, icon, ICONS } from '../lib/dom';
import { askReason } from './reason';

export class TopBar {
  readonly el: HTMLElement;
  private readonly path = h('span', { class: 'project-path', 'data-testid': 'project-path', title: '' });
  private readonly counts = h('span', { class: 'counts', 'aria-live': 'polite' });
  private readonly actionCount: HTMLButtonElement;
  private readonly approveAll: HTMLButtonElement;
  private readonly rejectAll: HTMLButtonElement;
  private readonly actions: HTMLElement;
  /** About: the engine's version and commit, shown from the brand. */
  private readonly about = h('div', { class: 'about', role: 'dialog', 'aria-label': 'About Airlock', 'data-testid': 'about', hidden: true });

  constructor(
    private readonly ctx: Ctx,
    historyToggle: HTMLElement,
    notifyToggle: HTMLElement,
    focusActions: () => void,
  ) {
    this.actionCount = h('button', {
      class: 'count-pill count-actions',
      type: 'button',
      'data-testid': 'actions-count',
      title: 'Actions wait for you to allow or deny them — go to the first',
      onclick: focusActions,
      hidden: true,
    });
    this.approveAll = h(
      'button',
      {
        class: 'btn btn-approve',
        type: 'button',
        'data-testid': 'approve-all',
        'aria-label': 'Approve all pending changes',
        title: 'Approve every pending hunk and land it in the project',
        onclick: () => void this.decideAll('approve'),
      },
      icon(ICONS.check),
      'Approve all',
    );
    this.rejectAll = h(
      'button',
      {
        class: 'btn btn-reject',
        type: 'button',
        'data-testid': 'reject-all',
        'aria-label': 'Reject all pending changes',
        title: 'Reject every pending hunk and revert it in the stage',
        onclick: () => void this.decideAll('reject'),
      },
      icon(ICONS.x),
      'Reject all',
    );
    this.actions = h('div', { class: 'topbar-actions' }, this.rejectAll, this.approveAll);
    this.el = h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'brand-wrap' },
        h(
          'button',
          {
            class: 'brand',
            type: 'button',
            'data-testid': 'about-toggle',
            'aria-label': 'About Airlock',
            title: 'About Airlock',
            onclick: () => this.toggleAbout(),
          },
          h('span', { class: 'brand-mark' }, icon(ICONS.shield)),
          h('span', { class: 'brand-name', text: 'Airlock' }),
        ),
        this.about,
      ),
      h('div', { class: 'project' }, icon(ICONS.file), this.path),
      h('div', { class: 'spacer' }),
      this.actionCount,
      this.counts,
      notifyToggle,
      historyToggle,
      h('div', { class: 'topbar-decide' }, this.actions),
    );
    ctx.store.on('project', () => this.renderProject());
    ctx.store.on('changes', () => this.renderCounts());
    ctx.store.on('actions', () => this.renderActions());
    this.renderProject();
    this.renderCounts();
    this.renderActions();
  }

  private toggleAbout(): void {
    if (!this.about.hidden) {
      this.about.hidden = true;
      return;
    }
    const { version, pid, project } = this.ctx.store;
    this.about.replaceChildren(
      h('div', { class: 'about-name', text: 'Airlock' }),
      h('div', { class: 'about-line', 'data-testid': 'about-version', text: version || 'version not known yet' }),
      h('div', { class: 'about-line muted', text: `engine pid ${pid || '—'} · ${project || '—'}` }),
    );
    this.about.hidden = false;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !this.about.parentElement?.contains(e.target as Node)) {
        this.about.hidden = true;
        document.removeEventListener('keydown', close, true);
        document.removeEventListener('pointerdown', close, true);
      }
    };
    document.addEventListener('keydown', close, true);
    document.addEventListener('pointerdown', close, true);
  }

  private renderActions(): void {
    const n = this.ctx.store.pendingActions();
    this.actionCount.hidden = n === 0;
    this.actionCount.replaceChildren(icon(ICONS.hand), h('b', { text: String(n) }), n === 1 ? ' action waiting' : ' actions waiting');
  }

  private renderProject(): void {
    const p = this.ctx.store.project;
    this.path.textContent = p || '—';
    this.path.title = p;
    const name = p.split('/').filter(Boolean).pop();
    document.title = name ? `${name} — Airlock` : 'Airlock';
  }

  private renderCounts(): void {
    const files = this.ctx.store.pendingFiles();
    const hunks = this.ctx.store.pendingHunks();
    this.counts.replaceChildren();
    if (files === 0) {
      this.counts.append(h('span', { class: 'count-none', text: 'Nothing waiting' }));
    } else {
      this.counts.append(
        h('span', { class: 'count-pill' }, h('b', { text: String(files) }), files === 1 ? ' file' : ' files'),
        h('span', { class: 'count-pill' }, h('b', { text: String(hunks) }), hunks === 1 ? ' hunk pending' : ' hunks pending'),
      );
    }
    this.approveAll.disabled = files === 0;
    this.rejectAll.disabled = files === 0;
  }

  private async decideAll(decision: 'approve' | 'reject'): Promise<void> {
    if (decision === 'approve') {
      await this.ctx.decideAll('approve');
      return;
    }
    const host = this.actions.parentElement;
    if (!host) return;
    const reason = await askReason(host, this.actions, 'all pending changes');
    if (reason === null) return;
    await this.ctx.decideAll('reject', reason || undefined);
  }
}
