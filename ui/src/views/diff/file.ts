// One pending change: its header (header.ts) and a virtualized list of its
// hunks. Hunks come from the engine in windows (`getDiff` from/count, see
// windows.ts) as they near the viewport, and only hunks near the viewport are
// in the DOM; spacers stand for the rest, sized from measured heights or
// estimates from line counts.

import type { Ctx } from '../../context';
import type { Change, HunkDiff, HunkHeader } from '../../ipc/bindings';
import { h } from '../../lib/dom';
import type { Prefs, ViewMode } from '../../prefs';
import { collapsedByDefault } from './badges';
import { EXPAND_MAX, EXPAND_STEP, gapAbove, gapBelow, gapRemaining, type ExpandDirection, type GapState } from './gap';
import { FileHeader } from './header';
import { HunkView, type HunkHost, type ItemView, type Selection } from './hunk';
import { FILE_HEADER_H, itemsBetween, loadedHeight, SPECIAL_H, unloadedHeight } from './layout';
import { SpecialHunkView } from './special';
import { HunkWindows, patchLabels, WINDOW } from './windows';

/** Pixels rendered beyond the viewport on each side. */
const OVERSCAN = 900;
/** A pinned hunk (editor open, decision in flight) stays rendered within this many items of the viewport. */
const PIN_REACH = 100;

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

/** A hunk header without what enrichment adds (labels, badges): what its lines depend on. */
function shape(hh: HunkHeader): unknown[] {
  return [hh.id, hh.kind, hh.oldStart, hh.oldLines, hh.newStart, hh.newLines, hh.conflict];
}

/** Whether `b` shows the same hunks as `a`, labels and badges aside. */
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
    JSON.stringify(a.hunks.map(shape)) === JSON.stringify(b.hunks.map(shape))
  );
}

/** Whether `a` and `b` label and badge their hunks alike. */
function sameLabels(a: Change, b: Change): boolean {
  const marks = (c: Change) => JSON.stringify(c.hunks.map((hh) => [hh.label, hh.badges]));
  return marks(a) === marks(b);
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
  private readonly heading: FileHeader;

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
  private readonly windows: HunkWindows;
  private readonly heights = new Map<string, number>();
  private offsets: Float64Array | null = null;
  private readonly rendered = new Map<number, ItemView>();
  private readonly gaps = new Map<string, GapState>();
  private readonly selections = new Map<string, Selection>();
  private readonly pins = new Set<string>();
  private range: [number, number] = [0, 0];
  private current: number | null = null;
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
    this.heading = new FileHeader(this.ctx, () => this.change, {
      toggle: () => this.toggleByUser(),
      busy: (on) => this.el.classList.toggle('busy', on),
    });
    this.header = this.heading.el;
    this.windows = new HunkWindows({
      fetch: (from, count) => this.fetch(from, count),
      drawn: () => [Math.max(0, this.range[0] - this.special.length), Math.max(0, this.range[1] - this.special.length)],
      arrived: (total) => this.arrived(total),
    });
    this.body.append(this.heading.heldNote, this.status, this.topSpacer, this.itemsEl, this.bottomSpacer);
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
    const sameMarks = sameLabels(this.change, change);
    this.change = change;
    // Badges may come after the first sight of a change (a lockfile, say).
    if (!this.userSet && collapsedByDefault(change.badges) !== this.collapsed) this.setCollapsed(!this.collapsed);
    this.renderHeader();
    if (changed) {
      this.setHunks(change);
      this.refetch();
    } else if (!sameMarks) {
      this.setHunks(change);
      this.relabel();
    }
  }

  /**
   * Labels and badges came for hunks already shown (`changeEnriched`): they
   * are patched into the windows held and the hunks drawn, nothing is asked
   * for again.
   */
  private relabel(): void {
    const byId = new Map(this.change.hunks.map((hh) => [hh.id, hh]));
    this.windows.relabel(byId);
    for (const v of this.rendered.values()) {
      const hh = v instanceof HunkView ? byId.get(v.key) : undefined;
      if (v instanceof HunkView && hh) v.relabel(hh);
    }
  }

  /** The diff may have moved: ask again, showing what we have meanwhile. */
  refetch(): void {
    this.windows.stale();
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
    this.heading.setCollapsed(on);
    if (on) this.clearRendered();
    this.host.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.windows.dispose();
    this.clearRendered();
    this.resizes.disconnect();
    this.el.remove();
  }

  /** Asks for the first window now, before the first layout pass needs it. */
  prefetch(): void {
    if (!this.collapsed && this.lineHeaders.length > 0) this.windows.ensure(0, Math.min(this.total, WINDOW));
  }

  /** Whether a window of the current diff is on its way from the engine. */
  loading(): boolean {
    return this.windows.loading();
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
    const j = this.windows.indexOf(id);
    if (j >= 0) return this.special.length + j;
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
    let [i0, i1] = itemsBetween(off, n, a, b);
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
      this.windows.ensure(Math.max(0, i0 - s), i1 - s);
      if (!this.loading() && !first) this.windows.ensure(i1 - s, Math.min(this.total, i1 - s + 10));
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

  private renderHeader(): void {
    const c = this.change;
    this.el.dataset['path'] = c.path;
    this.el.dataset['changeId'] = c.id;
    this.el.dataset['state'] = c.state;
    this.el.classList.toggle('held', c.state === 'held');
    this.heading.render(this.lineHeaders.length);
  }

  private renderStatus(): void {
    let text: string | null = null;
    if (this.windows.failed()) text = 'This diff could not be loaded; it is asked for again when the change moves.';
    else if (this.itemCount() === 0 && this.totalKnown) {
      text = this.ws && this.lineHeaders.length > 0 ? 'Only white-space changes (hidden by the white-space filter).' : 'No textual difference.';
    }
    this.status.hidden = text === null;
    if (text !== null && this.status.textContent !== text) this.status.textContent = text;
  }

  private dataAt(j: number): HunkDiff | null {
    return this.windows.at(j);
  }

  private keyAt(i: number): string {
    return this.hunkIdAt(i) ?? `#${i}`;
  }

  private estimate(i: number): number {
    if (i < this.special.length) return SPECIAL_H;
    const j = i - this.special.length;
    const d = this.dataAt(j);
    if (d) return loadedHeight(d, j === 0, this.view);
    return unloadedHeight(this.ws ? undefined : this.lineHeaders[j], this.view);
  }

  private getOffsets(): Float64Array {
    const n = this.itemCount();
    if (this.offsets && this.offsets.length === n + 1) return this.offsets;
    const off = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) off[i + 1] = (off[i] ?? 0) + (this.heights.get(this.keyAt(i)) ?? this.estimate(i));
    this.offsets = off;
    return off;
  }

  /** Line hunks [from, from + count) as the engine has them now. */
  private async fetch(from: number, count: number): Promise<{ hunks: HunkDiff[]; total: number } | null> {
    const res = await this.ctx.call(
      this.ws
        ? { op: 'getDiff', change: this.change.id, from, count, ignoreWhitespace: true }
        : { op: 'getDiff', change: this.change.id, from, count },
      { quiet: ['notFound', 'badRequest'] },
    );
    if (res?.type !== 'diff') return null;
    // Labels that came while this window was on its way are the newer.
    const byId = new Map(this.change.hunks.map((hh) => [hh.id, hh]));
    for (const hd of res.hunks) patchLabels(hd, byId);
    return res;
  }

  /** A window came (`total`: the line hunks in all), or could not be loaded (null). */
  private arrived(total: number | null): void {
    if (total !== null) {
      this.total = total;
      this.totalKnown = true;
      this.offsets = null;
    }
    this.host.schedule();
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
