// A file's line hunks as the engine sends them: in windows of WINDOW hunks
// (`getDiff` from/count), asked for as they near the viewport, the least
// recently used dropped past MAX_WINDOWS. When the diff may have moved the
// windows held are shown until the new ones come; answers for a diff that
// moved since they were asked for are dropped.

import { FIRST_WINDOW_HUNKS, type HunkDiff, type HunkHeader } from '../../ipc/bindings';

/**
 * Line hunks per `getDiff` request: about a viewport's worth. The engine
 * highlights from the top of the file down to the last line asked for, so the
 * first window's size is what a large change costs before its first paint.
 */
// The engine highlights this many ahead of the first ask: the same constant.
export const WINDOW = FIRST_WINDOW_HUNKS;
/** Windows kept in memory (~400 hunks); the rest are asked for again when needed. */
const MAX_WINDOWS = 32;

interface Win {
  hunks: HunkDiff[];
  stale: boolean;
  used: number;
}

/** What the windows need of their file. */
export interface WindowSource {
  /** Asks the engine for the line hunks [from, from + count) and how many there are in all; null when it could not answer. */
  fetch(from: number, count: number): Promise<{ hunks: HunkDiff[]; total: number } | null>;
  /** The line hunks drawn now, [from, to): their windows are kept. */
  drawn(): [number, number];
  /** A window of the current diff came (`total`: how many line hunks there are), or could not be loaded (null). */
  arrived(total: number | null): void;
}

export class HunkWindows {
  private readonly windows = new Map<number, Win>();
  /** Windows asked for, with the generation they were asked for. */
  private readonly inflight = new Map<number, number>();
  private uses = 0;
  /** One more each time the diff may have moved. */
  private gen = 0;
  /** The last answer for the current diff was a failure. */
  private lastFailed = false;
  /** The generation a window could not be loaded for: none is asked for again until the diff moves. */
  private failedGen = -1;
  private disposed = false;

  constructor(private readonly source: WindowSource) {}

  /** Line hunk `j`, when its window is here. */
  at(j: number): HunkDiff | null {
    const win = this.windows.get(Math.floor(j / WINDOW));
    return win?.hunks[j % WINDOW] ?? null;
  }

  /** The index of the line hunk `id` among the current windows, or -1. */
  indexOf(id: string): number {
    for (const [w, win] of this.windows) {
      if (win.stale) continue;
      const k = win.hunks.findIndex((x) => x.header.id === id);
      if (k >= 0) return w * WINDOW + k;
    }
    return -1;
  }

  /** Whether a window of the current diff is on its way from the engine. */
  loading(): boolean {
    return [...this.inflight.values()].includes(this.gen);
  }

  /** Whether the current diff could not be loaded. */
  failed(): boolean {
    return this.lastFailed && this.failedGen === this.gen;
  }

  /** The diff may have moved: ask again, showing what we have meanwhile. */
  stale(): void {
    this.gen++;
    for (const w of this.windows.values()) w.stale = true;
  }

  /** Labels and badges came for hunks held here: patched in place. */
  relabel(byId: ReadonlyMap<string, HunkHeader>): void {
    for (const win of this.windows.values()) for (const hd of win.hunks) patchLabels(hd, byId);
  }

  /** What is held is of another diff (white space hidden or shown): dropped. */
  clear(): void {
    this.gen++;
    this.windows.clear();
  }

  dispose(): void {
    this.disposed = true;
  }

  /** Asks for the windows of line hunks [j0, j1) that are not here or on their way. */
  ensure(j0: number, j1: number): void {
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
    const res = await this.source.fetch(w * WINDOW, WINDOW);
    if (this.inflight.get(w) === gen) this.inflight.delete(w);
    if (gen !== this.gen || this.disposed) return;
    if (!res) {
      // Gone meanwhile (its event follows), or the engine said why in a banner.
      // Not asked again until the change moves.
      this.lastFailed = true;
      this.failedGen = gen;
      this.source.arrived(null);
      return;
    }
    this.lastFailed = false;
    this.windows.set(w, { hunks: res.hunks, stale: false, used: ++this.uses });
    if (!this.loading()) {
      for (const [k, win] of this.windows) if (win.stale) this.windows.delete(k);
    }
    this.evict();
    this.source.arrived(res.total);
  }

  /** Keeps at most MAX_WINDOWS windows, dropping the least recently used outside the drawn range. */
  private evict(): void {
    if (this.windows.size <= MAX_WINDOWS) return;
    const [from, to] = this.source.drawn();
    const lo = Math.floor(from / WINDOW);
    const hi = Math.floor(to / WINDOW);
    const victims = [...this.windows.entries()].filter(([w]) => w < lo || w > hi).sort((x, y) => x[1].used - y[1].used);
    for (const [w] of victims) {
      if (this.windows.size <= MAX_WINDOWS) break;
      this.windows.delete(w);
    }
  }
}

/** Gives hunk `hd` the label and badges its header has in `byId`, when there. */
export function patchLabels(hd: HunkDiff, byId: ReadonlyMap<string, HunkHeader>): void {
  const hh = byId.get(hd.header.id);
  if (!hh) return;
  hd.header.label = hh.label;
  hd.header.badges = hh.badges;
}
