// The unchanged project lines between shown hunks: where a gap starts and ends
// (from the hunks around it), the lines expanded into it so far, and its
// expand controls.

import type { DiffLine, HunkDiff, HunkHeader } from '../../ipc/bindings';
import { h, icon, ICONS } from '../../lib/dom';
import type { ViewMode } from '../../prefs';
import { linesTable } from './lines';

/** Unchanged project lines between two shown hunks (or before the first, after the last). */
export interface GapState {
  /** First project line of the gap, 1-based. */
  start: number;
  /** Last project line, or null when the gap runs to the end of a file of unknown length. */
  end: number | null;
  /** Lines shown at the top of the gap (expanded down from the hunk above). */
  top: DiffLine[];
  /** Lines shown at the bottom of the gap (expanded up from the hunk below). */
  bottom: DiffLine[];
  /** The end of the file was reached. */
  ended: boolean;
  loading: boolean;
}

export type ExpandDirection = 'up' | 'down' | 'all';

/** Lines one click on "expand up/down" reveals. */
export const EXPAND_STEP = 20;
/** The most lines "expand all" reveals at once. */
export const EXPAND_MAX = 1000;
/** Unchanged lines the engine shows around each change. */
export const CONTEXT = 3;

export function gapRemaining(g: GapState): number {
  if (g.ended) return 0;
  if (g.end === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, g.end - g.bottom.length - (g.start + g.top.length) + 1);
}

// ---- where a gap is ----

/** 0-based [start, end) of the project lines a line hunk replaces. */
function before(hh: HunkHeader): [number, number] {
  const start = hh.oldLines > 0 ? hh.oldStart - 1 : hh.oldStart;
  return [start, start + hh.oldLines];
}

function oldExtent(lines: readonly DiffLine[]): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const l of lines) {
    if (l.oldNo === null) continue;
    if (l.oldNo < lo) lo = l.oldNo;
    if (l.oldNo > hi) hi = l.oldNo;
  }
  return hi === 0 ? null : [lo, hi];
}

function trailingContext(lines: readonly DiffLine[]): number {
  let n = 0;
  for (let i = lines.length - 1; i >= 0 && lines[i]?.kind === 'context'; i--) n++;
  return n;
}

/**
 * The gap above line hunk `d`, the `j`th: from the file's start, or the end of
 * the hunk before it (`prev` when it is loaded, else `headerBefore()`), to the
 * line above `d`. Null when there are no lines between.
 */
export function gapAbove(d: HunkDiff, j: number, prev: HunkDiff | null, headerBefore: () => HunkHeader | undefined): GapState | null {
  const mine = oldExtent(d.lines);
  const end = mine ? mine[0] - 1 : before(d.header)[0];
  let start = 1;
  const prevExtent = prev ? oldExtent(prev.lines) : null;
  if (prev && prevExtent) start = prevExtent[1] + 1;
  else if (prev) start = before(prev.header)[1] + 1;
  else if (j > 0) {
    const p = headerBefore();
    if (!p) return null;
    start = Math.min(before(p)[1] + CONTEXT, before(d.header)[0]) + 1;
  }
  if (end < start) return null;
  return { start, end, top: [], bottom: [], ended: false, loading: false };
}

/** The gap below the last line hunk `d`, to the file's end; null when the file ends with its context. */
export function gapBelow(d: HunkDiff): GapState | null {
  // Fewer context lines than usual after the change: the file ends there.
  if (trailingContext(d.lines) < CONTEXT) return null;
  const ext = oldExtent(d.lines);
  return { start: (ext ? ext[1] : before(d.header)[1]) + 1, end: null, top: [], bottom: [], ended: false, loading: false };
}

// ---- how a gap is drawn ----

/** A gap above or below a hunk: the lines expanded into it, and the expand controls between them while lines are left. */
export function gapViews(g: GapState, place: 'above' | 'below', view: ViewMode, expand: (g: GapState, dir: ExpandDirection) => void): Node[] {
  const out: Node[] = [];
  const opts = { selectable: false, isSelected: () => false, where: '' };
  if (g.top.length > 0) out.push(h('div', { class: 'lines-scroll' }, linesTable(g.top, view, opts, 'context-lines')));
  const left = gapRemaining(g);
  if (left > 0) out.push(expander(g, left, place, expand));
  if (g.bottom.length > 0) out.push(h('div', { class: 'lines-scroll' }, linesTable(g.bottom, view, opts, 'context-lines')));
  return out;
}

function expander(g: GapState, left: number, place: 'above' | 'below', expand: (g: GapState, dir: ExpandDirection) => void): HTMLElement {
  const from = g.start + g.top.length;
  const to = g.end === null ? null : g.end - g.bottom.length;
  const range = to === null ? `from line ${from}` : from === to ? `line ${from}` : `lines ${from}–${to}`;
  const btn = (dir: ExpandDirection, paths: string, label: string, text: string) =>
    h(
      'button',
      {
        class: 'gap-btn',
        type: 'button',
        'data-testid': 'expand-context',
        'data-direction': dir,
        'aria-label': label,
        title: label,
        disabled: g.loading,
        onclick: () => expand(g, dir),
      },
      icon(paths),
      h('span', { text }),
    );
  const step = Math.min(EXPAND_STEP, left);
  const buttons: HTMLElement[] = [];
  // "Down" continues below the hunk above; "up" climbs from the hunk below.
  if (place === 'above' && g.start > 1) buttons.push(btn('down', ICONS.arrowDown, `Show ${step} more unchanged lines below the hunk above`, 'Expand down'));
  if (place === 'above') buttons.push(btn('up', ICONS.arrowUp, `Show ${step} more unchanged lines above this hunk`, 'Expand up'));
  if (place === 'below') buttons.push(btn('down', ICONS.arrowDown, `Show ${step} more unchanged lines below this hunk`, 'Expand down'));
  if (Number.isFinite(left) && left > step) {
    const all = Math.min(left, EXPAND_MAX);
    buttons.push(
      btn('all', ICONS.unfold, left > EXPAND_MAX ? `Show ${EXPAND_MAX} of ${left} unchanged lines` : `Show all ${left} unchanged lines`, left > EXPAND_MAX ? `Expand ${all}` : 'Expand all'),
    );
  }
  const count = Number.isFinite(left) ? `${left} unchanged ${left === 1 ? 'line' : 'lines'}` : 'More unchanged lines';
  return h(
    'div',
    { class: `gap gap-${place}`, role: 'group', 'aria-label': `${count}, ${range}` },
    h('span', { class: 'gap-buttons' }, ...buttons),
    h('span', { class: 'gap-text', text: Number.isFinite(left) ? `${count} · ${range}` : `${count} ${range}` }),
  );
}
