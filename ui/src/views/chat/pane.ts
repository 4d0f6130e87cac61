// One chat session's pane: its header (agent, mode), the transcript, the
// prompt box and a footer with the keys and the context window's use. The
// transcript is taken once (`transcript`), then kept by the `chat` and
// `chatText` events: an entry added or replaced redraws that entry only, and
// streamed text is drawn once a frame at most.
//
// The transcript is a virtual list (`EntryList`, list.ts); the header and its
// pickers are `ChatHeader` (header.ts), the agent's stderr `AgentLog`
// (agentlog.ts).

import type { Ctx } from '../../context';
import type { ChatEntry, SessionInfo } from '../../ipc/bindings';
import { h, icon, ICONS } from '../../lib/dom';
import { AgentLog } from './agentlog';
import { Composer } from './composer';
import type { EntryHost } from './entries';
import { ChatHeader } from './header';
import { EntryList } from './list';

type Buffered = { index: number; entry: ChatEntry } | { index: number; text: string };

export class ChatPane implements EntryHost {
  readonly el: HTMLElement;
  private readonly header: ChatHeader;
  private readonly agentLog: AgentLog;
  private readonly log = h('div', { class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  private readonly status = h('div', { class: 'chat-status' });
  private readonly composer: Composer;
  private readonly list: EntryList;
  /** What the user opened or decided on entries, kept while their views come and go. */
  private readonly open = new Set<number>();
  private readonly decisions = new Set<string>();
  private state: 'new' | 'loading' | 'ready' | 'failed' = 'new';
  private buffered: Buffered[] = [];
  /** Events may have raced the transcript from here on: take it again when the turn ends. */
  private dirtyFrom: number | null = null;
  /** A prompt was sent and its turn has not been seen to end. */
  private turnOpen = false;
  private promptIndex: number | null = null;
  private wasBusy = false;
  private info: SessionInfo;
  /** The session's files as `listFiles` last answered (null: not yet), for `@`. */
  private files: string[] | null = null;
  private filesStale = true;
  private filesAsking = false;

  constructor(
    private readonly ctx: Ctx,
    info: SessionInfo,
  ) {
    this.info = info;
    this.agentLog = new AgentLog(ctx, info.id);
    this.header = new ChatHeader(ctx, info, this.agentLog.button);
    this.composer = new Composer({
      send: (text) => this.send(text),
      cancel: () => void this.cancel(),
      history: () => this.list.entries.flatMap((e) => (e.type === 'user' ? [e.text] : [])),
      commands: () => this.info.chat?.commands ?? [],
      paths: () => this.paths(),
    });
    const entries = h('div', { class: 'chat-entries' });
    this.log.append(entries, this.status);
    this.list = new EntryList(this.log, entries, this, () => this.state === 'ready');
    this.el = h(
      'div',
      { class: 'chat-session', 'data-session-id': info.id },
      this.header.el,
      this.agentLog.el,
      this.log,
      this.composer.el,
      h(
        'div',
        { class: 'chat-footer' },
        h('span', { class: 'chat-keys', text: 'Enter sends · Shift+Enter new line · @ a file · / a command · ↑ last prompt · Esc cancels' }),
        h('span', { class: 'spacer' }),
        this.header.usage,
      ),
    );
    // Links in agent text never navigate this page.
    this.log.addEventListener('click', (ev) => {
      const a = (ev.target as Element).closest?.('a');
      if (!a || !this.log.contains(a)) return;
      ev.preventDefault();
      const href = a.getAttribute('href');
      if (href) ctx.openLink(href);
    });
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape' || ev.defaultPrevented || !this.busy()) return;
      ev.preventDefault();
      void this.cancel();
    });
    this.update(info);
  }

  /** Shown: takes the transcript the first time, and puts the scroll back. */
  shown(): void {
    if (this.state === 'new') void this.load(0);
    this.list.shown();
  }

  hidden(): void {
    this.list.hidden();
  }

  focus(): void {
    this.composer.focus();
  }

  /** Events may have been missed (a reconnect, a restart): take the transcript again. */
  reload(): void {
    if (this.state === 'new') return;
    void this.load(0);
  }

  // ---- the session ----

  update(info: SessionInfo): void {
    this.info = info;
    const chat = info.chat;
    const busyNow = chat?.busy ?? false;
    // The engine says the turn is over: whatever this pane thought.
    if (this.wasBusy && !busyNow) this.turnOpen = false;
    this.wasBusy = busyNow;
    if (info.state === 'exited') this.turnOpen = false;
    this.header.update(info);
    const busy = this.busy();
    this.header.setBusy(busy);
    // Screen readers wait for the turn's text rather than reading each piece.
    this.log.setAttribute('aria-busy', String(busy));
    this.el.classList.toggle('busy', busy);
    this.composer.setBusy(busy);
    // The engine takes prompts once the agent has started its session (then `chat` is there).
    this.composer.setDisabled(
      info.state === 'exited'
        ? `The agent exited${info.exitCode !== null ? ` (code ${info.exitCode})` : ''} — restart it from the sidebar to go on`
        : chat
          ? null
          : 'Starting the agent…',
      info.state !== 'exited',
    );
    if (this.state === 'ready') this.renderEmpty();
    if (!busy && this.dirtyFrom !== null && this.state === 'ready') void this.load(this.dirtyFrom);
  }

  private busy(): boolean {
    return this.info.state === 'running' && ((this.info.chat?.busy ?? false) || this.turnOpen);
  }

  // ---- the conversation ----

  private async send(text: string): Promise<boolean> {
    this.turnOpen = true;
    this.promptIndex = null;
    this.list.follow();
    this.update(this.info);
    const res = await this.ctx.call({ op: 'prompt', session: this.info.id, text });
    if (res?.type !== 'prompted') {
      this.turnOpen = false;
      this.update(this.info);
      return false;
    }
    this.promptIndex = res.index;
    // The prompt's own entry, unless its event came first.
    if (this.state === 'ready' && this.list.entries.length === res.index) this.put(res.index, { type: 'user', text });
    // A turn that ended before this reply came.
    if (this.list.entries.slice(res.index).some((e) => e.type === 'turnEnded')) this.turnOpen = false;
    this.update(this.info);
    return true;
  }

  private async cancel(): Promise<void> {
    await this.ctx.call({ op: 'cancel', session: this.info.id });
  }

  /** A `chat` event. */
  entry(index: number, entry: ChatEntry): void {
    if (this.state === 'loading') this.buffered.push({ index, entry });
    else if (this.state === 'ready') this.put(index, entry);
  }

  /** A `chatText` event. */
  text(index: number, text: string): void {
    if (this.state === 'loading') {
      this.buffered.push({ index, text });
      return;
    }
    if (this.state !== 'ready') return;
    // Text for an entry this pane does not have: it missed something.
    if (!this.list.append(index, text)) void this.load(Math.min(index, this.list.entries.length));
  }

  /** Takes the transcript from `from` on, replacing what this pane holds there. */
  private async load(from: number): Promise<void> {
    if (this.state === 'loading') {
      this.dirty(from);
      return;
    }
    this.state = 'loading';
    this.buffered = [];
    if (from === 0) this.status.replaceChildren(h('p', { class: 'chat-loading', text: 'Loading the conversation…' }));
    const res = await this.ctx.call({ op: 'transcript', session: this.info.id, from }, { quiet: ['notFound'] });
    if (res?.type !== 'transcript') {
      this.state = 'failed';
      this.status.replaceChildren(
        h(
          'p',
          { class: 'chat-load-failed' },
          'The conversation could not be loaded. ',
          h('button', { class: 'btn btn-sm', type: 'button', onclick: () => void this.load(0) }, 'Try again'),
        ),
      );
      return;
    }
    this.status.replaceChildren();
    this.dirtyFrom = null;
    // Entries are replaced in place (a view whose entry did not change is not redrawn).
    res.entries.forEach((e, i) => this.put(res.from + i, e));
    this.truncate(res.from + res.entries.length);
    this.list.retaken();
    this.state = 'ready';
    const taken = this.list.entries.length;
    const buffered = this.buffered;
    this.buffered = [];
    for (const b of buffered) {
      // What came while the transcript was on its way may be in it already,
      // or may be newer: entries are taken as they come (they replace), text
      // for an entry the reply had is left out, and the part is taken again
      // once the turn is over.
      if (b.index < taken) this.dirty(b.index);
      if ('entry' in b) this.put(b.index, b.entry);
      else if (b.index >= taken) this.text(b.index, b.text);
    }
    this.renderEmpty();
    if (this.dirtyFrom !== null && !this.busy()) void this.load(this.dirtyFrom);
    // Drawn now rather than next frame: the transcript shows in the frame that follows its answer.
    this.list.layout();
  }

  private dirty(from: number): void {
    this.dirtyFrom = this.dirtyFrom === null ? from : Math.min(this.dirtyFrom, from);
  }

  private truncate(len: number): void {
    this.list.truncate(len);
    for (const i of this.open) if (i >= len) this.open.delete(i);
  }

  /** Entry `index` added (at the end) or replaced. */
  private put(index: number, entry: ChatEntry): void {
    if (index > this.list.entries.length) {
      // A gap: something was missed.
      void this.load(this.list.entries.length);
      return;
    }
    // Before the view is drawn again: its buttons stay off while a decision is on its way.
    const action = entry.type === 'tool' ? entry.call.permission : undefined;
    if (action?.action && action.outcome) this.decisions.delete(action.action);
    this.list.set(index, entry);
    if (entry.type === 'turnEnded') this.filesStale = true;
    if (entry.type === 'turnEnded' && this.turnOpen && (this.promptIndex === null || index > this.promptIndex)) {
      this.turnOpen = false;
      this.update(this.info);
    }
    if (entry.type === 'turnEnded' && this.dirtyFrom !== null && this.state === 'ready') void this.load(this.dirtyFrom);
    if (this.state === 'ready') {
      this.renderEmpty();
      this.list.schedule();
    }
  }

  private renderEmpty(): void {
    const shown = this.status.firstElementChild;
    if (this.list.entries.length > 0) {
      if (shown?.classList.contains('chat-empty')) this.status.replaceChildren();
      return;
    }
    if (shown && !shown.classList.contains('chat-empty')) return;
    const chat = this.info.chat;
    const key = chat?.agent ?? '';
    if (shown instanceof HTMLElement && shown.dataset['agent'] === key) return;
    this.status.replaceChildren(
      h(
        'div',
        { class: 'empty chat-empty', 'data-agent': key },
        icon(ICONS.chat),
        h('p', { text: chat?.agent ? `${chat.agent} is ready` : 'Starting the agent…' }),
        h('p', {
          class: 'hint',
          text: 'Its edits wait in the review pane, and what it asks to run waits for you here and there. Type @ to name a file, / for its commands.',
        }),
      ),
    );
  }

  // ---- paths and the review pane ----

  /** A tool's path as the review queue names it: relative to the session's folder. */
  private relative(path: string): string {
    for (const root of [this.info.cwd, this.ctx.store.project]) {
      const r = root.replace(/\/+$/, '');
      if (r && path.startsWith(`${r}/`)) return path.slice(r.length + 1);
    }
    return path;
  }

  showChange(path: string): void {
    const rel = this.relative(path);
    if (!this.ctx.showChange(this.info.id, rel)) this.ctx.notify(`${rel}: nothing of it waits for review`);
  }

  hasChange(path: string): boolean {
    const rel = this.relative(path);
    for (const c of this.ctx.store.changes.values()) if (c.session === this.info.id && c.path === rel) return true;
    return false;
  }

  async decide(index: number, action: string, allow: boolean): Promise<boolean> {
    this.decisions.add(action);
    this.list.redraw(index);
    const ok = await this.ctx.decideAction(action, allow ? 'allow' : 'deny');
    // Taken: the buttons stay off until the entry says how it went.
    if (!ok) {
      this.decisions.delete(action);
      this.list.redraw(index);
    }
    return ok;
  }

  deciding(action: string): boolean {
    return this.decisions.has(action);
  }

  unfolded(index: number): boolean {
    return this.open.has(index);
  }

  fold(index: number, open: boolean): void {
    if (open) this.open.add(index);
    else this.open.delete(index);
    this.list.schedule();
  }

  actionWhy(id: string): string | null {
    const a = this.ctx.store.actions.get(id);
    if (!a) return null;
    const why = a.risks.map((r) => r.why.replace(/`/g, '')).join('; ');
    return why || null;
  }

  /** The waiting actions moved: a card that asks says why. */
  actionsMoved(): void {
    this.list.forEachView((v) => v.actionsMoved?.());
    this.list.schedule();
  }

  /** The pending changes moved: locations that link to them are marked. */
  changesMoved(): void {
    this.list.forEachView((v) => v.changesMoved?.());
  }

  /**
   * What `@` completes: the session's pending changes, the paths its tools
   * touched, then its folder's files. Those are asked for the first time they
   * are wanted and again after a turn (the agent may have added some); until
   * the answer comes the list is what is known, and it is redrawn then.
   */
  private paths(): string[] {
    if (this.filesStale && !this.filesAsking) void this.listFiles();
    const out: string[] = [];
    for (const c of this.ctx.store.changeList()) if (c.session === this.info.id) out.push(c.path);
    for (const e of this.list.entries) {
      if (e.type !== 'tool') continue;
      for (const l of e.call.locations) out.push(this.relative(l.path));
      for (const c of e.call.content) if (c.type === 'diff') out.push(this.relative(c.path));
    }
    const named = out.filter((p) => !p.startsWith('/'));
    return this.files ? named.concat(this.files) : named;
  }

  private async listFiles(): Promise<void> {
    this.filesAsking = true;
    // A turn that ends while this is on its way marks the list stale again.
    this.filesStale = false;
    const res = await this.ctx.call({ op: 'listFiles', session: this.info.id }, { quiet: ['notFound'] });
    this.filesAsking = false;
    // A failure is not asked again until the next turn: one banner, not one a keystroke.
    if (res?.type !== 'files') return;
    this.files = res.paths;
    this.composer.refresh();
  }
}
