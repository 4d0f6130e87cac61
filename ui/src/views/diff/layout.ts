// A file's items laid out down its body: the heights guessed for items not yet
// measured (from their line counts), and which items lie between two heights,
// found by binary search over the items' offsets.

import type { HunkDiff, HunkHeader } from '../../ipc/bindings';
import type { ViewMode } from '../../prefs';
import { CONTEXT } from './gap';
import { rowCount } from './lines';

const HEADER_H = 33;
/** A file's own header, for estimates made before any layout. */
export const FILE_HEADER_H = 41;
const ROW_H = 20;
const GAP_H = 29;
/** A special hunk (mode, whole file). */
export const SPECIAL_H = 90;

/** The height of line hunk `d`, guessed from its lines; `first`: the file's first line hunk (no gap above it). */
export function loadedHeight(d: HunkDiff, first: boolean, view: ViewMode): number {
  let removed = 0;
  let added = 0;
  let context = 0;
  for (const l of d.lines) {
    if (l.kind === 'removed') removed++;
    else if (l.kind === 'added') added++;
    else context++;
  }
  return HEADER_H + (first ? 0 : GAP_H) + rowCount(removed, added, context, view) * ROW_H + 1;
}

/** The height of a line hunk not loaded yet, guessed from its header when that is known. */
export function unloadedHeight(hh: HunkHeader | undefined, view: ViewMode): number {
  const rows = hh ? rowCount(hh.oldLines, hh.newLines, 2 * CONTEXT, view) : 10;
  return HEADER_H + GAP_H + rows * ROW_H + 1;
}

/** The items [i0, i1) that reach into [a, b), given the `n` items' offsets (`off[n]` the full height). */
export function itemsBetween(off: Float64Array, n: number, a: number, b: number): [number, number] {
  const full = off[n] ?? 0;
  if (b > 0 && a < full) {
    const i0 = Math.max(0, upper(off, a) - 1);
    return [i0, Math.min(n, Math.max(i0 + 1, lower(off, b)))];
  }
  const i = b <= 0 ? 0 : n;
  return [i, i];
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
