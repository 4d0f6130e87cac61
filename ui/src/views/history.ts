// The history drawer: every landing (newest first) with its time, session and
// files, and Undo; above them what is not committed yet (see commit.ts).
// Opened from the top bar; refreshed on `landed` events.

import type { Ctx } from '../context';
import type { LandingInfo } from '../ipc/bindings';
import { h, icon, ICONS } from '../lib/dom';
import { CommitBox } from './commit';

function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

export class HistoryView {
  readonly el: HTMLElement;
  readonly toggle: HTMLButtonElement;
  private readonly list = h('ol', { class: 'landing-list', 'aria-label': 'Landings, newest first' });
  private readonly status = h('p', { class: 'history-status', role: 'status' });
  private readonly commits: CommitBox;
  private open = false;
  private seq = 0;

  constructor(private readonly ctx: Ctx) {
    this.commits = new CommitBox(ctx);
    this.toggle = h(
      'button',
      {
        class: 'btn btn-ghost',
        type: 'button',
        'data-testid': 'history-toggle',
        'aria-expanded': 'false',
        'aria-controls': 'history-panel',
        title: 'What landed in the project, with undo',
        onclick: () => this.setOpen(!this.open),
      },
      icon(ICONS.history),
      h('span', { class: 'label', text: 'History' }),
    );
    this.el = h(
      'aside',
      { class: 'history', id: 'history-panel', 'data-testid': 'history-panel', 'aria-label': 'History of landings', hidden: true },
      h(
        'div',
        { class: 'history-header' },
        h('span', { class: 'history-title' }, icon(ICONS.history), 'History'),
        h('span', { class: 'spacer' }),
        h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Close history', title: 'Close (Esc)', onclick: () => this.setOpen(false) }, icon(ICONS.x)),
      ),
      this.commits.el,
      this.status,
      this.list,
    );
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.stopPropagation();
        this.setOpen(false);
      }
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  setOpen(on: boolean): void {
    this.open = on;
    this.el.hidden = !on;
    this.toggle.setAttribute('aria-expanded', String(on));
    this.toggle.classList.toggle('active', on);
    if (on) void this.refresh();
    else if (this.el.contains(document.activeElement)) this.toggle.focus();
  }

  /** Takes the list again (only while open: it is fetched on opening anyway). */
  async refresh(): Promise<void> {
    if (!this.open) return;
    const seq = ++this.seq;
    void this.commits.refresh();
    const res = await this.ctx.call({ op: 'listLandings' });
    if (seq !== this.seq || res?.type !== 'landings') return;
    this.render(res.landings);
  }

  private render(landings: LandingInfo[]): void {
    this.status.textContent = landings.length === 0 ? 'Nothing has landed in the project yet.' : '';
    this.status.hidden = landings.length > 0;
    // Keep the focused Undo button's row if it is still there, so keyboard users stay put.
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-testid="landing"]')?.dataset['landingId'];
    this.list.replaceChildren(...landings.map((l) => this.item(l)));
    if (focused) this.list.querySelector<HTMLElement>(`[data-landing-id="${focused}"] button`)?.focus();
  }

  private item(l: LandingInfo): HTMLElement {
    const session = l.session === 'undo' ? null : this.ctx.store.sessions.get(l.session);
    const who = l.undoes !== null ? `Undo of #${l.undoes}` : (session?.name ?? l.session);
    const undone = l.undoneBy !== null;
    const files = l.paths.length === 0 ? 'no files' : l.paths.length === 1 ? (l.paths[0] ?? '') : `${l.paths.length} files`;
    const undo = h(
      'button',
      {
        class: 'btn btn-sm',
        type: 'button',
        'data-testid': 'landing-undo',
        disabled: undone,
        'aria-label': undone ? `Landing ${l.id} was undone by landing ${l.undoneBy}` : `Undo landing ${l.id} (${files})`,
        title: undone ? `Undone by #${l.undoneBy}` : 'Put the project files back as they were before this landing',
        onclick: async () => {
          undo.disabled = true;
          const ok = await this.ctx.undo(l.id);
          if (!ok) undo.disabled = false;
          await this.refresh();
        },
      },
      icon(ICONS.undo),
      h('span', { class: 'label', text: undone ? `Undone by #${l.undoneBy}` : 'Undo' }),
    );
    return h(
      'li',
      { class: `landing${undone ? ' undone' : ''}${l.undoes !== null ? ' is-undo' : ''}`, 'data-testid': 'landing', 'data-landing-id': l.id },
      h(
        'div',
        { class: 'landing-head' },
        h('span', { class: 'landing-id', text: `#${l.id}` }),
        h('time', { class: 'landing-time', datetime: new Date(l.at).toISOString(), text: when(l.at) }),
        h('span', { class: 'landing-who', title: l.session, text: who }),
        h('span', { class: 'spacer' }),
        undo,
      ),
      h('ul', { class: 'landing-files' }, ...l.paths.map((p) => h('li', { title: p, text: p }))),
    );
  }
}
