// The compare view of a task: each attempt's totals (files, lines added and
// removed, test result), then every file any attempt changed with the
// attempts' diffs against the project side by side (tick the columns to see
// one attempt against another). Keep one attempt whole, or tick hunks from
// several: hunks of two attempts over the same lines of a file are marked as
// a conflict and cannot be kept together. After keeping, the user confirms
// removing every attempt's stage (what was not kept is discarded).

import '../styles/attempts.css';
import type { Ctx } from '../context';
import type { AttemptFile, AttemptTotals, Comparison, HunkHeader, TestResult } from '../ipc/bindings';
import { h, icon, ICONS } from '../lib/dom';

/** A ticked hunk: its attempt, file and the base lines it covers (as the engine judges them). */
interface Pick {
  attempt: number;
  path: string;
  id: string;
  from: number;
  to: number;
}

/** The ids of ticked hunks that conflict with a ticked hunk of another attempt. */
export function conflicting(picks: Pick[]): Set<string> {
  const out = new Set<string>();
  for (const [i, a] of picks.entries()) {
    for (const b of picks.slice(i + 1)) {
      if (a.attempt !== b.attempt && a.path === b.path && a.from <= b.to && b.from <= a.to) {
        out.add(a.id);
        out.add(b.id);
      }
    }
  }
  return out;
}

function testText(t: TestResult | undefined, hasTest: boolean): string {
  if (!t) return hasTest ? 'test not run yet' : 'no test';
  if (t.state === 'running') return 'test running';
  return t.state === 'passed' ? 'test passed' : `test failed${t.exitCode !== undefined ? ` (${t.exitCode})` : ''}`;
}

export class CompareView {
  readonly dialog: HTMLDialogElement;
  private readonly body = h('div', { class: 'compare-body' });
  private readonly status = h('p', { class: 'compare-status', 'data-testid': 'compare-status', role: 'status' });
  private readonly keepButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'compare-keep', text: 'Keep ticked hunks', disabled: true });
  private data: Comparison | null = null;
  private readonly ticked = new Map<string, Pick>();
  private shown = new Set<number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly task: string,
  ) {
    this.keepButton.addEventListener('click', () => void this.keep([...this.ticked.keys()]));
    this.dialog = h(
      'dialog',
      { class: 'compare-dialog', 'data-testid': 'compare-view', 'aria-label': 'Compare attempts' },
      h('div', { class: 'help-head' }, h('h2', { class: 'help-title', text: 'Compare attempts' }), h('span', { class: 'spacer' }), this.keepButton, h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Close', onclick: () => this.dialog.close() }, icon(ICONS.x))),
      this.status,
      this.body,
    );
    this.dialog.addEventListener('close', () => this.dialog.remove());
  }

  /** Asks the engine again and draws everything. */
  async refresh(): Promise<void> {
    const res = await this.ctx.attempt({ op: 'compare', task: this.task });
    if (!res.ok) {
      this.say(res.message);
      return;
    }
    this.data = res.value;
    if (this.shown.size === 0) this.shown = new Set(res.value.attempts.map((_, i) => i));
    this.ticked.clear();
    this.draw();
  }

  private say(text: string): void {
    this.status.textContent = text;
    this.status.hidden = text === '';
  }

  private draw(): void {
    const c = this.data;
    if (!c) return;
    this.say(c.files.length === 0 ? 'No attempt has changed anything yet.' : '');
    const cols = `repeat(${this.shown.size}, minmax(0, 1fr))`;
    this.body.replaceChildren(
      h('p', { class: 'compare-task', text: c.task.task }),
      h('div', { class: 'compare-grid compare-totals', style: `grid-template-columns: ${cols}` }, ...c.attempts.flatMap((a, i) => (this.shown.has(i) ? [this.totals(a, i)] : []))),
      this.columnPicker(c),
      ...c.files.map((f) => this.file(f.path, f.attempts, cols)),
    );
    this.markConflicts();
  }

  private totals(a: AttemptTotals, i: number): HTMLElement {
    const test = testText(a.test, this.data?.task.test !== undefined);
    return h(
      'div',
      { class: `compare-attempt${a.test?.state === 'failed' ? ' failed' : ''}`, 'data-testid': 'compare-attempt', 'data-session-id': a.session },
      h('div', { class: 'compare-attempt-name', text: `${i + 1}. ${a.name}` }),
      h('div', { class: 'compare-attempt-totals', 'data-testid': 'compare-totals', text: `${a.files} ${a.files === 1 ? 'file' : 'files'} · +${a.added} −${a.removed}` }),
      h('div', { class: `compare-test test-${a.test?.state ?? 'none'}`, 'data-testid': 'compare-test', text: test }),
      a.test && a.test.output ? h('details', {}, h('summary', { text: 'test output' }), h('pre', { class: 'compare-output', text: a.test.output })) : null,
      h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'compare-keep-whole', disabled: a.files === 0, text: 'Keep this attempt', onclick: () => void this.keepWhole(a.session) }),
    );
  }

  private columnPicker(c: Comparison): HTMLElement {
    return h(
      'div',
      { class: 'compare-columns', role: 'group', 'aria-label': 'Attempts shown' },
      'Show: ',
      ...c.attempts.map((a, i) => {
        const box = h('input', { type: 'checkbox', 'data-testid': 'compare-column', checked: this.shown.has(i) });
        box.addEventListener('change', () => {
          if (box.checked) this.shown.add(i);
          else if (this.shown.size > 1) this.shown.delete(i);
          this.draw();
        });
        return h('label', {}, box, ` ${i + 1}. ${a.name} `);
      }),
    );
  }

  private file(path: string, attempts: AttemptFile[], cols: string): HTMLElement {
    const sessions = this.data?.task.sessions ?? [];
    const columns = sessions.flatMap((s, i) => {
      if (!this.shown.has(i)) return [];
      const a = attempts.find((x) => x.session === s);
      return [a ? this.column(path, a, i) : h('div', { class: 'compare-col unchanged', text: 'unchanged' })];
    });
    return h(
      'section',
      { class: 'compare-file', 'data-testid': 'compare-file', 'data-path': path },
      h('h3', { class: 'compare-path', text: path }),
      h('div', { class: 'compare-grid', style: `grid-template-columns: ${cols}` }, ...columns),
    );
  }

  private column(path: string, a: AttemptFile, attempt: number): HTMLElement {
    const col = h('div', { class: 'compare-col', 'data-testid': 'compare-column-diff', 'data-session-id': a.session }, h('div', { class: 'compare-col-head', text: `+${a.additions} −${a.deletions}` }));
    const hunks = a.hunks.map((hk) => this.hunk(path, hk, attempt));
    col.append(...hunks.map((x) => x.el));
    void this.ctx.attempt({ op: 'getDiff', change: a.change }).then((res) => {
      if (!res.ok) return;
      for (const [i, d] of res.value.hunks.entries()) {
        hunks.find((x) => x.id === d.header.id)?.lines.replaceChildren(...d.lines.map((l) => h('div', { class: `compare-line ${l.kind}`, text: `${l.kind === 'added' ? '+' : l.kind === 'removed' ? '−' : ' '} ${l.text}` })));
        if (i > 200) break;
      }
    });
    return col;
  }

  private hunk(path: string, hk: HunkHeader, attempt: number): { id: string; el: HTMLElement; lines: HTMLElement } {
    const box = h('input', { type: 'checkbox', 'data-testid': 'compare-pick', 'data-hunk': hk.id, 'aria-label': `Keep this hunk of attempt ${attempt + 1}` });
    const lines = h('div', { class: 'compare-lines' });
    const note = h('span', { class: 'compare-conflict-note', text: 'conflicts with another attempt\u2019s ticked hunk' });
    box.addEventListener('change', () => {
      if (box.checked) this.ticked.set(hk.id, { attempt, path, id: hk.id, from: hk.oldStart, to: hk.oldStart + hk.oldLines });
      else this.ticked.delete(hk.id);
      this.markConflicts();
    });
    const el = h('div', { class: 'compare-hunk', 'data-testid': 'compare-hunk', 'data-hunk': hk.id }, h('label', { class: 'compare-hunk-head' }, box, ` lines ${hk.oldStart}–${hk.oldStart + Math.max(hk.oldLines, 1) - 1}`, note), lines);
    return { id: hk.id, el, lines };
  }

  private markConflicts(): void {
    const bad = conflicting([...this.ticked.values()]);
    for (const el of this.body.querySelectorAll<HTMLElement>('[data-testid="compare-hunk"]')) {
      el.classList.toggle('conflict', bad.has(el.dataset['hunk'] ?? ''));
    }
    this.keepButton.disabled = this.ticked.size === 0 || bad.size > 0;
    this.keepButton.title = bad.size > 0 ? 'Ticked hunks conflict: untick one of each pair' : '';
  }

  private async keepWhole(session: string): Promise<void> {
    const ids = (this.data?.files ?? []).flatMap((f) => f.attempts.filter((a) => a.session === session).map((a) => a.change));
    await this.keep(ids);
  }

  private async keep(ids: string[]): Promise<void> {
    const res = await this.ctx.attempt({ op: 'keep', task: this.task, ids });
    if (!res.ok) {
      this.say(res.message);
      return;
    }
    this.confirmFinish(res.value.paths.length);
  }

  /** After keeping: remove every attempt's stage, once the user says so. */
  private confirmFinish(files: number): void {
    const yes = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'compare-finish', text: 'Remove the attempts\u2019 stages' });
    const no = h('button', { class: 'btn', type: 'button', text: 'Not now', onclick: () => void this.refresh() });
    yes.addEventListener('click', () => {
      void this.ctx.attempt({ op: 'finishTask', task: this.task }).then((r) => {
        if (r.ok) this.dialog.close();
        else this.say(r.message);
      });
    });
    this.body.replaceChildren(
      h('div', { class: 'compare-confirm', 'data-testid': 'compare-confirm' }, h('p', { text: `Landed ${files} file${files === 1 ? '' : 's'} in the project. What was not kept is discarded with the attempts\u2019 stages.` }), h('div', { class: 'commit-actions' }, no, yes)),
    );
  }
}
