// One pending change: its header and a virtualized list of its hunks. Hunks
// come from the engine in windows (`getDiff` from/count) as they near the
// viewport, and only hunks near the viewport are in the DOM; spacers stand for
// the rest, sized from measured heights or estimates from line counts.

import type { Ctx } from '../../context';
import type { Change, HunkDiff, HunkHeader } from '../../ipc/bindings';
import { h, icon, ICONS, replaceChildren } from '../../lib/dom';
import type { Prefs, ViewMode } from '../../prefs';
import { badgeList, collapsedByDefault } from './badges';
import { decisionButtons, type DecideButtons } from './decide';
import { CONTEXT, EXPAND_MAX, EXPAND_STEP, gapAbove, gapBelow, gapRemaining, type ExpandDirection, type GapState } from './gap';
import { heldReason, HunkView, type HunkHost, type ItemView, type Selection } from './hunk';
import { rowCount } from './lines';
import { SpecialHunkView } from './special';

/**
 * Line hunks per `getDiff` request: about a viewport's worth. The engine
 * highlights from the top of the file down to the last line asked for, so the
 * first window's size is what a large change costs before its first paint.
 */
// The engine highlights this many ahead of the first ask (FIRST_WINDOW_HUNKS in engine/queue.rs).
export const WINDOW = 12;
/** Windows kept in memory (~400 hunks); the rest are asked for again when needed. */
const MAX_WINDOWS = 32;
/** Pixels rendered beyond the viewport on each side. */
const OVERSCAN = 900;
/** A pinned hunk (editor open, decision in flight) stays rendered within this many items of the viewport. */
const PIN_REACH = 100;

const HEADER_H = 33;
/** A file's own header, for estimates made before any layout. */
const FILE_HEADER_H = 41;
const ROW_H = 20;
const GAP_H = 29;
const SPECIAL_H = 90;

/** What a file needs from the review pane. */
export interface FileHost {
  readonly ctx: Ctx;
  readonly prefs: Prefs;
  /**
   * The pane has not painted yet: draw only what is in view, and ask for
   * nothing ahead, so the first paint waits on as little as can be.
   */
  readonly firstPaintPending: boolean;
  /** Asks for a layout pass on the next frame. */
  schedule(): void;
  /** The user collapsed or expanded the file. */
  toggled(file: FileView): void;
}

interface Win {
  hunks: HunkDiff[];
  stale: boolean;
  used: number;
}

class Placeholder implements ItemView {
  readonly el: HTMLElement;
  readonly pinned = false;
  constructor(
    readonly key: string,
    height: number,
  ) {
    this.el = h('div', { class: 'hunk-placeholder', 'aria-busy': 'true', style: `height:${Math.round(height)}px` }, h('span', { text: 'Loading…' }));
  }
}

export function sameChange(a: Change, b: Change): boolean {
  return (
    a.state === b.state &&
    a.held === b.held &&
    a.kind === b.kind &&
    a.binary === b.binary &&
    a.additions === b.additions &&
    a.deletions === b.deletions &&
    a.oldMode === b.oldMode &&
    a.newMode === b.newMode &&
    a.notice === b.notice &&
    JSON.stringify(a.hunks) === JSON.stringify(b.hunks)
  );
}

export class FileView implements HunkHost {
  readonly el: HTMLElement;
  readonly header: HTMLElement;
  readonly ctx: Ctx;
  private readonly body = h('div', { class: 'file-body' });
  private readonly topSpacer = h('div', { class: 'v-spacer', 'aria-hidden': 'true' });
  private readonly itemsEl = h('div', { class: 'hunks' });
  private readonly bottomSpacer = h('div', { class: 'v-spacer', 'aria-hidden': 'true' });
  private readonly status = h('div', { class: 'file-status', hidden: true });
  private readonly meta = h('span', { class: 'file-meta' });
  private readonly badges = h('span', { class: 'file-badges' });
  private readonly pathEl = h('span', { class: 'file-path' });
  private readonly heldNote = h('p', { class: 'held-note', role: 'note', hidden: true });
  private readonly toggle: HTMLButtonElement;
  private readonly buttons: DecideButtons;

  view: ViewMode;
  collapsed: boolean;
  /** The user folded or unfolded it: badges no longer decide. */
  private userSet: boolean;
  private ws: boolean;
  private special: HunkHeader[] = [];
  private lineHeaders: HunkHeader[] = [];
  private allIndex = new Map<string, number>();
  private total = 0;
  private totalKnown = false;
  private gen = 0;
  private readonly windows = new Map<number, Win>();
  private readonly inflight = new Map<number, number>();
  private uses = 0;
  private readonly heights = new Map<string, number>();
  private offsets: Float64Array | null = null;
  private readonly rendered = new Map<number, ItemView>();
  private readonly gaps = new Map<string, GapState>();
  private readonly selections = new Map<string, Selection>();
  private readonly pins = new Set<string>();
  private range: [number, number] = [0, 0];
  private current: number | null = null;
  private failed: string | null = null;
  private failedGen = -1;
  private disposed = false;
  private readonly resizes: ResizeObserver;

  constructor(
    private readonly host: FileHost,
    public change: Change,
    collapsed?: boolean,
  ) {
    this.ctx = host.ctx;
    this.view = host.prefs.get('view');
    this.ws = host.prefs.get('ignoreWhitespace');
    this.collapsed = collapsed ?? collapsedByDefault(change.badges);
    this.userSet = collapsed !== undefined;
    this.resizes = new ResizeObserver(() => host.schedule());
    this.toggle = h(
      'button',
      {
        class: 'icon-button chevron',
        type: 'button',
        'data-testid': 'file-toggle',
        onclick: () => this.toggleByUser(),
      },
      icon(ICONS.chevron),
    );
    this.buttons = decisionButtons(this.ctx, {
      scope: 'file',
      what: change.path,
      ids: () => this.approvableIds(),
      rejectIds: () => [this.change.id],
      busy: (on) => this.el.classList.toggle('busy', on),
    });
    this.header = h(
      'header',
      { class: 'file-header', tabindex: -1 },
      this.toggle,
      this.pathEl,
      this.meta,
      this.badges,
      h('span', { class: 'spacer' }),
      this.buttons.el,
    );
    this.body.append(this.heldNote, this.status, this.topSpacer, this.itemsEl, this.bottomSpacer);
    this.el = h('article', { class: 'file', 'data-testid': 'change-file' }, this.header, this.body);
    this.setHunks(change);
    this.renderHeader();
    this.setCollapsed(this.collapsed);
  }

  // ---- HunkHost ----

  selection(id: string): Selection {
    let s = this.selections.get(id);
    if (!s) this.selections.set(id, (s = { removed: new Set(), added: new Set(), last: null }));
    return s;
  }

  pin(id: string, on: boolean): void {
    if (on) this.pins.add(id);
    else this.pins.delete(id);
  }

  async expand(gap: GapState, dir: ExpandDirection): Promise<void> {
    const left = gapRemaining(gap);
    if (left <= 0 || gap.loading) return;
    const count = dir === 'all' ? Math.min(left, EXPAND_MAX) : Math.min(left, EXPAND_STEP);
    const from = dir === 'up' && gap.end !== null ? gap.end - gap.bottom.length - count + 1 : gap.start + gap.top.length;
    gap.loading = true;
    this.redrawGap(gap);
    const res = await this.ctx.call({ op: 'getLines', change: this.change.id, from, count }, { quiet: ['notFound'] });
    gap.loading = false;
    if (res?.type === 'lines') {
      if (dir === 'up') gap.bottom.unshift(...res.lines);
      else gap.top.push(...res.lines);
      if (res.lines.length < count) gap.ended = true;
    }
    this.redrawGap(gap);
    this.offsets = null;
    this.host.schedule();
  }

  // ---- what the review pane asks ----

  get id(): string {
    return this.change.id;
  }

  /** Items: special hunks (mode, whole file) first, then line hunks. */
  itemCount(): number {
    return this.special.length + this.total;
  }

  update(change: Change): void {
    const changed = !sameChange(this.change, change);
    this.change = change;
    // Badges may come after the first sight of a change (a lockfile, say).
    if (!this.userSet && collapsedByDefault(change.badges) !== this.collapsed) this.setCollapsed(!this.collapsed);
    this.renderHeader();
    if (changed) {
      this.setHunks(change);
      this.refetch();
    }
  }

  /** The diff may have moved: ask again, showing what we have meanwhile. */
  refetch(): void {
    this.gen++;
    for (const w of this.windows.values()) w.stale = true;
    this.gaps.clear();
    this.offsets = null;
    this.host.schedule();
  }

  /** A preference changed: white space filter or view mode. */
  prefsChanged(): void {
    const view = this.host.prefs.get('view');
    const ws = this.host.prefs.get('ignoreWhitespace');
    if (ws !== this.ws) {
      this.ws = ws;
      this.gen++;
      this.windows.clear();
      this.gaps.clear();
      this.totalKnown = false;
      this.total = this.lineHeaders.length;
      this.clearRendered();
    }
    if (view !== this.view) {
      this.view = view;
      this.heights.clear();
      this.clearRendered();
    }
    this.offsets = null;
  }

  /** The user folds or unfolds the file. */
  toggleByUser(): void {
    this.userSet = true;
    this.setCollapsed(!this.collapsed);
    this.host.toggled(this);
  }

  setCollapsed(on: boolean): void {
    this.collapsed = on;
    this.el.classList.toggle('collapsed', on);
    this.toggle.setAttribute('aria-expanded', String(!on));
    this.toggle.setAttribute('aria-label', `${on ? 'Expand' : 'Collapse'} ${this.change.path}`);
    this.toggle.title = `${on ? 'Show' : 'Hide'} the diff (o)`;
    if (on) this.clearRendered();
    this.host.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.clearRendered();
    this.resizes.disconnect();
    this.el.remove();
  }

  /** Asks for the first window now, before the first layout pass needs it. */
  prefetch(): void {
    if (!this.collapsed && this.lineHeaders.length > 0) this.ensure(0, Math.min(this.total, WINDOW));
  }

  /** Whether a window of the current diff is on its way from the engine. */
  loading(): boolean {
    return [...this.inflight.values()].includes(this.gen);
  }

  /** The hunk id of item `i`, when known. */
  hunkIdAt(i: number): string | null {
    if (i < this.special.length) return this.special[i]?.id ?? null;
    const j = i - this.special.length;
    const d = this.dataAt(j);
    if (d) return d.header.id;
    return this.ws ? null : (this.lineHeaders[j]?.id ?? null);
  }

  /** The item showing hunk `id`, or -1. */
  indexOfHunk(id: string): number {
    const s = this.special.findIndex((x) => x.id === id);
    if (s >= 0) return s;
    for (const [w, win] of this.windows) {
      if (win.stale) continue;
      const k = win.hunks.findIndex((x) => x.header.id === id);
      if (k >= 0) return this.special.length + w * WINDOW + k;
    }
    if (!this.ws) {
      const k = this.lineHeaders.findIndex((x) => x.id === id);
      if (k >= 0) return this.special.length + k;
    }
    return -1;
  }

  /** The rendered element of item `i` (-1: the file header). */
  elementAt(i: number): HTMLElement | null {
    if (i < 0) return this.header;
    const v = this.rendered.get(i);
    return v && !(v instanceof Placeholder) ? v.el : null;
  }

  /** The review comments moved: the drawn hunks show them again. */
  commentsMoved(): void {
    for (const v of this.rendered.values()) if (v instanceof HunkView) v.renderComments();
  }

  viewAt(i: number): ItemView | null {
    return this.rendered.get(i) ?? null;
  }

  /** Top of item `i` in the body, and its height. */
  place(i: number): { top: number; height: number } {
    const off = this.getOffsets();
    const k = Math.max(0, Math.min(i, this.itemCount()));
    return { top: off[k] ?? 0, height: (off[k + 1] ?? off[k] ?? 0) - (off[k] ?? 0) };
  }

  /** The body's top in the scroller's content coordinates. */
  bodyTop(scroller: HTMLElement, scrollerTop: number): number {
    return this.body.getBoundingClientRect().top - scrollerTop + scroller.scrollTop;
  }

  /** The first rendered hunk whose bottom is below `y` (viewport coordinates): a scroll anchor. */
  anchorBelow(y: number): HTMLElement | null {
    const keys = [...this.rendered.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const el = this.rendered.get(k)?.el;
      if (el && el.getBoundingClientRect().bottom > y) return el;
    }
    return null;
  }

  setCurrent(i: number | null): void {
    if (this.current === i) return;
    const old = this.current;
    this.current = i;
    if (old !== null) (old < 0 ? this.header : this.rendered.get(old)?.el)?.classList.remove('current');
    if (i !== null) (i < 0 ? this.header : this.rendered.get(i)?.el)?.classList.add('current');
  }

  /** The height the file would take, from measured heights or estimates (no layout). */
  estimatedHeight(): number {
    const off = this.collapsed ? null : this.getOffsets();
    return FILE_HEADER_H + (off?.[off.length - 1] ?? 0);
  }

  /**
   * Renders the items between `viewTop` and `viewBottom` (body coordinates),
   * asks for the windows they need, and (unless `measure` is false) measures
   * what it rendered. True when a measurement changed the layout.
   */
  layout(viewTop: number, viewBottom: number, measure = true): boolean {
    if (this.disposed) return false;
    this.renderStatus();
    const n = this.itemCount();
    if (this.collapsed || n === 0) {
      this.clearRendered();
      this.topSpacer.style.height = '0px';
      this.bottomSpacer.style.height = '0px';
      return false;
    }
    const off = this.getOffsets();
    const full = off[n] ?? 0;
    const first = this.host.firstPaintPending;
    const a = viewTop - (first ? 0 : OVERSCAN);
    const b = viewBottom + (first ? 0 : OVERSCAN);
    let i0 = 0;
    let i1 = 0;
    if (b > 0 && a < full) {
      i0 = Math.max(0, upper(off, a) - 1);
      i1 = Math.min(n, Math.max(i0 + 1, lower(off, b)));
    } else {
      i0 = i1 = b <= 0 ? 0 : n;
    }
    for (const id of this.pins) {
      const p = this.indexOfHunk(id);
      if (p < 0) continue;
      if (p < i0 && i0 - p <= PIN_REACH) i0 = p;
      if (p >= i1 && p - i1 < PIN_REACH) i1 = p + 1;
    }
    // The windows these items need, and the next one when near its edge; that
    // one only while no other is on its way, so it never slows the one in view
    // (the engine highlights on the same two threads).
    const s = this.special.length;
    if (i1 > s) {
      this.ensure(Math.max(0, i0 - s), i1 - s);
      if (!this.loading() && !first) this.ensure(i1 - s, Math.min(this.total, i1 - s + 10));
    }
    this.range = [i0, i1];
    this.renderRange(i0, i1);
    this.topSpacer.style.height = `${off[i0] ?? 0}px`;
    this.bottomSpacer.style.height = `${full - (off[i1] ?? full)}px`;
    return measure && this.measure();
  }

  // ---- internals ----

  private setHunks(change: Change): void {
    this.special = change.hunks.filter((x) => x.kind !== 'lines');
    this.lineHeaders = change.hunks.filter((x) => x.kind === 'lines');
    this.allIndex = new Map(this.lineHeaders.map((x, i) => [x.id, i]));
    if (!this.totalKnown || !this.ws) this.total = this.lineHeaders.length;
    this.offsets = null;
  }

  private approvableIds(): string[] {
    const c = this.change;
    if (!c.hunks.some((x) => x.conflict)) return [c.id];
    return c.hunks.filter((x) => !x.conflict).map((x) => x.id);
  }

  private renderHeader(): void {
    const c = this.change;
    this.el.dataset['path'] = c.path;
    this.el.dataset['changeId'] = c.id;
    this.el.dataset['state'] = c.state;
    this.el.classList.toggle('held', c.state === 'held');
    const base = (p: string) => {
      const slash = p.lastIndexOf('/');
      return [slash >= 0 ? h('span', { class: 'dir', text: p.slice(0, slash + 1) }) : null, h('span', { class: 'base', text: p.slice(slash + 1) })];
    };
    replaceChildren(
      this.pathEl,
      ...(c.oldPath ? [h('span', { class: 'old-path', title: c.oldPath }, ...base(c.oldPath)), h('span', { class: 'rename-arrow', text: ' → ' })] : []),
      ...base(c.path),
    );
    this.pathEl.title = c.oldPath ? `${c.oldPath} → ${c.path}` : c.path;
    const session = this.ctx.store.sessions.get(c.session);
    const showSession = this.ctx.store.sessions.size > 1 && session;
    const lineHunks = this.lineHeaders.length;
    replaceChildren(
      this.meta,
      h('span', { class: `badge kind kind-${c.kind}`, text: c.kind }),
      c.binary ? h('span', { class: 'badge badge-muted', text: 'binary' }) : null,
      c.state === 'conflict' ? h('span', { class: 'badge badge-conflict', text: 'conflict' }) : null,
      c.state === 'held' ? h('span', { class: 'badge badge-danger', text: 'held' }) : null,
      c.binary
        ? null
        : h(
            'span',
            { class: 'stat', 'aria-label': `${c.additions} additions, ${c.deletions} deletions` },
            h('span', { class: c.additions ? 'add' : 'add zero', text: `+${c.additions}` }),
            h('span', { class: c.deletions ? 'del' : 'del zero', text: `−${c.deletions}` }),
          ),
      lineHunks > 1 ? h('span', { class: 'hunk-count', text: `${lineHunks} hunks` }) : null,
      showSession ? h('span', { class: 'badge badge-session', title: 'Proposed by this session', text: session.name }) : null,
    );
    replaceChildren(this.badges, badgeList(c.badges));
    const held = heldReason(c);
    this.heldNote.hidden = held === null;
    if (held) replaceChildren(this.heldNote, icon(ICONS.alert), h('span', { text: `This change is held: ${c.held ?? ''}. It cannot land; reject it to send it back to the agent.` }));
    const conflicts = c.hunks.filter((x) => x.conflict).length;
    if (held) this.buttons.block(held);
    else if (conflicts > 0 && conflicts === c.hunks.length) this.buttons.block('Every hunk overlaps lines you changed — reject to keep yours, or edit them');
    else if (conflicts > 0) {
      this.buttons.block(null, 'Approve others');
      this.buttons.approve.title = `Approve the ${c.hunks.length - conflicts} hunks that do not overlap your edits (A)`;
    } else this.buttons.block(null);
  }

  private renderStatus(): void {
    let text: string | null = null;
    if (this.failed && this.failedGen === this.gen) text = this.failed;
    else if (this.itemCount() === 0 && this.totalKnown) {
      text = this.ws && this.lineHeaders.length > 0 ? 'Only white-space changes (hidden by the white-space filter).' : 'No textual difference.';
    }
    this.status.hidden = text === null;
    if (text !== null && this.status.textContent !== text) this.status.textContent = text;
  }

  private dataAt(j: number): HunkDiff | null {
    const win = this.windows.get(Math.floor(j / WINDOW));
    return win?.hunks[j % WINDOW] ?? null;
  }

  private keyAt(i: number): string {
    return this.hunkIdAt(i) ?? `#${i}`;
  }

  private estimate(i: number): number {
    if (i < this.special.length) return SPECIAL_H;
    const j = i - this.special.length;
    const d = this.dataAt(j);
    if (d) {
      let removed = 0;
      let added = 0;
      let context = 0;
      for (const l of d.lines) {
        if (l.kind === 'removed') removed++;
        else if (l.kind === 'added') added++;
        else context++;
      }
      return HEADER_H + (j > 0 ? GAP_H : 0) + rowCount(removed, added, context, this.view) * ROW_H + 1;
    }
    const hh = this.ws ? null : this.lineHeaders[j];
    const rows = hh ? rowCount(hh.oldLines, hh.newLines, 2 * CONTEXT, this.view) : 10;
    return HEADER_H + GAP_H + rows * ROW_H + 1;
  }

  private getOffsets(): Float64Array {
    const n = this.itemCount();
    if (this.offsets && this.offsets.length === n + 1) return this.offsets;
    const off = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) off[i + 1] = (off[i] ?? 0) + (this.heights.get(this.keyAt(i)) ?? this.estimate(i));
    this.offsets = off;
    return off;
  }

  private ensure(j0: number, j1: number): void {
    if (j1 <= j0 || this.failedGen === this.gen) return;
    for (let w = Math.floor(j0 / WINDOW); w <= Math.floor((j1 - 1) / WINDOW); w++) {
      const win = this.windows.get(w);
      if (win && !win.stale) {
        win.used = ++this.uses;
        continue;
      }
      if (this.inflight.get(w) === this.gen) continue;
      this.inflight.set(w, this.gen);
      void this.load(w, this.gen);
    }
  }

  private async load(w: number, gen: number): Promise<void> {
    const res = await this.ctx.call(
      this.ws
        ? { op: 'getDiff', change: this.change.id, from: w * WINDOW, count: WINDOW, ignoreWhitespace: true }
        : { op: 'getDiff', change: this.change.id, from: w * WINDOW, count: WINDOW },
      { quiet: ['notFound', 'badRequest'] },
    );
    if (this.inflight.get(w) === gen) this.inflight.delete(w);
    if (gen !== this.gen || this.disposed) return;
    if (res?.type !== 'diff') {
      // Gone meanwhile (its event follows), or the engine said why in a banner.
      // Not asked again until the change moves.
      this.failed = 'This diff could not be loaded; it is asked for again when the change moves.';
      this.failedGen = gen;
      this.host.schedule();
      return;
    }
    this.failed = null;
    this.windows.set(w, { hunks: res.hunks, stale: false, used: ++this.uses });
    this.total = res.total;
    this.totalKnown = true;
    if (!this.loading()) {
      for (const [k, win] of this.windows) if (win.stale) this.windows.delete(k);
    }
    this.evict();
    this.offsets = null;
    this.host.schedule();
  }

  /** Keeps at most MAX_WINDOWS windows, dropping the least recently used outside the rendered range. */
  private evict(): void {
    if (this.windows.size <= MAX_WINDOWS) return;
    const s = this.special.length;
    const lo = Math.floor(Math.max(0, this.range[0] - s) / WINDOW);
    const hi = Math.floor(Math.max(0, this.range[1] - s) / WINDOW);
    const victims = [...this.windows.entries()].filter(([w]) => w < lo || w > hi).sort((x, y) => x[1].used - y[1].used);
    for (const [w] of victims) {
      if (this.windows.size <= MAX_WINDOWS) break;
      this.windows.delete(w);
    }
  }

  private gapAbove(j: number, d: HunkDiff): GapState | null {
    if (this.change.kind === 'created' || this.change.kind === 'deleted') return null;
    const prev = j > 0 ? this.dataAt(j - 1) : null;
    return this.gap(`a:${d.header.id}`, () => gapAbove(d, j, prev, () => this.lineHeaders[(this.allIndex.get(d.header.id) ?? 0) - 1]));
  }

  private gapBelow(j: number, d: HunkDiff): GapState | null {
    if (j !== this.total - 1 || this.change.kind === 'created' || this.change.kind === 'deleted') return null;
    return this.gap(`b:${d.header.id}`, () => gapBelow(d));
  }

  /** The gap under `key`, found the first time it is asked for (its lines expanded stay while it is kept). */
  private gap(key: string, find: () => GapState | null): GapState | null {
    const known = this.gaps.get(key);
    if (known) return known;
    const g = find();
    if (g) this.gaps.set(key, g);
    return g;
  }

  private redrawGap(g: GapState): void {
    for (const v of this.rendered.values()) if (v instanceof HunkView && v.holds(g)) v.renderGaps();
  }

  private build(i: number): ItemView {
    const s = this.special.length;
    if (i < s) return new SpecialHunkView(this, this.special[i] as HunkHeader);
    const j = i - s;
    const d = this.dataAt(j);
    if (!d) return new Placeholder(`#${i}`, this.estimate(i));
    return new HunkView(this, d, this.view, this.gapAbove(j, d), this.gapBelow(j, d));
  }

  private reusable(v: ItemView, i: number): boolean {
    if (v instanceof Placeholder) return false;
    if ((v instanceof SpecialHunkView || v instanceof HunkView) && v.state !== this.change.state) return false;
    if (v instanceof SpecialHunkView) {
      const x = this.special[i];
      return x !== undefined && x.id === v.header.id && x.conflict === v.header.conflict && JSON.stringify(x.badges) === JSON.stringify(v.header.badges);
    }
    if (!(v instanceof HunkView)) return false;
    const d = this.dataAt(i - this.special.length);
    if (!d || v.view !== this.view) return false;
    if (v.hunk === d) return true;
    const a = v.hunk.header;
    const b = d.header;
    return (
      a.id === b.id &&
      a.oldStart === b.oldStart &&
      a.newStart === b.newStart &&
      a.conflict === b.conflict &&
      a.label === b.label &&
      JSON.stringify(a.badges) === JSON.stringify(b.badges) &&
      v.hunk.lines.length === d.lines.length &&
      v.hunk.lines.every((l, k) => l.html === d.lines[k]?.html && l.kind === d.lines[k]?.kind)
    );
  }

  private renderRange(i0: number, i1: number): void {
    for (const [i, v] of this.rendered) {
      if (i >= i0 && i < i1) continue;
      this.drop(i, v);
    }
    const order: HTMLElement[] = [];
    for (let i = i0; i < i1; i++) {
      let v = this.rendered.get(i);
      if (v && !this.reusable(v, i)) {
        // A placeholder whose data arrived, or a hunk that moved.
        const moved = v;
        v = undefined;
        this.drop(i, moved);
      }
      if (!v) {
        v = this.build(i);
        this.rendered.set(i, v);
        if (!(v instanceof Placeholder)) this.resizes.observe(v.el);
      }
      v.el.classList.toggle('current', this.current === i);
      order.push(v.el);
    }
    // Put them in order without re-creating: insertBefore moves an existing node.
    const kids = this.itemsEl.children;
    order.forEach((el, k) => {
      if (kids[k] !== el) this.itemsEl.insertBefore(el, kids[k] ?? null);
    });
    while (kids.length > order.length) kids[kids.length - 1]?.remove();
  }

  private drop(i: number, v: ItemView): void {
    this.resizes.unobserve(v.el);
    v.dispose?.();
    v.el.remove();
    this.rendered.delete(i);
  }

  private clearRendered(): void {
    for (const [i, v] of this.rendered) this.drop(i, v);
    this.range = [0, 0];
  }

  /** Records the heights of rendered hunks; true when any changed. */
  private measure(): boolean {
    let changed = false;
    for (const [i, v] of this.rendered) {
      if (v instanceof Placeholder) continue;
      const hgt = v.el.offsetHeight;
      if (hgt === 0) continue;
      const key = this.keyAt(i);
      if (this.heights.get(key) !== hgt) {
        this.heights.set(key, hgt);
        changed = true;
      }
    }
    if (changed) this.offsets = null;
    return changed;
  }
}

/** The first index whose value is > x (values ascending). */
function upper(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] ?? 0) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first index whose value is >= x. */
function lower(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] ?? 0) >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
