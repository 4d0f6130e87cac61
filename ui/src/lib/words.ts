// Word-level marks: wraps UTF-16 ranges of a line's text in <mark class="word">
// inside already highlighted HTML, splitting text nodes so the syntax spans
// stay whole.

import type { WordRange } from '../ipc/bindings';

/**
 * Marks `words` inside `el`, whose text content must equal `text` (the ranges
 * count UTF-16 code units of it). Does nothing when they disagree, so a line
 * is never mis-marked.
 */
export function markWords(el: HTMLElement, text: string, words: readonly WordRange[]): void {
  if (words.length === 0 || el.textContent !== text) return;
  const ranges = words.filter((w) => w.end > w.start).sort((a, b) => a.start - b.start);
  if (ranges.length === 0) return;
  // Collect first: splitting nodes while walking would confuse the walker.
  const nodes: Text[] = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  let pos = 0;
  let r = 0;
  for (const node of nodes) {
    const start = pos;
    const end = pos + node.data.length;
    pos = end;
    let cur: Text = node;
    let curStart = start;
    while (r < ranges.length) {
      const range = ranges[r];
      if (!range || range.start >= end) break;
      const from = Math.max(range.start, curStart);
      const to = Math.min(range.end, end);
      if (to > from) {
        // cur holds [curStart, end): cut off what lies before the mark, then the mark.
        const head = from - curStart;
        const marked = head > 0 ? cur.splitText(head) : cur;
        const rest = to - from < marked.data.length ? marked.splitText(to - from) : null;
        const mark = document.createElement('mark');
        mark.className = 'word';
        marked.replaceWith(mark);
        mark.append(marked);
        if (!rest) {
          curStart = end;
          if (range.end <= end) r++;
          break;
        }
        cur = rest;
        curStart = to;
      }
      if (range.end <= end) r++;
      else break;
    }
  }
}
