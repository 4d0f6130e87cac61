// The review pane: one block per pending change with its unified diff, and
// approve / reject per file and per hunk.

import type { Ctx, Decision } from '../context';
import type { Change, ChangeDiff, DiffLine, HunkDiff, HunkHeader } from '../ipc/bindings';
import { h, icon, ICONS, replaceChildren } from '../lib/dom';
import { askReason } from './reason';

const DIFF_DEBOUNCE_MS = 120;

function hunkRange(hh: HunkHeader): string {
  return `@@ -${hh.oldStart},${hh.oldLines} +${hh.newStart},${hh.newLines} @@`;
}

function formatSize(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function sameHunks(a: Change, b: Change): boolean {
  return (
    a.hunks.length === b.hunks.length &&
    a.hunks.every((x, i) => {
      const y = b.hunks[i];
      return y !== undefined && x.id === y.id && x.oldStart === y.oldStart && x.newStart === y.newStart;
    }) &&
    a.additions === b.additions &&
    a.deletions === b.deletions &&
    a.binary === b.binary &&
    a.kind === b.kind
  );
}

/** Approve / reject buttons for a file or a hunk; reject opens the reason prompt. */
function decisionButtons(
  ctx: Ctx,
  scope: 'file' | 'hunk',
  what: string,
  ids: () => string[],
  busy: (on: boolean) => void,
): HTMLElement {
  const row = h('div', { class: `decide decide-${scope}` });
  const wrap = h('div', { class: 'decide-wrap' }, row);
  const run = async (decision: Decision, reason?: string) => {
    busy(true);
    const ok = await ctx.decide(decision, ids(), reason);
    // On success the block goes away with the engine's event; should it stay
    // (a conflict is held, say), it must not stay frozen.
    if (ok) setTimeout(() => busy(false), 4000);
    else busy(false);
  };
  row.append(
    h(
      'button',
      {
        class: 'btn btn-sm btn-reject',
        type: 'button',
        'data-testid': `${scope}-reject`,
        'aria-label': `Reject ${scope} ${what}`,
        title: scope === 'hunk' ? 'Reject this hunk: it is reverted in the stage' : 'Reject every hunk of this file',
        onclick: async () => {
          const reason = await askReason(wrap, row, `${scope} ${what}`);
          if (reason !== null) await run('reject', reason || undefined);
        },
      },
      icon(ICONS.x),
      h('span', { class: 'label', text: scope === 'hunk' ? 'Reject' : 'Reject file' }),
    ),
    h(
      'button',
      {
        class: 'btn btn-sm btn-approve',
        type: 'button',
        'data-testid': `${scope}-approve`,
        'aria-label': `Approve ${scope} ${what}`,
        title: scope === 'hunk' ? 'Approve this hunk: it lands in the project' : 'Approve every hunk of this file',
        onclick: () => void run('approve'),
      },
      icon(ICONS.check),
      h('span', { class: 'label', text: scope === 'hunk' ? 'Approve' : 'Approve file' }),
    ),
  );
  return wrap;
}

function lineRow(line: DiffLine): HTMLTableRowElement {
  const code = h('td', { class: 'code' });
  // Syntect's HTML: the text is escaped and tokens are <span class="sy-…">.
  code.innerHTML = line.html || '&#8203;';
  const marker = line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' ';
  return h(
    'tr',
    { class: `line line-${line.kind}` },
    h('td', { class: 'ln ln-old', 'data-ln': line.oldNo ?? '' }),
    h('td', { class: 'ln ln-new', 'data-ln': line.newNo ?? '' }),
    h('td', { class: 'marker', 'aria-hidden': 'true', text: marker }),
    code,
  );
}

class HunkView {
  readonly el: HTMLElement;

  constructor(ctx: Ctx, change: Change, readonly hunk: HunkDiff) {
    const hh = hunk.header;
    const where = `at line ${hh.newStart || hh.oldStart} of ${change.path}`;
    const table = h('table', { class: 'lines' }, h('tbody', {}, ...hunk.lines.map(lineRow)));
    this.el = h(
      'section',
      { class: 'hunk', 'data-testid': 'hunk', 'data-hunk-id': hh.id, 'aria-label': `Hunk ${where}` },
      h(
        'div',
        { class: 'hunk-header' },
        h('code', { class: 'hunk-range', text: hunkRange(hh) }),
        h('span', { class: 'spacer' }),
        decisionButtons(ctx, 'hunk', where, () => [hh.id], (on) => this.el.classList.toggle('busy', on)),
      ),
      h('div', { class: 'lines-scroll' }, table),
    );
  }
}

class FileView {
  readonly el: HTMLElement;
  private readonly header: HTMLElement;
  private readonly body = h('div', { class: 'file-body' });
  private readonly meta = h('span', { class: 'file-meta' });
  private hunks = new Map<string, HunkView>();
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private collapsed = false;
  private loaded = false;

  constructor(
    private readonly ctx: Ctx,
    public change: Change,
  ) {
    this.header = h('header', { class: 'file-header' });
    this.el = h('article', { class: 'file', 'data-testid': 'change-file' }, this.header, this.body);
    this.buildHeader();
    this.renderHeader();
    this.body.append(h('div', { class: 'file-loading', text: 'Loading diff…' }));
    this.fetch();
  }

  update(change: Change): void {
    const changed = !sameHunks(this.change, change);
    this.change = change;
    this.renderHeader();
    if (changed || !this.loaded) this.schedule();
  }

  /** Re-fetches the diff soon; a burst of updates costs one fetch. */
  schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fetch();
    }, DIFF_DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.seq++;
    this.el.remove();
  }

  private async fetch(): Promise<void> {
    const seq = ++this.seq;
    const res = await this.ctx.call({ op: 'getDiff', change: this.change.id }, { quiet: ['notFound'] });
    if (seq !== this.seq || !this.el.isConnected || res?.type !== 'diff') return;
    this.loaded = true;
    this.renderBody(res);
  }

  private buildHeader(): void {
    const toggle = h(
      'button',
      {
        class: 'icon-button chevron',
        type: 'button',
        'aria-expanded': 'true',
        'aria-label': `Collapse ${this.change.path}`,
        onclick: () => {
          this.collapsed = !this.collapsed;
          this.el.classList.toggle('collapsed', this.collapsed);
          toggle.setAttribute('aria-expanded', String(!this.collapsed));
          toggle.setAttribute('aria-label', `${this.collapsed ? 'Expand' : 'Collapse'} ${this.change.path}`);
        },
      },
      icon(ICONS.chevron),
    );
    const path = this.change.path;
    const slash = path.lastIndexOf('/');
    const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
    this.header.replaceChildren(
      toggle,
      h('span', { class: 'file-path', title: path }, dir ? h('span', { class: 'dir', text: dir }) : null, h('span', { class: 'base', text: path.slice(slash + 1) })),
      this.meta,
      h('span', { class: 'spacer' }),
      decisionButtons(this.ctx, 'file', path, () => [this.change.id], (on) => this.el.classList.toggle('busy', on)),
    );
  }

  /** Redraws what may change while the block is shown; the buttons stay, so an open prompt survives. */
  private renderHeader(): void {
    const c = this.change;
    this.el.dataset['path'] = c.path;
    this.el.dataset['changeId'] = c.id;
    const session = this.ctx.store.sessions.get(c.session);
    const showSession = this.ctx.store.sessions.size > 1 && session;
    replaceChildren(
      this.meta,
      h('span', { class: `badge kind kind-${c.kind}`, text: c.kind }),
      c.binary ? h('span', { class: 'badge badge-muted', text: 'binary' }) : null,
      c.oldMode !== null && c.newMode !== null && c.oldMode !== c.newMode
        ? h('span', { class: 'badge badge-muted', text: `mode ${(c.oldMode & 0o777).toString(8)} → ${(c.newMode & 0o777).toString(8)}` })
        : null,
      c.binary
        ? null
        : h(
            'span',
            { class: 'stat', 'aria-label': `${c.additions} additions, ${c.deletions} deletions` },
            h('span', { class: c.additions ? 'add' : 'add zero', text: `+${c.additions}` }),
            h('span', { class: c.deletions ? 'del' : 'del zero', text: `−${c.deletions}` }),
          ),
      showSession ? h('span', { class: 'badge badge-session', title: 'Proposed by this session', text: session.name }) : null,
    );
  }

  private renderBody(diff: ChangeDiff): void {
    const c = diff.change;
    if (c.binary || diff.hunks.length === 0) {
      this.hunks.clear();
      this.body.replaceChildren(
        h(
          'div',
          { class: 'file-notice' },
          h('p', { text: c.notice ?? (c.binary ? 'Binary file' : 'No textual difference') }),
          h(
            'p',
            { class: 'sizes' },
            h('span', { text: `Project: ${formatSize(c.oldSize)}` }),
            h('span', { text: '→' }),
            h('span', { text: `Proposed: ${formatSize(c.newSize)}` }),
          ),
        ),
      );
      return;
    }
    // Keep the hunks whose id and place did not change, so an open reason prompt survives a re-diff.
    const next = new Map<string, HunkView>();
    const nodes: Node[] = [];
    if (c.notice) nodes.push(h('div', { class: 'file-notice inline', text: c.notice }));
    for (const hd of diff.hunks) {
      const old = this.hunks.get(hd.header.id);
      const keep =
        old &&
        old.hunk.header.oldStart === hd.header.oldStart &&
        old.hunk.header.newStart === hd.header.newStart &&
        old.hunk.lines.length === hd.lines.length;
      const view = keep ? old : new HunkView(this.ctx, c, hd);
      next.set(hd.header.id, view);
      nodes.push(view.el);
    }
    this.hunks = next;
    this.body.replaceChildren(...nodes);
  }
}

export class ReviewView {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'review-list' });
  private readonly summary = h('span', { class: 'pane-summary' });
  private readonly empty = h(
    'div',
    { class: 'empty empty-review' },
    icon(ICONS.check),
    h('p', { text: 'No pending changes' }),
    h('p', { class: 'hint', text: 'When an agent writes a file, its diff shows up here for you to approve or reject.' }),
  );
  private readonly files = new Map<string, FileView>();

  constructor(private readonly ctx: Ctx) {
    this.el = h(
      'section',
      { class: 'review-pane', 'aria-label': 'Pending changes' },
      h(
        'div',
        { class: 'pane-header' },
        h('div', { class: 'pane-title' }, icon(ICONS.file), h('span', { text: 'Changes' })),
        this.summary,
        h('span', { class: 'pane-hint', title: 'Keyboard shortcuts' }, h('kbd', { text: '?' }), ' keys'),
      ),
      this.list,
    );
    ctx.store.on('changes', () => this.render());
    ctx.store.on('sessions', () => {
      for (const f of this.files.values()) f.update(f.change);
    });
    this.render();
  }

  /** A `changeProposed` for a change already shown: its diff may have moved. */
  refetch(id: string): void {
    this.files.get(id)?.schedule();
  }

  private render(): void {
    const changes = this.ctx.store.changeList();
    for (const [id, f] of this.files) {
      if (!this.ctx.store.changes.has(id)) {
        f.dispose();
        this.files.delete(id);
      }
    }
    const nodes: Node[] = [];
    for (const c of changes) {
      let f = this.files.get(c.id);
      if (f) f.update(c);
      else this.files.set(c.id, (f = new FileView(this.ctx, c)));
      nodes.push(f.el);
    }
    // Reorder without re-creating: appendChild moves an existing node.
    if (nodes.length === 0) {
      this.list.replaceChildren(this.empty);
    } else {
      this.empty.remove();
      nodes.forEach((n, i) => {
        if (this.list.children[i] !== n) this.list.insertBefore(n, this.list.children[i] ?? null);
      });
    }
    const hunks = this.ctx.store.pendingHunks();
    const files = changes.length;
    this.summary.textContent = files === 0 ? '' : `${files} ${files === 1 ? 'file' : 'files'} · ${hunks} ${hunks === 1 ? 'hunk' : 'hunks'}`;
  }
}
