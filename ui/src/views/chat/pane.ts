// One chat session's pane: its header (agent, mode), the transcript, the
// prompt box and a footer with the keys and the context window's use. The
// transcript is taken once (`transcript`), then kept by the `chat` and
// `chatText` events: an entry added or replaced redraws that entry only, and
// streamed text is drawn once a frame at most.
//
// The transcript is a virtual list: only the entries in or near the view have
// views in the page; the rest are space of the height they had when last drawn
// (or an estimate, until they are), kept in `Heights`. Each frame measures the
// drawn entries, keeps the entry at the top of the view where it was on screen
// (or the end in view, while the user is there), and draws what came near.

import type { Ctx } from '../../context';
import type { ChatChoice, ChatConfig, ChatEntry, ChatInfo, SessionInfo } from '../../ipc/bindings';
import { h, icon, ICONS, replaceChildren } from '../../lib/dom';
import { shield } from '../terminals';
import { Composer } from './composer';
import { entryView, type EntryHost, type EntryView } from './entries';
import { Heights } from './heights';

type Buffered = { index: number; entry: ChatEntry } | { index: number; text: string };

/** Tokens for people: 1200 → "1.2k". */
function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** The agent log shows this much of the end of the agent's stderr. */
const LOG_TAIL = 200 * 1024;

/** Within this many pixels of the end, the log follows new output. */
const STICK_PX = 48;

/**
 * Entries this many pixels above and below the view are drawn too: a wheel
 * turn or a flick shows drawn entries while the next frame draws more.
 */
const OVERSCAN = 1000;

/** An entry not yet drawn is taken to be as tall as the drawn ones of its type, or this tall before any is. */
const FIRST_GUESS: Record<ChatEntry['type'], number> = { user: 40, agent: 48, thought: 20, plan: 80, tool: 90, turnEnded: 16, notice: 20 };

export class ChatPane implements EntryHost {
  readonly el: HTMLElement;
  private readonly title = h('div', { class: 'pane-title' });
  private readonly busyEl = h('span', { class: 'chat-busy', 'data-testid': 'chat-busy', hidden: true }, h('span', { class: 'chat-busy-dot' }), 'working');
  private readonly mode: HTMLSelectElement;
  private readonly usage = h('span', { class: 'chat-usage', 'data-testid': 'chat-usage', hidden: true });
  /** The agent's settings, one picker each (the model first). */
  private readonly configs = h('span', { class: 'chat-configs', 'data-testid': 'chat-configs' });
  /** Settings being set: their pickers wait for the engine's word. */
  private readonly setting = new Set<string>();
  private readonly logButton: HTMLButtonElement;
  /** The agent's stderr (the session's scrollback), shown on demand. */
  private readonly agentLog = h('pre', { class: 'chat-agent-log', 'data-testid': 'chat-agent-log', 'aria-label': "The agent's log (its stderr)", tabindex: 0 });
  private readonly agentLogBox = h('div', { class: 'chat-agent-log-box', hidden: true }, this.agentLog);
  private logAsked = 0;
  private readonly log = h('div', { class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  private readonly list = h('div', { class: 'chat-entries' });
  private readonly status = h('div', { class: 'chat-status' });
  private readonly composer: Composer;
  private entries: ChatEntry[] = [];
  /** Each entry's version: one more each time it changes (replaced, text appended). */
  private versions: number[] = [];
  /** The version each entry's height was measured at (-1: its height is an estimate). */
  private measured: number[] = [];
  /** Each entry's height and the gap after it. */
  private readonly heights = new Heights();
  /** Measured heights by type: what an entry not yet drawn is guessed to be. */
  private readonly typical = new Map<ChatEntry['type'], { sum: number; n: number }>();
  /** Guesses are made again from `typical` at the next layout (a transcript taken, the width changed). */
  private guessAgain = false;
  /** The drawn entries' views: the window [from, to), and the entry that has the focus wherever it is. */
  private readonly views = new Map<number, EntryView>();
  private from = 0;
  private to = 0;
  /** The gap between entries (the list's CSS `row-gap`), read once drawn. */
  private gap = -1;
  private width = -1;
  /** The entry drawn out of the window because it holds the focus (see `pinned`). */
  private pinnedAt: number | null = null;
  /** Watches the drawn entries for changes of height this pane did not make. */
  private readonly resized: ResizeObserver;
  /** What the user opened or decided on entries, kept while their views come and go. */
  private readonly open = new Set<number>();
  private readonly decisions = new Set<string>();
  private state: 'new' | 'loading' | 'ready' | 'failed' = 'new';
  private buffered: Buffered[] = [];
  /** Events may have raced the transcript from here on: take it again when the turn ends. */
  private dirtyFrom: number | null = null;
  /** Drawn entries with streamed text to draw. */
  private readonly toFlush = new Set<number>();
  private frame = 0;
  private stick = true;
  /** Where this pane last scrolled the log to: a scroll elsewhere is the user's. */
  private autoTop = 0;
  private scrollTop = 0;
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
    this.mode = h('select', {
      class: 'mode-select chat-mode',
      'data-testid': 'chat-mode',
      'aria-label': "The agent's mode",
      title: "The agent's mode",
      hidden: true,
      onchange: () => void this.setMode(),
    });
    this.logButton = h('button', {
      class: 'btn btn-sm chat-log-toggle',
      type: 'button',
      'data-testid': 'chat-log-toggle',
      'aria-pressed': 'false',
      title: "The agent's log: what it wrote to stderr",
      text: 'Log',
      onclick: () => this.toggleLog(),
    });
    this.composer = new Composer({
      send: (text) => this.send(text),
      cancel: () => void this.cancel(),
      history: () => this.entries.flatMap((e) => (e.type === 'user' ? [e.text] : [])),
      commands: () => this.info.chat?.commands ?? [],
      paths: () => this.paths(),
    });
    this.log.append(this.list, this.status);
    this.el = h(
      'div',
      { class: 'chat-session', 'data-session-id': info.id },
      h('div', { class: 'pane-header chat-header' }, this.title, h('span', { class: 'spacer' }), this.busyEl, this.configs, this.mode, this.logButton),
      this.agentLogBox,
      this.log,
      this.composer.el,
      h(
        'div',
        { class: 'chat-footer' },
        h('span', { class: 'chat-keys', text: 'Enter sends · Shift+Enter new line · @ a file · / a command · ↑ last prompt · Esc cancels' }),
        h('span', { class: 'spacer' }),
        this.usage,
      ),
    );
    // A drawn entry that changes height by itself (a late font, a card redrawn
    // for the review queue) and the log resized (the window, the prompt box
    // growing) are laid out again next frame; a new width makes every height
    // measured so far a guess (a good one: it stays until the entry is drawn).
    this.resized = new ResizeObserver(() => this.schedule());
    new ResizeObserver(() => {
      const width = this.log.clientWidth;
      if (width > 0 && width !== this.width) {
        if (this.width > 0) this.measured.fill(-1);
        this.width = width;
      }
      this.schedule();
    }).observe(this.log);
    this.log.addEventListener('scroll', () => {
      const top = this.log.scrollTop;
      // A scroll this pane made is laid out already; the user scrolling to
      // the end follows it, away from the end stops following.
      if (Math.abs(top - this.autoTop) < 1) return;
      this.stick = top + this.log.clientHeight >= this.log.scrollHeight - STICK_PX;
      this.autoTop = top;
      this.schedule();
    }, { passive: true });
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
    if (!this.stick) this.log.scrollTop = this.autoTop = this.scrollTop;
    this.layout();
  }

  hidden(): void {
    this.scrollTop = this.log.scrollTop;
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
    this.renderTitle();
    this.renderMode(chat);
    this.renderConfigs(chat);
    this.renderUsage(chat);
    const busy = this.busy();
    this.busyEl.hidden = !busy;
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

  private renderTitle(): void {
    const s = this.info;
    const agent = s.chat?.agent;
    // The engine names a chat after its agent: then only the version is news.
    const extra = !agent || agent === s.name ? null : agent.startsWith(`${s.name} `) ? agent.slice(s.name.length + 1) : agent;
    replaceChildren(
      this.title,
      icon(ICONS.chat),
      h('span', { class: 'pane-title-name', 'data-testid': 'chat-name', text: s.name }),
      extra ? h('span', { class: 'chat-agent-name', 'data-testid': 'chat-agent', title: agent ?? '', text: extra }) : null,
      s.state === 'exited'
        ? h('span', { class: `badge ${s.exitCode === 0 ? 'badge-muted' : 'badge-danger'}`, text: s.exitCode === null ? 'exited' : `exited ${s.exitCode}` })
        : s.chat
          ? null
          : h('span', { class: 'badge badge-muted', text: 'starting' }),
      shield(s.sandbox),
    );
    this.title.title = s.command.join(' ');
  }

  private renderMode(chat: ChatInfo | undefined): void {
    const modes = chat?.modes ?? [];
    this.mode.hidden = modes.length === 0;
    if (modes.length === 0) return;
    const key = JSON.stringify([modes, chat?.mode]);
    if (this.mode.dataset['key'] === key) return;
    this.mode.dataset['key'] = key;
    // The agent's own mode is shown as it is; none is picked for it.
    const known = modes.some((m) => m.id === chat?.mode);
    replaceChildren(
      this.mode,
      known ? null : h('option', { value: '', disabled: true, text: 'mode…' }),
      ...modes.map((m: ChatChoice) => h('option', { value: m.id, title: m.description ?? m.id, text: m.id })),
    );
    this.mode.value = known ? (chat?.mode ?? '') : '';
    this.mode.title = known ? `Mode: ${chat?.mode} — ${modes.find((m) => m.id === chat?.mode)?.description ?? ''}` : "The agent's mode";
  }

  private async setMode(): Promise<void> {
    const mode = this.mode.value;
    if (!mode || mode === this.info.chat?.mode) return;
    const res = await this.ctx.call({ op: 'setChatMode', session: this.info.id, mode });
    if (res === null) {
      // Refused: show the mode the agent is in.
      delete this.mode.dataset['key'];
      this.renderMode(this.info.chat);
    }
  }

  private renderConfigs(chat: ChatInfo | undefined): void {
    const configs = [...(chat?.config ?? [])].sort((a, b) => Number(b.category === 'model') - Number(a.category === 'model'));
    const key = JSON.stringify([configs, [...this.setting]]);
    if (this.configs.dataset['key'] === key) return;
    this.configs.dataset['key'] = key;
    this.configs.replaceChildren(...configs.map((c) => this.configPicker(c)));
  }

  /** One setting: its values, showing the one it has; a choice is sent and shown once the engine says so. */
  private configPicker(c: ChatConfig): HTMLSelectElement {
    const known = c.values.some((v) => v.id === c.current);
    const select = h(
      'select',
      {
        class: 'mode-select chat-config',
        'data-testid': 'chat-config',
        'data-config': c.id,
        'data-category': c.category ?? '',
        'aria-label': c.name,
        title: `${c.name}: ${c.values.find((v) => v.id === c.current)?.description ?? c.current}`,
        'aria-busy': this.setting.has(c.id) ? 'true' : null,
        onchange: () => void this.setConfig(c.id, select),
      },
      known ? null : h('option', { value: c.current, disabled: true, text: c.current || `${c.name}…` }),
      ...c.values.map((v) => h('option', { value: v.id, title: v.id, text: v.description ?? v.id })),
    );
    select.value = c.current;
    return select;
  }

  private async setConfig(config: string, select: HTMLSelectElement): Promise<void> {
    const value = select.value;
    const current = () => this.info.chat?.config.find((c) => c.id === config)?.current ?? '';
    // Not shown as chosen until the engine's sessionUpdated says so.
    select.value = current();
    if (value === current()) return;
    this.setting.add(config);
    select.setAttribute('aria-busy', 'true');
    try {
      await this.ctx.call({ op: 'setChatConfig', session: this.info.id, config, value });
    } finally {
      // The picker may have been redrawn meanwhile (the update came first): draw them again as the engine has them.
      this.setting.delete(config);
      delete this.configs.dataset['key'];
      this.renderConfigs(this.info.chat);
    }
  }

  // ---- the agent's log ----

  private toggleLog(): void {
    const open = this.agentLogBox.hidden;
    this.agentLogBox.hidden = !open;
    this.logButton.setAttribute('aria-pressed', String(open));
    this.logButton.classList.toggle('active', open);
    if (open) void this.loadLog();
  }

  /** The end of the agent's stderr, as text (lossy UTF-8), escaped by being text. */
  private async loadLog(): Promise<void> {
    const asked = ++this.logAsked;
    this.agentLog.textContent = 'Loading…';
    const sb = await this.ctx.readScrollback(this.info.id);
    if (asked !== this.logAsked) return;
    if (!sb) {
      this.agentLog.textContent = 'The log could not be read.';
      return;
    }
    // Keep the last LOG_TAIL bytes as they come: a long log never sits whole in the page.
    let parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const piece of sb.pieces) {
        parts.push(piece);
        size += piece.byteLength;
        while (parts.length > 1 && size - (parts[0]?.byteLength ?? 0) >= LOG_TAIL) size -= parts.shift()?.byteLength ?? 0;
      }
    } catch (err) {
      if (asked === this.logAsked) this.agentLog.textContent = `The log could not be read: ${String(err)}`;
      return;
    }
    if (asked !== this.logAsked) return;
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.byteLength;
    }
    parts = [];
    const tail = all.byteLength > LOG_TAIL ? all.subarray(all.byteLength - LOG_TAIL) : all;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(tail);
    this.agentLog.textContent = text.length > 0 ? (tail === all ? text : `…\n${text}`) : 'The agent has written nothing to its log.';
    this.agentLog.scrollTop = this.agentLog.scrollHeight;
  }

  private renderUsage(chat: ChatInfo | undefined): void {
    const u = chat?.usage;
    this.usage.hidden = !u;
    if (!u) return;
    const share = u.size > 0 ? Math.min(1, u.used / u.size) : 0;
    this.usage.replaceChildren(
      h('span', { class: 'chat-usage-bar', 'aria-hidden': 'true' }, h('span', { class: 'chat-usage-fill', style: `width: ${(share * 100).toFixed(1)}%` })),
      h('span', { text: `${tokens(u.used)} / ${tokens(u.size)}` }),
    );
    this.usage.classList.toggle('high', share > 0.8);
    this.usage.title = `Context window: ${u.used.toLocaleString()} of ${u.size.toLocaleString()} tokens (${(share * 100).toFixed(1)}%)`;
  }

  // ---- the conversation ----

  private async send(text: string): Promise<boolean> {
    this.turnOpen = true;
    this.promptIndex = null;
    this.stick = true;
    this.schedule();
    this.update(this.info);
    const res = await this.ctx.call({ op: 'prompt', session: this.info.id, text });
    if (res?.type !== 'prompted') {
      this.turnOpen = false;
      this.update(this.info);
      return false;
    }
    this.promptIndex = res.index;
    // The prompt's own entry, unless its event came first.
    if (this.state === 'ready' && this.entries.length === res.index) this.put(res.index, { type: 'user', text });
    // A turn that ended before this reply came.
    if (this.entries.slice(res.index).some((e) => e.type === 'turnEnded')) this.turnOpen = false;
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
    const e = this.entries[index];
    if (!e || (e.type !== 'agent' && e.type !== 'thought')) {
      // Text for an entry this pane does not have: it missed something.
      void this.load(Math.min(index, this.entries.length));
      return;
    }
    e.text += text;
    this.versions[index] = (this.versions[index] ?? 0) + 1;
    // An entry out of view keeps its text only; it is drawn from it when it comes near.
    const view = this.views.get(index);
    if (view?.append) {
      view.append(text);
      this.toFlush.add(index);
    }
    this.schedule();
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
    this.guessAgain = true;
    this.state = 'ready';
    const taken = this.entries.length;
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
    this.layout();
  }

  private dirty(from: number): void {
    this.dirtyFrom = this.dirtyFrom === null ? from : Math.min(this.dirtyFrom, from);
  }

  private truncate(len: number): void {
    for (const [i, v] of this.views) if (i >= len) this.drop(i, v);
    this.entries.length = Math.min(this.entries.length, len);
    this.versions.length = this.measured.length = this.entries.length;
    this.heights.resize(this.entries.length);
    for (const i of this.open) if (i >= len) this.open.delete(i);
    this.to = Math.min(this.to, this.entries.length);
    this.from = Math.min(this.from, this.to);
  }

  /** Entry `index` added (at the end) or replaced. */
  private put(index: number, entry: ChatEntry): void {
    if (index > this.entries.length) {
      // A gap: something was missed.
      void this.load(this.entries.length);
      return;
    }
    const copy: ChatEntry = entry.type === 'agent' || entry.type === 'thought' ? { ...entry } : entry;
    const added = index === this.entries.length;
    this.entries[index] = copy;
    this.versions[index] = (this.versions[index] ?? 0) + 1;
    if (added) {
      this.measured[index] = -1;
      this.heights.set(index, this.guess(copy));
    }
    const action = entry.type === 'tool' ? entry.call.permission : undefined;
    if (action?.action && action.outcome) this.decisions.delete(action.action);
    const old = this.views.get(index);
    if (old && old.type === entry.type) {
      old.set(copy);
      if (old.flush) this.toFlush.add(index);
    } else if (old) {
      const view = this.build(index, copy);
      old.el.replaceWith(view.el);
      this.resized.unobserve(old.el);
      this.resized.observe(view.el);
      this.toFlush.delete(index);
    }
    // Any other entry is drawn when it comes near the view.
    if (entry.type === 'turnEnded') this.filesStale = true;
    if (entry.type === 'turnEnded' && this.turnOpen && (this.promptIndex === null || index > this.promptIndex)) {
      this.turnOpen = false;
      this.update(this.info);
    }
    if (entry.type === 'turnEnded' && this.dirtyFrom !== null && this.state === 'ready') void this.load(this.dirtyFrom);
    if (this.state === 'ready') {
      this.renderEmpty();
      this.schedule();
    }
  }

  private renderEmpty(): void {
    const shown = this.status.firstElementChild;
    if (this.entries.length > 0) {
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

  // ---- the virtual list ----

  /** What an entry not yet drawn is taken to be: the mean of the drawn ones of its type. */
  private guess(entry: ChatEntry): number {
    const t = this.typical.get(entry.type);
    return (t && t.n > 0 ? t.sum / t.n : FIRST_GUESS[entry.type]) + Math.max(0, this.gap);
  }

  /** A view for entry `index`, drawn whole (so it can be measured at once). */
  private build(index: number, entry: ChatEntry): EntryView {
    const view = entryView(entry, index, this);
    view.flush?.(true);
    this.views.set(index, view);
    return view;
  }

  private drop(index: number, view: EntryView): void {
    view.el.remove();
    this.resized.unobserve(view.el);
    this.views.delete(index);
    this.toFlush.delete(index);
  }

  /** Lays the list out in the next frame (streamed text and new entries are drawn then too). */
  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.onFrame());
  }

  private onFrame(): void {
    this.frame = 0;
    let more = false;
    for (const i of this.toFlush) {
      if (this.views.get(i)?.flush?.() === false) more = true;
      else this.toFlush.delete(i);
    }
    this.layout();
    // A large tail waits a little between redraws.
    if (more) this.schedule();
  }

  /** Measures the drawn entries and records their heights; true when one changed. */
  private measure(): boolean {
    let changed = false;
    for (let i = this.from; i < this.to; i++) {
      const view = this.views.get(i);
      const entry = this.entries[i];
      if (!view || !entry) continue;
      const height = view.el.getBoundingClientRect().height;
      const slot = height + this.gap;
      const version = this.versions[i] ?? 0;
      if (this.measured[i] === version && Math.abs(this.heights.get(i) - slot) < 0.5) continue;
      if (this.measured[i] === -1) {
        const t = this.typical.get(entry.type) ?? { sum: 0, n: 0 };
        t.sum += height;
        t.n += 1;
        this.typical.set(entry.type, t);
      }
      this.measured[i] = version;
      if (Math.abs(this.heights.get(i) - slot) >= 0.5) {
        this.heights.set(i, slot);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Makes the drawn entries those within OVERSCAN of the view and puts the
   * scroll where it belongs: at the end while following it, else where the
   * entry at the top of the view stays where it was on screen however the
   * entries above it measured or grew.
   */
  private layout(): void {
    const log = this.log;
    const viewHeight = log.clientHeight;
    if (this.state !== 'ready' || !this.el.isConnected || viewHeight === 0) return;
    if (this.gap < 0) {
      this.gap = parseFloat(getComputedStyle(this.list).rowGap) || 0;
      this.guessAgain = true;
    }
    const listTop = this.list.offsetTop;
    // The entry at the top of the view, and where it is on screen, as the last layout left the heights.
    const anchor = this.heights.at(log.scrollTop - listTop);
    const anchorAt = listTop + this.heights.offset(anchor) - log.scrollTop;
    let top = 0;
    // Drawing entries changes their heights from the guess, which moves what is near the view: a few rounds settle it.
    for (let round = 0; round < 4; round++) {
      this.measure();
      if (this.guessAgain) {
        this.guessAgain = false;
        this.heights.fill((i) => {
          const e = this.entries[i];
          return !e || this.measured[i] === this.versions[i] ? this.heights.get(i) : this.guess(e);
        });
      }
      const total = this.heights.total();
      top = this.stick ? listTop + total - viewHeight : listTop + this.heights.offset(anchor) - anchorAt;
      const from = this.heights.at(top - listTop - OVERSCAN);
      const to = this.entries.length === 0 ? 0 : this.heights.at(top - listTop + viewHeight + OVERSCAN) + 1;
      if (from === this.from && to === this.to) break;
      this.draw(from, to);
    }
    const total = this.heights.total();
    // Set only when they change: a style set, even to what it was, makes the browser lay the list out again.
    const above = `${this.heights.offset(this.from)}px`;
    const below = `${total - this.heights.offset(this.to)}px`;
    if (this.list.style.paddingTop !== above) this.list.style.paddingTop = above;
    if (this.list.style.paddingBottom !== below) this.list.style.paddingBottom = below;
    this.pinned(total);
    // Reading scrollHeight lays the page out once, with all of the above.
    if (this.stick) top = log.scrollHeight - viewHeight;
    if (Math.abs(log.scrollTop - top) >= 1) log.scrollTop = top;
    this.autoTop = log.scrollTop;
  }

  /** Draws entries [from, to) in order, dropping the others (but the one that holds the focus). */
  private draw(from: number, to: number): void {
    const focused = this.focusedEntry();
    for (const [i, v] of this.views) if ((i < from || i >= to) && i !== focused) this.drop(i, v);
    this.from = from;
    this.to = to;
    let at: ChildNode | null = this.list.firstChild;
    const kept = focused === null ? undefined : this.views.get(focused)?.el;
    if (at && at === kept && focused !== null && focused < from) at = at.nextSibling;
    for (let i = from; i < to; i++) {
      const entry = this.entries[i];
      if (!entry) continue;
      let view = this.views.get(i);
      if (!view) {
        view = this.build(i, entry);
        this.resized.observe(view.el);
      }
      if (view.el === at) at = at.nextSibling;
      else this.list.insertBefore(view.el, at);
    }
  }

  /** The index of the drawn entry that holds the focus, if one does. */
  private focusedEntry(): number | null {
    const active = document.activeElement;
    if (!active || !this.list.contains(active)) return null;
    const i = Number(active.closest<HTMLElement>('[data-testid="chat-entry"]')?.dataset['index']);
    return Number.isInteger(i) && this.views.has(i) ? i : null;
  }

  /**
   * The entry that holds the focus stays drawn when the user scrolls away from
   * it (Tab goes on from it, a key reaches its button), out of the flow where
   * it would be; back in the window it takes its place in the flow again.
   */
  private pinned(total: number): void {
    if (this.views.size === this.to - this.from && this.pinnedAt === null) return;
    this.pinnedAt = null;
    for (const [i, v] of this.views) {
      const out = i < this.from || i >= this.to;
      if (out) this.pinnedAt = i;
      if (!out && !v.el.classList.contains('chat-entry-pinned')) continue;
      v.el.classList.toggle('chat-entry-pinned', out);
      v.el.style.top = out ? `${Math.min(this.heights.offset(i), total)}px` : '';
    }
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
    this.redraw(index);
    const ok = await this.ctx.decideAction(action, allow ? 'allow' : 'deny');
    // Taken: the buttons stay off until the entry says how it went.
    if (!ok) {
      this.decisions.delete(action);
      this.redraw(index);
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
    this.schedule();
  }

  /** Entry `index`'s view drawn again from its entry, if it is drawn. */
  private redraw(index: number): void {
    const entry = this.entries[index];
    if (entry) this.views.get(index)?.set(entry);
    this.schedule();
  }

  actionWhy(id: string): string | null {
    const a = this.ctx.store.actions.get(id);
    if (!a) return null;
    const why = a.risks.map((r) => r.why.replace(/`/g, '')).join('; ');
    return why || null;
  }

  /** The waiting actions moved: a card that asks says why. */
  actionsMoved(): void {
    for (const v of this.views.values()) v.actionsMoved?.();
    this.schedule();
  }

  /** The pending changes moved: locations that link to them are marked. */
  changesMoved(): void {
    for (const v of this.views.values()) v.changesMoved?.();
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
    for (const e of this.entries) {
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
