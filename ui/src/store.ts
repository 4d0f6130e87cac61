// The UI's copy of the engine's state, fed by replies and events. Views subscribe
// to the topics they draw and re-read what they need.

import type { Action, Change, Event, ReviewComment, SessionInfo, StatusInfo } from './ipc/bindings';
import type { Link } from './ipc/transport';

export type Topic = 'project' | 'sessions' | 'changes' | 'actions' | 'selection' | 'link' | 'comments';

export class Store {
  project = '';
  /** The engine's version and commit, and its pid (for About). */
  version = '';
  pid = 0;
  link: Link | null = null;
  selected: string | null = null;
  readonly sessions = new Map<string, SessionInfo>();
  readonly changes = new Map<string, Change>();
  /** Actions waiting for a decision, by id. */
  readonly actions = new Map<string, Action>();
  /** Review comments not yet sent, by session, oldest first. */
  readonly comments = new Map<string, ReviewComment[]>();
  private readonly listeners = new Map<Topic, Set<() => void>>();

  on(topic: Topic, fn: () => void): void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
  }

  emit(topic: Topic): void {
    for (const fn of this.listeners.get(topic) ?? []) fn();
  }

  /** True once the queue came from the engine (until then, no changes means "not known yet"). */
  changesLoaded = false;

  setStatus(status: StatusInfo): void {
    this.version = status.version;
    this.pid = status.pid;
    if (this.project !== status.project) {
      this.project = status.project;
      this.emit('project');
    }
    const seen = new Set<string>();
    for (const s of status.sessions) {
      seen.add(s.id);
      this.sessions.set(s.id, s);
    }
    for (const id of [...this.sessions.keys()]) if (!seen.has(id)) this.sessions.delete(id);
    this.emit('sessions');
    this.actions.clear();
    for (const a of status.actions) this.actions.set(a.id, a);
    this.emit('actions');
    if (this.selected === null || !this.sessions.has(this.selected)) this.selectDefault();
  }

  upsertSession(s: SessionInfo): void {
    this.sessions.set(s.id, s);
    this.emit('sessions');
  }

  sessionExited(id: string, exitCode: number | null): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.set(id, { ...s, state: 'exited', turn: 'exited', exitCode });
    this.emit('sessions');
    // An exited agent waits for nothing: its hooks were answered with a denial.
    this.dropActions((a) => a.session === id);
  }

  /** Forgets a removed session, its changes and its actions. */
  removeSession(id: string): void {
    if (!this.sessions.delete(id)) return;
    let changed = false;
    for (const [cid, c] of this.changes) {
      if (c.session === id) {
        this.changes.delete(cid);
        changed = true;
      }
    }
    this.emit('sessions');
    if (changed) this.emit('changes');
    if (this.comments.delete(id)) this.emit('comments');
    this.dropActions((a) => a.session === id);
    if (this.selected === id) this.selectDefault();
  }

  /** Selects the newest running session; else the newest one. */
  private selectDefault(): void {
    const list = this.sessionList();
    const pick = [...list].reverse().find((s) => s.state === 'running') ?? list[list.length - 1];
    this.select(pick?.id ?? null);
  }

  select(id: string | null): void {
    if (this.selected === id) return;
    this.selected = id;
    this.emit('selection');
  }

  /** Sessions, oldest first. */
  sessionList(): SessionInfo[] {
    return [...this.sessions.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  setChanges(changes: Change[]): void {
    this.changesLoaded = true;
    this.changes.clear();
    for (const c of changes) this.changes.set(c.id, c);
    this.emit('changes');
  }

  upsertChange(c: Change): void {
    this.changes.set(c.id, c);
    this.emit('changes');
  }

  /** Labels and badges came for change `e.change`: its hunks are patched in place. */
  enrichChange(e: Extract<Event, { type: 'changeEnriched' }>): void {
    const c = this.changes.get(e.change);
    if (!c) return;
    const byId = new Map(e.hunks.map((x) => [x.id, x]));
    const hunks = c.hunks.map((hh) => {
      const x = byId.get(hh.id);
      return x ? { ...hh, label: x.label, badges: x.badges } : hh;
    });
    this.changes.set(c.id, { ...c, hunks, badges: e.badges, risk: e.risk });
    this.emit('changes');
  }

  removeChange(id: string): void {
    if (this.changes.delete(id)) this.emit('changes');
  }

  /** A session's whole list of comments (a `comments` event). */
  setComments(session: string, list: ReviewComment[]): void {
    if (list.length === 0) this.comments.delete(session);
    else this.comments.set(session, list);
    this.emit('comments');
  }

  /** Every session's comments (a `listComments` reply). */
  setAllComments(list: ReviewComment[]): void {
    this.comments.clear();
    for (const c of list) {
      const mine = this.comments.get(c.session);
      if (mine) mine.push(c);
      else this.comments.set(c.session, [c]);
    }
    this.emit('comments');
  }

  upsertAction(a: Action): void {
    this.actions.set(a.id, a);
    this.emit('actions');
  }

  removeAction(id: string): boolean {
    const had = this.actions.delete(id);
    if (had) this.emit('actions');
    return had;
  }

  private dropActions(which: (a: Action) => boolean): void {
    let changed = false;
    for (const [id, a] of this.actions) {
      if (which(a)) {
        this.actions.delete(id);
        changed = true;
      }
    }
    if (changed) this.emit('actions');
  }

  /** Waiting actions, oldest first. */
  actionList(): Action[] {
    return [...this.actions.values()].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  }

  pendingActions(session?: string): number {
    let n = 0;
    for (const a of this.actions.values()) if (session === undefined || a.session === session) n++;
    return n;
  }

  /** Pending changes ordered by session (oldest first), then path. */
  changeList(): Change[] {
    const order = new Map(this.sessionList().map((s, i) => [s.id, i]));
    return [...this.changes.values()].sort(
      (a, b) =>
        (order.get(a.session) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.session) ?? Number.MAX_SAFE_INTEGER) ||
        a.session.localeCompare(b.session) ||
        a.path.localeCompare(b.path),
    );
  }

  pendingHunks(session?: string): number {
    let n = 0;
    for (const c of this.changes.values()) if (session === undefined || c.session === session) n += c.hunks.length;
    return n;
  }

  pendingFiles(session?: string): number {
    let n = 0;
    for (const c of this.changes.values()) if (session === undefined || c.session === session) n++;
    return n;
  }
}
