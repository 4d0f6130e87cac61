// Wires the transport, the store and the views, and turns engine events into
// store updates.

import type { ActionAnswer, Attempt, Ctx, Decision, Removal } from './context';
import type { Change, ErrorCode, Request, Response, SessionInfo, SessionKind, SessionMode, NetworkMode, StartSessionParams } from './ipc/bindings';
import { EngineError, type Incoming, type Link, type ReplyTo, type Scrollback, type Transport } from './ipc/transport';
import { h } from './lib/dom';
import { Prefs } from './prefs';
import { Store } from './store';
import { ActionsView } from './views/actions';
import { Attention } from './views/attention';
import { Banners, Toasts } from './views/banners';
import { ChatsView } from './views/chats';
import { HistoryView } from './views/history';
import { ReviewView } from './views/review';
import { SessionsView } from './views/sessions';
import { TasksView } from './views/attempts';
import { installKeys } from './views/keys';
import { installSplitter } from './views/splitter';
import { TerminalsView } from './views/terminals';
import { TopBar } from './views/topbar';

/** The first `status` and `listChanges` replies, asked for before the app is built. */
export interface Initial {
  status: Promise<Response>;
  changes: Promise<Response>;
}

/**
 * How long, at most, the terminal waits at start for the review pane's first
 * paint. Loading and opening xterm takes the main thread for ~100 ms (more on a
 * busy machine); landing in the middle of a large change's first paint, it
 * delayed the paint by as much.
 */
const TERMINAL_WAIT_MS = 1500;

/** A decision made in this window, for `u`. */
type Made =
  | { kind: 'approve'; landing: number; what: string }
  | { kind: 'reject'; rejection: string | null; what: string };

export class App implements Ctx {
  readonly store = new Store();
  readonly prefs = new Prefs();
  readonly desktop: boolean;
  private readonly banners = new Banners();
  private readonly toasts = new Toasts();
  private readonly terminals: TerminalsView;
  private readonly chats: ChatsView;
  private readonly review: ReviewView;
  private readonly history: HistoryView;
  private readonly actions: ActionsView;
  private readonly attention: Attention;
  /** Actions whose "Always allow" rule was already announced (by the reply or the event). */
  private readonly rulesShown = new Set<string>();
  private orphansChecked = false;
  private readonly made: Made[] = [];
  private readonly inFlight = new Set<Promise<Response | null>>();
  private themeLoaded = false;
  private wasUp = false;
  /** The refresh on its way, if any (see `onLink`). */
  private refreshing: Promise<void> | null = null;
  private resyncQueued = false;
  /** Refreshes are numbered so a late reply never overwrites a newer one. */
  private refreshes = 0;
  private changesFrom = 0;
  private statusFrom = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The review pane's first paint, or TERMINAL_WAIT_MS after the app was built, whichever comes first. */
  private readonly painted: Promise<void>;
  private readonly tasks: TasksView;

  constructor(
    private readonly transport: Transport,
    root: HTMLElement,
  ) {
    this.desktop = transport.kind === 'tauri';
    this.history = new HistoryView(this);
    this.actions = new ActionsView(this);
    this.attention = new Attention(this.store, this.toasts, this.desktop);
    const top = new TopBar(this, this.history.toggle, this.attention.control, () => this.actions.focusFirst());
    const sessions = new SessionsView(this);
    this.tasks = new TasksView(this);
    sessions.el.append(this.tasks.el);
    this.terminals = new TerminalsView(this);
    this.chats = new ChatsView(this);
    let keys: { toggleHelp(): void } | null = null;
    this.review = new ReviewView(this, this.prefs, () => keys?.toggleHelp(), this.actions.el);
    this.painted = Promise.race([this.review.firstPaint, new Promise<void>((resolve) => setTimeout(resolve, TERMINAL_WAIT_MS))]);
    // The tasks are not part of the first state: asked for once it is painted.
    void this.painted.then(() => this.tasks.refresh());
    const splitter = h('div', {
      class: 'splitter',
      role: 'separator',
      'aria-orientation': 'vertical',
      'aria-label': 'Resize the review pane',
      tabindex: 0,
    });
    // A session's terminal or, for a chat session, its chat: one place, one shown.
    const center = h('div', { class: 'center-pane' }, this.terminals.el, this.chats.el);
    const main = h('main', { class: 'workspace' }, sessions.el, center, splitter, this.review.el);
    installSplitter(main, splitter);
    root.replaceChildren(top.el, this.banners.el, main, this.history.el, this.toasts.el);
    keys = installKeys(this.review, this, root);
  }

  /**
   * Starts the event stream and takes the state. `early` holds the replies to
   * `status` and `listChanges` when they were asked for before the app was
   * built (see main.ts).
   */
  start(early?: Initial): void {
    this.transport.subscribe(
      (e) => this.onEvent(e),
      (link) => this.onLink(link),
    );
    // The review pane draws the first diff before the terminal opens; at most
    // this long after start does the terminal wait.
    this.terminals.openAfter(this.painted);
    // Ask for the state now rather than after the event stream is up (it is asked
    // again then, so nothing that happened in between is missed).
    void this.refresh(early);
  }

  // ---- Ctx ----

  call<R extends Request>(req: R, opts?: { quiet?: ErrorCode[] }): Promise<ReplyTo<R> | null> {
    return this.settle(this.transport.call(req), opts);
  }

  async attempt<R extends Request>(req: R): Promise<Attempt<ReplyTo<R>>> {
    try {
      return { ok: true, value: await this.transport.call(req) };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  readScrollback(session: string): Promise<Scrollback | null> {
    return this.settle(this.transport.readScrollback(session));
  }

  /** A request's reply, or null after the error was shown (unless its code is `quiet`). */
  private async settle<T>(reply: Promise<T>, opts?: { quiet?: ErrorCode[] }): Promise<T | null> {
    try {
      return await reply;
    } catch (err) {
      const e = err instanceof EngineError ? err : new EngineError('internal', String(err));
      if (e.code === 'unreachable' && this.store.link !== 'up') return null; // the link banner says it (or soon will)
      if (e.code !== 'unreachable' && opts?.quiet?.includes(e.code)) return null;
      this.error(e.message);
      return null;
    }
  }

  async decide(decision: Decision, ids: string[], reason?: string): Promise<boolean> {
    if (ids.length === 0) return true;
    // A whole file is decided at the version on screen: if the agent wrote it
    // again since, the engine decides nothing and the new diff comes in.
    const versions = this.versions((c) => ids.includes(c.id));
    const req: Request =
      decision === 'approve'
        ? { op: 'approve', ids, versions }
        : reason
          ? { op: 'reject', ids, reason, versions }
          : { op: 'reject', ids, versions };
    return this.decided(decision, await this.deciding(req));
  }

  /** The version of each change on screen that `pick` selects, by id. */
  private versions(pick: (c: Change) => boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.store.changes.values()) if (pick(c)) out[c.id] = c.version;
    return out;
  }

  async approveEdited(hunk: string, text: string): Promise<boolean> {
    return this.decided('approve', await this.deciding({ op: 'approveEdited', hunk, text }));
  }

  async approveLines(hunk: string, removed: number[], added: number[]): Promise<boolean> {
    return this.decided('approve', await this.deciding({ op: 'approveLines', hunk, removed, added }));
  }

  /** A decision request, tracked so `u` pressed right after waits for its answer. */
  private async deciding(req: Request): Promise<Response | null> {
    const p = this.call(req);
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  async undo(landing: number): Promise<boolean> {
    const res = await this.call({ op: 'undo', landing });
    this.refreshChangesSoon();
    void this.history.refresh();
    if (res?.type !== 'decided') return false;
    // Forget it here too, so `u` does not try it again.
    const i = this.made.findIndex((m) => m.kind === 'approve' && m.landing === landing);
    if (i >= 0) this.made.splice(i, 1);
    this.toasts.show(res.paths.length === 0 ? `Landing #${landing} undone (nothing to write back)` : this.describe(`Undid landing #${landing}:`, null, res.paths));
    return true;
  }

  async undoLast(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const last = this.made.pop();
    if (!last) {
      this.toasts.show('Nothing to undo: no decision was made in this window. Older landings are in History.');
      return;
    }
    if (last.kind === 'reject') {
      if (last.rejection === null) {
        // A gated agent was told no and has moved on: there is nothing to put back.
        this.toasts.show(`This rejection cannot be undone (${last.what}): the agent was told no. Ask it to write the edit again.`, 6000);
        return;
      }
      const res = await this.call({ op: 'undoReject', rejection: last.rejection });
      this.refreshChangesSoon();
      if (res?.type === 'decided') this.toasts.show(`Undone: the agent's edit of ${res.paths.join(', ')} is pending again`);
      return;
    }
    await this.undo(last.landing);
  }

  notify(message: string): void {
    this.toasts.show(message, 5000, 'info');
  }

  /** Records what a decision did, for `u`, and tells the user about a rejection. */
  private decided(decision: Decision, res: Response | null): boolean {
    this.refreshChangesSoon();
    if (res?.type !== 'decided') return false;
    const what = this.describe(decision === 'approve' ? 'Approved' : 'Rejected', res.hunks, res.paths);
    if (decision === 'reject') {
      this.made.push({ kind: 'reject', rejection: res.rejection, what });
      this.toasts.show(what);
    } else if (res.landing !== null) {
      this.made.push({ kind: 'approve', landing: res.landing, what });
    }
    return true;
  }

  async decideAll(decision: Decision, reason?: string): Promise<boolean> {
    // Exactly what is on screen: a file that appeared since stays pending.
    const versions = this.versions(() => true);
    const req: Request =
      decision === 'approve'
        ? { op: 'approveAll', versions }
        : reason
          ? { op: 'rejectAll', reason, versions }
          : { op: 'rejectAll', versions };
    return this.decided(decision, await this.deciding(req));
  }

  async startSession(command: string[] | undefined, opts: { name?: string; mode?: SessionMode; kind?: SessionKind; network?: NetworkMode; base?: string } = {}): Promise<string | null> {
    // A chat has no terminal to size.
    const params: StartSessionParams = opts.kind === 'chat' ? { ...opts } : { ...this.terminals.size(), ...opts };
    if (command) params.command = command;
    let res: Response;
    try {
      res = await this.transport.call({ op: 'startSession', ...params });
    } catch (err) {
      const e = err instanceof EngineError ? err : new EngineError('internal', String(err));
      // Unreachable is the link banner's to say; anything else is about this form.
      if (e.code === 'unreachable') return this.store.link === 'up' ? e.message : null;
      return e.message;
    }
    if (res.type !== 'session') return null;
    this.sessionChanged(res);
    this.store.select(res.id);
    return null;
  }

  async stopSession(id: string): Promise<void> {
    await this.call({ op: 'stopSession', session: id });
  }

  async restartSession(id: string): Promise<void> {
    const res = await this.call({ op: 'restartSession', session: id });
    if (res?.type === 'session') this.sessionChanged(res);
  }

  async removeSession(id: string, force = false): Promise<Removal> {
    try {
      await this.transport.call(force ? { op: 'removeSession', session: id, force: true } : { op: 'removeSession', session: id });
    } catch (err) {
      const e = err instanceof EngineError ? err : new EngineError('internal', String(err));
      if (e.code === 'conflict' && !force) {
        // The engine counts pending changes per file, as the store does.
        const changes = this.store.pendingFiles(id) || this.store.sessions.get(id)?.pendingChanges || 1;
        return { kind: 'pending', changes };
      }
      if (e.code === 'notFound') {
        this.store.removeSession(id);
        return { kind: 'removed' };
      }
      if (e.code !== 'unreachable' || this.store.link === 'up') this.error(e.message);
      return { kind: 'failed' };
    }
    this.store.removeSession(id);
    return { kind: 'removed' };
  }

  async decideAction(id: string, answer: ActionAnswer, reason?: string): Promise<boolean> {
    const req: Request =
      answer === 'deny'
        ? reason
          ? { op: 'reject', ids: [id], reason }
          : { op: 'reject', ids: [id] }
        : answer === 'always'
          ? { op: 'approve', ids: [id], always: true }
          : { op: 'approve', ids: [id] };
    const res = await this.call(req, { quiet: ['notFound'] });
    if (res === null) {
      // Unknown: the agent stopped waiting, or someone else decided. Take the list again.
      const status = await this.call({ op: 'status' });
      if (status?.type === 'status') this.store.setStatus(status);
      if (this.store.actions.has(id)) return false;
      this.notify('That action no longer waits: the agent stopped asking, or it was decided elsewhere');
      return true;
    }
    if (res.type !== 'decided') return false;
    const action = this.store.actions.get(id);
    this.store.removeAction(id);
    for (const rule of res.rules) this.ruleWritten(id, rule);
    if (answer === 'deny' && action) this.toasts.show(`Denied ${action.tool}: ${action.summary}`);
    return true;
  }

  /** Says which rule "Always allow" wrote, once per action (the reply and the event both carry it). */
  private ruleWritten(action: string, rule: string): void {
    if (this.rulesShown.has(action)) return;
    this.rulesShown.add(action);
    this.toasts.toast(['Added ', h('code', { class: 'toast-rule', 'data-testid': 'action-rule', text: rule }), ' to ', h('code', { text: '.airlock/policy.toml' })], {
      ms: 7000,
      testid: 'rule-toast',
    });
  }

  /** A session as the engine sent it; a restart reopens its terminal for input. */
  private sessionChanged(s: SessionInfo): void {
    const before = this.store.sessions.get(s.id);
    this.store.upsertSession(s);
    if (s.state === 'exited') this.terminals.exited(s.id, s.exitCode);
    else if (before?.state === 'exited') {
      this.terminals.restarted(s.id);
      this.chats.restarted(s.id);
    }
  }

  showChange(session: string, path: string): boolean {
    for (const c of this.store.changes.values()) {
      if (c.session === session && c.path === path) return this.review.showChange(c.id);
    }
    return false;
  }

  openLink(uri: string): void {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
    if (this.desktop) {
      // The desktop window must stay on Airlock: a link is copied, never followed in it.
      const say = () => this.notify(`Link: ${url.href} (open it in your browser)`);
      if (!navigator.clipboard) say();
      else void navigator.clipboard.writeText(url.href).then(() => this.notify(`Link copied: ${url.href}`), say);
      return;
    }
    window.open(url.href, '_blank', 'noopener,noreferrer');
  }

  terminalSize(): { cols: number; rows: number } {
    return this.terminals.size();
  }

  error(message: string): void {
    this.banners.error(message);
  }

  // ---- events ----

  private onEvent(e: Incoming): void {
    const { store } = this;
    switch (e.type) {
      case 'output':
        this.terminals.output(e.session, e.offset, e.bytes);
        break;
      case 'chat':
        this.chats.entry(e.session, e.index, e.entry);
        break;
      case 'chatText':
        this.chats.text(e.session, e.index, e.text);
        break;
      case 'sessionStarted':
      case 'sessionUpdated':
        this.sessionChanged(e.session);
        break;
      case 'sessionRemoved':
        store.removeSession(e.session);
        break;
      case 'actionRequested':
        store.upsertAction(e.action);
        break;
      case 'actionResolved': {
        const action = store.actions.get(e.action);
        store.removeAction(e.action);
        if (e.rule) this.ruleWritten(e.action, e.rule);
        else if (e.outcome === 'gone' && action) this.notify(`${action.tool}: ${action.summary} — the agent stopped waiting for an answer`);
        break;
      }
      case 'attention':
        this.attention.show(e.session, e.kind, e.message);
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
      case 'changeEnriched':
        store.enrichChange(e);
        break;
      case 'changeRemoved':
        store.removeChange(e.change);
        break;
      case 'landed':
        this.toasts.show(`Landed ${e.paths.length === 1 ? (e.paths[0] ?? '') : `${e.paths.length} files`} in the project`);
        void this.history.refresh();
        break;
      case 'problem':
        this.error(e.message);
        break;
      case 'comments':
        store.setComments(e.session, e.comments);
        break;
      case 'taskChanged':
        this.tasks.changed(e.task);
        break;
    }
  }

  private onLink(link: Link): void {
    this.store.link = link;
    this.banners.setLink(link);
    this.store.emit('link');
    // Events may have been missed while the link was down: take the whole state again.
    if (link === 'up') {
      if (this.wasUp) {
        this.terminals.reload();
        this.chats.reload();
      }
      this.wasUp = true;
      if (this.refreshing) this.resync();
      else void this.refresh();
    }
  }

  /**
   * The stream came up while a refresh (at start, the early one) was on its
   * way. Asking again at once would only race it to the first paint; but its
   * reply may predate the stream, so the state is taken once more after it
   * and after the first paint.
   */
  private resync(): void {
    if (this.resyncQueued) return;
    this.resyncQueued = true;
    void Promise.all([this.refreshing, this.painted]).then(() => {
      this.resyncQueued = false;
      return this.refresh();
    });
  }

  /** Takes the queue and the status; each is used as soon as it comes. */
  private refresh(early?: Initial): Promise<void> {
    const n = ++this.refreshes;
    if (!this.themeLoaded) void this.loadTheme();
    // Changes first and on their own: their diffs are asked for at once, before
    // the status (and the terminal after it) takes its time.
    const changes = this.settle(early?.changes ?? this.transport.call({ op: 'listChanges' })).then((res) => {
      if (res?.type !== 'changes' || n < this.changesFrom) return;
      this.changesFrom = n;
      this.store.setChanges(res.changes);
    });
    const status = this.settle(early?.status ?? this.transport.call({ op: 'status' })).then((res) => {
      if (res?.type !== 'status' || n < this.statusFrom) return;
      this.statusFrom = n;
      this.store.setStatus(res);
      for (const s of res.sessions) {
        if (s.state === 'exited') this.terminals.exited(s.id, s.exitCode);
        else this.terminals.restarted(s.id);
      }
      if (!this.orphansChecked) {
        this.orphansChecked = true;
        // Measuring leftover stages walks them on disk: not while the first diff paints.
        void this.painted.then(() => this.checkOrphans());
      }
    });
    // Comments are drawn under hunks already shown: not asked for before the first paint.
    void this.painted
      .then(() => this.settle(this.transport.call({ op: 'listComments' })))
      .then((res) => {
        if (res?.type === 'comments' && n === this.refreshes) this.store.setAllComments(res.comments);
      });
    const done = Promise.all([changes, status]).then(() => {
      if (this.refreshing === done) this.refreshing = null;
    });
    this.refreshing = done;
    return done;
  }

  /** The syntax colours, asked for alongside the first state so the first hunks paint in colour. */
  private async loadTheme(): Promise<void> {
    this.themeLoaded = true;
    const css = await this.call({ op: 'getThemeCss' });
    if (css?.type !== 'themeCss') {
      this.themeLoaded = false;
      return;
    }
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

  /** Stages no session owns, left by a crash: offered for cleaning once per page. */
  private async checkOrphans(): Promise<void> {
    const res = await this.call({ op: 'listOrphans' });
    if (res?.type !== 'orphans') return;
    this.banners.orphans(res.orphans, async () => {
      const done = await this.call({ op: 'cleanOrphans' });
      if (done?.type !== 'orphans') return false;
      const n = done.orphans.length;
      this.toasts.show(`Removed ${n} leftover ${n === 1 ? 'stage' : 'stages'}`);
      return true;
    });
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

  private describe(verb: string, hunks: number | null, paths: string[]): string {
    const what = paths.length === 1 ? (paths[0] ?? '') : `${paths.length} files`;
    if (hunks === null) return `${verb} ${what}`;
    return `${verb} ${hunks} ${hunks === 1 ? 'hunk' : 'hunks'}${what ? ` — ${what}` : ''}`;
  }
}
