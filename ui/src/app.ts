// Wires the transport, the store and the views, and turns engine events into
// store updates.

import type { Ctx, Decision } from './context';
import type { ErrorCode, Event, Request, Response } from './ipc/bindings';
import { EngineError, type Link, type Transport } from './ipc/transport';
import { h } from './lib/dom';
import { Store } from './store';
import { Banners, Toasts } from './views/banners';
import { ReviewView } from './views/review';
import { SessionsView } from './views/sessions';
import { installKeys } from './views/keys';
import { installSplitter } from './views/splitter';
import { TerminalsView } from './views/terminals';
import { TopBar } from './views/topbar';

export class App implements Ctx {
  readonly store = new Store();
  private readonly banners = new Banners();
  private readonly toasts = new Toasts();
  private readonly terminals: TerminalsView;
  private readonly review: ReviewView;
  private themeLoaded = false;
  private wasUp = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: Transport,
    root: HTMLElement,
  ) {
    const top = new TopBar(this);
    const sessions = new SessionsView(this);
    this.terminals = new TerminalsView(this);
    this.review = new ReviewView(this);
    const splitter = h('div', {
      class: 'splitter',
      role: 'separator',
      'aria-orientation': 'vertical',
      'aria-label': 'Resize the review pane',
      tabindex: 0,
    });
    const main = h('main', { class: 'workspace' }, sessions.el, this.terminals.el, splitter, this.review.el);
    installSplitter(main, splitter);
    root.replaceChildren(top.el, this.banners.el, main, this.toasts.el);
    installKeys(this.review.el, root);
  }

  start(): void {
    this.transport.subscribe(
      (e) => this.onEvent(e),
      (link) => this.onLink(link),
    );
  }

  // ---- Ctx ----

  async call(req: Request, opts?: { quiet?: ErrorCode[] }): Promise<Response | null> {
    try {
      return await this.transport.call(req);
    } catch (err) {
      const e = err instanceof EngineError ? err : new EngineError('internal', String(err));
      if (e.code === 'unreachable' && this.store.link === 'down') return null; // the link banner says it already
      if (e.code !== 'unreachable' && opts?.quiet?.includes(e.code)) return null;
      this.error(e.message);
      return null;
    }
  }

  async decide(decision: Decision, ids: string[], reason?: string): Promise<boolean> {
    if (ids.length === 0) return true;
    const req: Request =
      decision === 'approve' ? { op: 'approve', ids } : reason ? { op: 'reject', ids, reason } : { op: 'reject', ids };
    const res = await this.call(req);
    this.refreshChangesSoon();
    if (res?.type === 'decided' && decision === 'reject') this.toasts.show(this.describe('Rejected', res.hunks, res.paths));
    return res !== null;
  }

  async decideAll(decision: Decision, reason?: string): Promise<boolean> {
    const req: Request =
      decision === 'approve' ? { op: 'approveAll' } : reason ? { op: 'rejectAll', reason } : { op: 'rejectAll' };
    const res = await this.call(req);
    this.refreshChangesSoon();
    if (res?.type === 'decided' && decision === 'reject') this.toasts.show(this.describe('Rejected', res.hunks, res.paths));
    return res !== null;
  }

  async startSession(command: string[] | undefined): Promise<void> {
    const { cols, rows } = this.terminals.size();
    const req: Request = command ? { op: 'startSession', command, cols, rows } : { op: 'startSession', cols, rows };
    const res = await this.call(req);
    if (res?.type !== 'session') return;
    this.store.upsertSession(res);
    this.store.select(res.id);
  }

  async stopSession(id: string): Promise<void> {
    await this.call({ op: 'stopSession', session: id });
  }

  terminalSize(): { cols: number; rows: number } {
    return this.terminals.size();
  }

  error(message: string): void {
    this.banners.error(message);
  }

  // ---- events ----

  private onEvent(e: Event): void {
    const { store } = this;
    switch (e.type) {
      case 'output':
        this.terminals.output(e.session, e.data);
        break;
      case 'sessionStarted':
      case 'sessionUpdated':
        store.upsertSession(e.session);
        if (e.session.state === 'exited') this.terminals.exited(e.session.id, e.session.exitCode);
        break;
      case 'sessionExited':
        store.sessionExited(e.session, e.exitCode);
        this.terminals.exited(e.session, e.exitCode);
        break;
      case 'changeProposed': {
        const known = store.changes.has(e.change.id);
        store.upsertChange(e.change);
        if (known) this.review.refetch(e.change.id);
        break;
      }
      case 'changeRemoved':
        store.removeChange(e.change);
        break;
      case 'landed':
        this.toasts.show(`Landed ${e.paths.length === 1 ? (e.paths[0] ?? '') : `${e.paths.length} files`} in the project`);
        break;
      case 'problem':
        this.error(e.message);
        break;
    }
  }

  private onLink(link: Link): void {
    this.store.link = link;
    this.banners.setLink(link);
    this.store.emit('link');
    // Events may have been missed while the link was down: take the whole state again.
    if (link === 'up') {
      if (this.wasUp) this.terminals.reload();
      this.wasUp = true;
      void this.refresh();
    }
  }

  private async refresh(): Promise<void> {
    const [status, changes] = await Promise.all([this.call({ op: 'status' }), this.call({ op: 'listChanges' })]);
    if (status?.type === 'status') {
      this.store.setStatus(status);
      for (const s of status.sessions) if (s.state === 'exited') this.terminals.exited(s.id, s.exitCode);
    }
    if (changes?.type === 'changes') this.store.setChanges(changes.changes);
    if (!this.themeLoaded) {
      const css = await this.call({ op: 'getThemeCss' });
      if (css?.type === 'themeCss') {
        this.themeLoaded = true;
        // Each theme under its own media query: in the combined `auto` sheet, a light rule
        // more specific than any dark one (`.sy-variable.sy-parameter`) still wins in dark mode.
        if (css.light && css.dark) {
          document.head.append(
            h('style', { id: 'syntax-theme-light', media: '(prefers-color-scheme: light)', text: css.light }),
            h('style', { id: 'syntax-theme-dark', media: '(prefers-color-scheme: dark)', text: css.dark }),
          );
        } else {
          document.head.append(h('style', { id: 'syntax-theme', text: css.auto }));
        }
      }
    }
  }

  /** After a decision, take the queue again so the view holds even if an event is late. */
  private refreshChangesSoon(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      this.refreshTimer = undefined;
      const res = await this.call({ op: 'listChanges' });
      if (res?.type === 'changes') this.store.setChanges(res.changes);
    }, 250);
  }

  private describe(verb: string, hunks: number, paths: string[]): string {
    const what = paths.length === 1 ? (paths[0] ?? '') : `${paths.length} files`;
    return `${verb} ${hunks} ${hunks === 1 ? 'hunk' : 'hunks'}${what ? ` — ${what}` : ''}`;
  }
}
