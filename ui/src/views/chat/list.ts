// A chat pane's transcript as a virtual list: only the entries in or near the
// view have views in the page; the rest are space of the height they had when
// last drawn (or an estimate, until they are), kept in `Heights`. Each frame
// measures the drawn entries, keeps the entry at the top of the view where it
// was on screen (or the end in view, while the user is there), and draws what
// came near. The pane says what the entries are; this draws them.

import type { ChatEntry } from '../../ipc/bindings';
import { entryView, type EntryHost, type EntryView } from './entries';
import { Heights } from './heights';

/** Within this many pixels of the end, the log follows new output. */
const STICK_PX = 48;

/**
 * Entries this many pixels above and below the view are drawn too: a wheel
 * turn or a flick shows drawn entries while the next frame draws more.
 */
const OVERSCAN = 1000;

/** An entry not yet drawn is taken to be as tall as the drawn ones of its type, or this tall before any is. */
const FIRST_GUESS: Record<ChatEntry['type'], number> = { user: 40, agent: 48, thought: 20, plan: 80, tool: 90, turnEnded: 16, notice: 20 };

export class EntryList {
  private readonly items: ChatEntry[] = [];
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
  /** Watches the drawn entries for changes of height this list did not make. */
  private readonly resized: ResizeObserver;
  /** Drawn entries with streamed text to draw. */
  private readonly toFlush = new Set<number>();
  private frame = 0;
  private stick = true;
  /** Where this list last scrolled the log to: a scroll elsewhere is the user's. */
  private autoTop = 0;
  private scrollTop = 0;

  constructor(
    /** The scrolling element, holding `list`. */
    private readonly log: HTMLElement,
    /** Where the entries' views go. */
    private readonly list: HTMLElement,
    private readonly host: EntryHost,
    /** Whether the transcript is taken, so there is something to lay out. */
    private readonly ready: () => boolean,
  ) {
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
      // A scroll this list made is laid out already; the user scrolling to
      // the end follows it, away from the end stops following.
      if (Math.abs(top - this.autoTop) < 1) return;
      this.stick = top + this.log.clientHeight >= this.log.scrollHeight - STICK_PX;
      this.autoTop = top;
      this.schedule();
    }, { passive: true });
  }

  /** The entries as this list holds them. */
  get entries(): readonly ChatEntry[] {
    return this.items;
  }

  /** Shown: puts the scroll back, and lays out. */
  shown(): void {
    if (!this.stick) this.log.scrollTop = this.autoTop = this.scrollTop;
    this.layout();
  }

  hidden(): void {
    this.scrollTop = this.log.scrollTop;
  }

  /** Follows the end from here on (a prompt was sent). */
  follow(): void {
    this.stick = true;
    this.schedule();
  }

  /** A transcript was taken: the next layout guesses the heights not measured again. */
  retaken(): void {
    this.guessAgain = true;
  }

  /** Entry `index` added (at the end, never past it) or replaced; its view, if drawn, shows it. */
  set(index: number, entry: ChatEntry): void {
    const copy: ChatEntry = entry.type === 'agent' || entry.type === 'thought' ? { ...entry } : entry;
    const added = index === this.items.length;
    this.items[index] = copy;
    this.versions[index] = (this.versions[index] ?? 0) + 1;
    if (added) {
      this.measured[index] = -1;
      this.heights.set(index, this.guess(copy));
    }
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
  }

  /** Text streamed onto entry `index`; false when it is not an entry that takes text. */
  append(index: number, text: string): boolean {
    const e = this.items[index];
    if (!e || (e.type !== 'agent' && e.type !== 'thought')) return false;
    e.text += text;
    this.versions[index] = (this.versions[index] ?? 0) + 1;
    // An entry out of view keeps its text only; it is drawn from it when it comes near.
    const view = this.views.get(index);
    if (view?.append) {
      view.append(text);
      this.toFlush.add(index);
    }
    this.schedule();
    return true;
  }

  /** Keeps the first `len` entries. */
  truncate(len: number): void {
    for (const [i, v] of this.views) if (i >= len) this.drop(i, v);
    this.items.length = Math.min(this.items.length, len);
    this.versions.length = this.measured.length = this.items.length;
    this.heights.resize(this.items.length);
    this.to = Math.min(this.to, this.items.length);
    this.from = Math.min(this.from, this.to);
  }

  /** Entry `index`'s view drawn again from its entry, if it is drawn. */
  redraw(index: number): void {
    const entry = this.items[index];
    if (entry) this.views.get(index)?.set(entry);
    this.schedule();
  }

  /** Tells each drawn view something. */
  forEachView(f: (view: EntryView) => void): void {
    for (const v of this.views.values()) f(v);
  }

  /** What an entry not yet drawn is taken to be: the mean of the drawn ones of its type. */
  private guess(entry: ChatEntry): number {
    const t = this.typical.get(entry.type);
    return (t && t.n > 0 ? t.sum / t.n : FIRST_GUESS[entry.type]) + Math.max(0, this.gap);
  }

  /** A view for entry `index`, drawn whole (so it can be measured at once). */
  private build(index: number, entry: ChatEntry): EntryView {
    const view = entryView(entry, index, this.host);
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
  schedule(): void {
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
      const entry = this.items[i];
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
  layout(): void {
    const log = this.log;
    const viewHeight = log.clientHeight;
    if (!this.ready() || !log.isConnected || viewHeight === 0) return;
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
          const e = this.items[i];
          return !e || this.measured[i] === this.versions[i] ? this.heights.get(i) : this.guess(e);
        });
      }
      const total = this.heights.total();
      top = this.stick ? listTop + total - viewHeight : listTop + this.heights.offset(anchor) - anchorAt;
      const from = this.heights.at(top - listTop - OVERSCAN);
      const to = this.items.length === 0 ? 0 : this.heights.at(top - listTop + viewHeight + OVERSCAN) + 1;
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
      const entry = this.items[i];
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
}
