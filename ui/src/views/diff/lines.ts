// Diff lines as table rows, unified or side by side. Rows carry what line
// selection needs: which of the hunk's removed or added lines they show.

import type { DiffLine } from '../../ipc/bindings';
import type { ViewMode } from '../../prefs';
import { h } from '../../lib/dom';
import { markWords } from '../../lib/words';

/** A changed line's place among its hunk's removed or added lines. */
export interface LineRef {
  side: 'removed' | 'added';
  /** 0-based index among the hunk's removed (or added) lines. */
  index: number;
}

export interface RowOptions {
  /** Checkboxes on changed lines (false for context-only tables, held or conflict hunks). */
  selectable: boolean;
  /** Which lines are selected. */
  isSelected(ref: LineRef): boolean;
  /** Describes a line for the checkbox label. */
  where: string;
}

const MARKER: Record<DiffLine['kind'], string> = { added: '+', removed: '−', context: ' ' };

function codeCell(line: DiffLine, cls: string): HTMLTableCellElement {
  const td = h('td', { class: cls });
  // Syntect's HTML: the text is escaped and tokens are <span class="sy-…">.
  if (line.html) {
    td.innerHTML = line.html;
    if (line.words.length > 0) markWords(td, line.text, line.words);
  } else {
    td.textContent = '\u200b';
  }
  return td;
}

function selectCell(ref: LineRef | null, line: DiffLine | null, opts: RowOptions, cls: string): HTMLTableCellElement {
  const td = h('td', { class: cls });
  if (ref && line && opts.selectable) {
    const no = ref.side === 'removed' ? line.oldNo : line.newNo;
    td.append(
      h('input', {
        type: 'checkbox',
        class: 'line-check',
        'data-testid': 'line-select',
        'data-side': ref.side,
        'data-index': ref.index,
        checked: opts.isSelected(ref),
        'aria-label': `Select ${ref.side} line ${no ?? ''} ${opts.where}`,
        title: 'Select this line for “Approve selected lines” (shift-click for a range)',
      }),
    );
  }
  return td;
}

/** Numbers each changed line among the removed or added lines of its hunk. */
export function refsOf(lines: readonly DiffLine[]): (LineRef | null)[] {
  let removed = 0;
  let added = 0;
  return lines.map((l) =>
    l.kind === 'removed' ? { side: 'removed', index: removed++ } : l.kind === 'added' ? { side: 'added', index: added++ } : null,
  );
}

function unifiedRow(line: DiffLine, ref: LineRef | null, opts: RowOptions): HTMLTableRowElement {
  return h(
    'tr',
    { class: `line line-${line.kind}` },
    selectCell(ref, line, opts, 'sel'),
    h('td', { class: 'ln ln-old', 'data-ln': line.oldNo ?? '' }),
    h('td', { class: 'ln ln-new', 'data-ln': line.newNo ?? '' }),
    h('td', { class: 'marker', 'aria-hidden': 'true', text: MARKER[line.kind] }),
    codeCell(line, 'code'),
  );
}

function half(line: DiffLine | null, ref: LineRef | null, opts: RowOptions, side: 'old' | 'new'): HTMLTableCellElement[] {
  if (!line) {
    return [
      h('td', { class: `ln ln-${side} blank` }),
      h('td', { class: `sel sel-${side} blank` }),
      h('td', { class: `marker marker-${side} blank`, 'aria-hidden': 'true' }),
      h('td', { class: `code code-${side} blank` }),
    ];
  }
  const k = line.kind;
  return [
    h('td', { class: `ln ln-${side} k-${k}`, 'data-ln': (side === 'old' ? line.oldNo : line.newNo) ?? '' }),
    selectCell(ref, line, opts, `sel sel-${side} k-${k}`),
    h('td', { class: `marker marker-${side} k-${k}`, 'aria-hidden': 'true', text: MARKER[k] }),
    codeCell(line, `code code-${side} k-${k}`),
  ];
}

function splitRows(lines: readonly DiffLine[], refs: readonly (LineRef | null)[], opts: RowOptions): HTMLTableRowElement[] {
  const rows: HTMLTableRowElement[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as DiffLine;
    if (line.kind === 'context') {
      rows.push(h('tr', { class: 'line line-context' }, ...half(line, null, opts, 'old'), ...half(line, null, opts, 'new')));
      i++;
      continue;
    }
    // A run of removed lines and the added lines after it, paired side by side.
    const removed: number[] = [];
    const added: number[] = [];
    while (i < lines.length && lines[i]?.kind === 'removed') removed.push(i++);
    while (i < lines.length && lines[i]?.kind === 'added') added.push(i++);
    const n = Math.max(removed.length, added.length);
    for (let k = 0; k < n; k++) {
      const r = removed[k];
      const a = added[k];
      const left = r === undefined ? null : (lines[r] ?? null);
      const right = a === undefined ? null : (lines[a] ?? null);
      const cls = left && right ? 'line-changed' : left ? 'line-removed' : 'line-added';
      rows.push(
        h(
          'tr',
          { class: `line ${cls}` },
          ...half(left, r === undefined ? null : (refs[r] ?? null), opts, 'old'),
          ...half(right, a === undefined ? null : (refs[a] ?? null), opts, 'new'),
        ),
      );
    }
  }
  return rows;
}

/** A table of `lines` in the given view. */
export function linesTable(lines: readonly DiffLine[], view: ViewMode, opts: RowOptions, cls = ''): HTMLTableElement {
  const refs = refsOf(lines);
  const rows = view === 'split' ? splitRows(lines, refs, opts) : lines.map((l, i) => unifiedRow(l, refs[i] ?? null, opts));
  const cols =
    view === 'split'
      ? ['ln', 'sel', 'marker', 'code', 'ln', 'sel', 'marker', 'code']
      : ['sel', 'ln', 'ln', 'marker', 'code'];
  return h(
    'table',
    { class: `lines lines-${view}${cls ? ` ${cls}` : ''}` },
    h('colgroup', {}, ...cols.map((c) => h('col', { class: `col-${c}` }))),
    h('tbody', {}, ...rows),
  );
}

/** How many table rows `lines` take in `view` (for height estimates). */
export function rowCount(oldLines: number, newLines: number, context: number, view: ViewMode): number {
  return context + (view === 'split' ? Math.max(oldLines, newLines) : oldLines + newLines);
}
