// The chat pane: where the terminal pane is, for a chat session (an ACP
// agent). One ChatPane per chat session (see chat/pane.ts), created when the
// session is first shown; only the selected one is in the page. The module
// with the markdown renderer and sanitiser is loaded the first time a chat is
// shown, so terminal-only use never pays for it.

import type { Ctx } from '../context';
import type { ChatEntry } from '../ipc/bindings';
import { h } from '../lib/dom';
import type { ChatPane } from './chat/pane';

type PaneModule = typeof import('./chat/pane');

export class ChatsView {
  readonly el = h('section', { class: 'chat-pane', 'data-testid': 'chat', 'aria-label': 'Chat', hidden: true });
  private readonly panes = new Map<string, ChatPane>();
  private shown: ChatPane | null = null;
  private mod: PaneModule | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly ctx: Ctx) {
    ctx.store.on('selection', () => this.render(true));
    ctx.store.on('sessions', () => this.render(false));
    ctx.store.on('changes', () => {
      for (const p of this.panes.values()) p.changesMoved();
    });
    ctx.store.on('actions', () => {
      for (const p of this.panes.values()) p.actionsMoved();
    });
    this.render(false);
  }

  /** A `chat` event: entry `index` of a session's transcript added or replaced. */
  entry(session: string, index: number, entry: ChatEntry): void {
    this.panes.get(session)?.entry(index, entry);
  }

  /** A `chatText` event: text streamed onto entry `index`. */
  text(session: string, index: number, text: string): void {
    this.panes.get(session)?.text(index, text);
  }

  /** Events may have been missed (the event stream came back): every pane takes its transcript again. */
  reload(): void {
    for (const p of this.panes.values()) p.reload();
  }

  /** The session runs again: its transcript may have moved on. */
  restarted(session: string): void {
    this.panes.get(session)?.reload();
  }

  private module(): PaneModule | null {
    if (this.mod) return this.mod;
    this.loading ??= import('./chat/pane').then(
      (m) => {
        this.mod = m;
        this.render(true);
      },
      (err: unknown) => {
        this.loading = null;
        this.ctx.error(`The chat could not be loaded (${String(err)}); reload the page to try again.`);
      },
    );
    return null;
  }

  private render(selectionMoved: boolean): void {
    const { store } = this.ctx;
    for (const [id, p] of this.panes) {
      if (store.sessions.has(id)) continue;
      p.el.remove();
      this.panes.delete(id);
      if (this.shown === p) this.shown = null;
    }
    const s = store.selected ? store.sessions.get(store.selected) : undefined;
    for (const [id, p] of this.panes) {
      const info = store.sessions.get(id);
      if (info) p.update(info);
    }
    if (s?.kind !== 'chat') {
      this.hide();
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    const mod = this.module();
    if (!mod) return;
    let p = this.panes.get(s.id);
    if (!p) {
      p = new mod.ChatPane(this.ctx, s);
      this.panes.set(s.id, p);
    }
    if (this.shown === p) return;
    this.hide();
    this.shown = p;
    this.el.replaceChildren(p.el);
    p.shown();
    if (selectionMoved) p.focus();
  }

  private hide(): void {
    if (!this.shown) return;
    this.shown.hidden();
    this.shown.el.remove();
    this.shown = null;
  }
}
