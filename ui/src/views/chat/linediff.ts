// A small line diff for a tool call's proposed edit: enough to show what an
// agent means to change in the chat (the review pane has the real one).

export interface DiffRow {
  kind: 'context' | 'added' | 'removed' | 'skip';
  text: string;
}

/** Beyond this many cells the middle is shown as all removed, then all added. */
const MAX_CELLS = 250_000;

function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** The rows of `oldText` → `newText` (no old text: a new file), with `context` lines around each change. */
export function lineDiff(oldText: string | null | undefined, newText: string, context = 2): DiffRow[] {
  const a = lines(oldText ?? '');
  const b = lines(newText);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const rows: DiffRow[] = [];
  for (let i = 0; i < start; i++) rows.push({ kind: 'context', text: a[i] ?? '' });
  rows.push(...middle(a.slice(start, endA), b.slice(start, endB)));
  for (let i = endA; i < a.length; i++) rows.push({ kind: 'context', text: a[i] ?? '' });
  return trimContext(rows, context);
}

/** The changed middle, by longest common subsequence. */
function middle(a: string[], b: string[]): DiffRow[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_CELLS) {
    return [...a.map((text): DiffRow => ({ kind: 'removed', text })), ...b.map((text): DiffRow => ({ kind: 'added', text }))];
  }
  // lcs[i][j]: the common subsequence's length of a[i..] and b[j..], row by row.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] = a[i] === b[j] ? (lcs[at(i + 1, j + 1)] ?? 0) + 1 : Math.max(lcs[at(i + 1, j)] ?? 0, lcs[at(i, j + 1)] ?? 0);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      rows.push({ kind: 'context', text: a[i] ?? '' });
      i++;
      j++;
    } else if ((lcs[at(i + 1, j)] ?? 0) >= (lcs[at(i, j + 1)] ?? 0)) {
      rows.push({ kind: 'removed', text: a[i++] ?? '' });
    } else {
      rows.push({ kind: 'added', text: b[j++] ?? '' });
    }
  }
  while (i < n) rows.push({ kind: 'removed', text: a[i++] ?? '' });
  while (j < m) rows.push({ kind: 'added', text: b[j++] ?? '' });
  return rows;
}

/** Keeps `context` lines around changes; longer runs of unchanged lines become one `skip` row. */
function trimContext(rows: DiffRow[], context: number): DiffRow[] {
  const near = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    if (r.kind === 'context') return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) near[k] = 1;
  });
  const out: DiffRow[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (near[i]) {
      if (skipped) out.push({ kind: 'skip', text: `${skipped} unchanged ${skipped === 1 ? 'line' : 'lines'}` });
      skipped = 0;
      out.push(r);
    } else skipped++;
  });
  if (skipped && out.length) out.push({ kind: 'skip', text: `${skipped} unchanged ${skipped === 1 ? 'line' : 'lines'}` });
  return out;
}
