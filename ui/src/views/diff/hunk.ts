// One hunk: its header (range, enclosing symbols, risk badges, decisions),
// the collapsed context above it with expand controls (gap.ts), its lines,
// line selection, review comments and the inline editor. A hunk that is not
// lines is a SpecialHunkView (special.ts).

import type { Ctx } from '../../context';
import type { Change, HunkDiff, HunkHeader } from '../../ipc/bindings';
import { h, icon, ICONS, replaceChildren, type Props } from '../../lib/dom';
import type { ViewMode } from '../../prefs';
import { badgeList } from './badges';
import { decisionButtons, type DecideButtons } from './decide';
import { gapViews, type ExpandDirection, type GapState } from './gap';
import { linesTable, refsOf, type LineRef } from './lines';

export interface Selection {
  removed: Set<number>;
  added: Set<number>;
  /** The last checkbox clicked, for shift-click ranges. */
  last: LineRef | null;
}

/** What a hunk needs from the file that shows it. */
export interface HunkHost {
  readonly ctx: Ctx;
  readonly change: Change;
  readonly view: ViewMode;
  selection(id: string): Selection;
  expand(gap: GapState, dir: ExpandDirection): Promise<void>;
  /** Keeps the hunk rendered while it holds an editor, a prompt or a decision in flight. */
  pin(id: string, on: boolean): void;
}

export interface ItemView {
  readonly el: HTMLElement;
  /** What it shows: a hunk id, or a placeholder's index. */
  readonly key: string;
  /** Whether the view must not be dropped. */
  readonly pinned: boolean;
  dispose?(): void;
}

export function hunkRange(hh: HunkHeader): string {
  return `@@ -${hh.oldStart},${hh.oldLines} +${hh.newStart},${hh.newLines} @@`;
}

function whereOf(change: Change, hh: HunkHeader): string {
  return `at line ${hh.newStart || hh.oldStart} of ${change.path}`;
}

export const CONFLICT_TEXT =
  'This hunk overlaps lines you changed in the project since the agent’s edit — reject it to keep yours, or edit it before approving.';
export const CONFLICT_SHORT = 'Overlaps lines you changed — reject to keep yours, or edit it';

export function heldReason(change: Change): string | null {
  if (change.state !== 'held') return null;
  return `Held: ${change.held ?? 'this change cannot be landed'} — only Reject is possible`;
}

/** A button of a hunk's header: an icon and its label (filled in later when not given). */
function headerButton(props: Props, paths: string, label?: string): HTMLButtonElement {
  return h('button', props, icon(paths), h('span', label === undefined ? { class: 'label' } : { class: 'label', text: label }));
}

export class HunkView implements ItemView {
  readonly el: HTMLElement;
  readonly key: string;
  /** The change's state when drawn: a view of a change that became held is redrawn. */
  readonly state: Change['state'];
  private readonly buttons: DecideButtons;
  private readonly editButton: HTMLButtonElement;
  private readonly linesButton: HTMLButtonElement;
  private readonly commentButton: HTMLButtonElement;
  /** The hunk's saved review comments, and the box for a new one. */
  private readonly commentsEl = h('div', { class: 'hunk-comments', 'data-testid': 'hunk-comments' });
  /** The header's label and badges (`display: contents`: they sit in the header's row). */
  private readonly marks = h('span', { class: 'hunk-marks' });
  private commentForm: { el: HTMLElement; input: HTMLTextAreaElement } | null = null;
  private readonly above = h('div', { class: 'gap-host' });
  private readonly below = h('div', { class: 'gap-host' });
  private readonly scroll = h('div', { class: 'lines-scroll' });
  private readonly editorHost = h('div', { class: 'hunk-editor-host' });
  private editor: { destroy(): void; focus(): void } | null = null;
  private editing = false;
  private prompting = false;
  private busy = false;
  private readonly sel: Selection;
  private readonly selectable: boolean;

  constructor(
    private readonly host: HunkHost,
    readonly hunk: HunkDiff,
    readonly view: ViewMode,
    private readonly gapAbove: GapState | null,
    private readonly gapBelow: GapState | null,
  ) {
    const hh = hunk.header;
    const change = host.change;
    this.key = hh.id;
    this.state = change.state;
    const where = whereOf(change, hh);
    const held = heldReason(change);
    this.sel = host.selection(hh.id);
    this.selectable = held === null && !hh.conflict;
    this.buttons = decisionButtons(host.ctx, {
      scope: 'hunk',
      what: where,
      ids: () => [hh.id],
      busy: (on) => this.setBusy(on),
      prompting: (on) => {
        this.prompting = on;
        this.host.pin(hh.id, this.pinned);
      },
    });
    if (held) this.buttons.block(held);
    else if (hh.conflict) this.buttons.block(CONFLICT_SHORT);
    this.editButton = headerButton(
      {
        class: 'btn btn-sm btn-edit',
        type: 'button',
        'data-testid': 'hunk-edit',
        'aria-label': `Edit hunk ${where} before approving`,
        title: held ?? 'Edit the proposed lines, then approve them (e)',
        disabled: held !== null,
        onclick: () => void this.toggleEditor(),
      },
      ICONS.edit,
      'Edit',
    );
    this.commentButton = headerButton(
      {
        class: 'btn btn-sm btn-comment',
        type: 'button',
        'data-testid': 'hunk-comment',
        'aria-label': `Comment on hunk ${where}`,
        title: 'Write a review comment on this hunk for the agent (c); Send review sends them all',
        onclick: () => this.openComment(),
      },
      ICONS.chat,
      'Comment',
    );
    this.linesButton = headerButton(
      {
        class: 'btn btn-sm btn-approve-lines',
        type: 'button',
        'data-testid': 'approve-lines',
        hidden: true,
        onclick: () => void this.approveSelected(),
      },
      ICONS.check,
    );
    this.el = this.frame(where);
    this.scroll.addEventListener('click', (ev) => this.onCheck(ev));
    this.renderLines();
    this.renderGaps();
    this.renderSelection();
    this.renderComments();
  }

  /** The header's label and badges, given again by {@link relabel}. */
  private renderMarks(): void {
    const hh = this.hunk.header;
    replaceChildren(
      this.marks,
      hh.label ? h('span', { class: 'hunk-label', 'data-testid': 'hunk-label', title: hh.label, text: hh.label }) : null,
      badgeList(hh.badges),
    );
  }

  /** Labels and badges came for this hunk: its header shows them, nothing else is drawn again. */
  relabel(hh: HunkHeader): void {
    if (hh.label === this.hunk.header.label && JSON.stringify(hh.badges) === JSON.stringify(this.hunk.header.badges)) return;
    this.hunk.header.label = hh.label;
    this.hunk.header.badges = hh.badges;
    this.renderMarks();
    this.el.setAttribute('aria-label', this.sectionLabel(whereOf(this.host.change, this.hunk.header)));
  }

  private sectionLabel(where: string): string {
    const hh = this.hunk.header;
    return `Hunk ${where}${hh.label ? ` in ${hh.label}` : ''}${hh.conflict ? ', conflicts with your edits' : ''}`;
  }

  /** The hunk's section: the gaps around it, its header, its lines, the editor and the comments. */
  private frame(where: string): HTMLElement {
    const hh = this.hunk.header;
    this.renderMarks();
    const header = h(
      'div',
      { class: 'hunk-header' },
      h('code', { class: 'hunk-range', text: hunkRange(hh) }),
      this.marks,
      h('span', { class: 'spacer' }),
      this.linesButton,
      this.commentButton,
      this.editButton,
      this.buttons.el,
    );
    return h(
      'section',
      {
        class: `hunk${hh.conflict ? ' conflict' : ''}`,
        'data-testid': 'hunk',
        'data-hunk-id': hh.id,
        'aria-label': this.sectionLabel(where),
        tabindex: -1,
      },
      this.above,
      h(
        'div',
        { class: 'hunk-main' },
        header,
        hh.conflict ? h('p', { class: 'conflict-note', role: 'note' }, icon(ICONS.alert), h('span', { text: CONFLICT_TEXT })) : null,
        this.scroll,
        this.editorHost,
        this.commentsEl,
      ),
      this.below,
    );
  }

  get pinned(): boolean {
    return this.editing || this.prompting || this.busy || this.commentForm !== null;
  }

  // ---- review comments ----

  /** Draws the hunk's comments as the store has them (the engine's `comments` events), and the open box. */
  renderComments(): void {
    const ctx = this.host.ctx;
    const mine = (ctx.store.comments.get(this.host.change.session) ?? []).filter((c) => c.hunk === this.key);
    replaceChildren(
      this.commentsEl,
      ...mine.map((c) =>
        h(
          'div',
          { class: 'hunk-comment', 'data-testid': 'review-comment', 'data-comment-id': c.id },
          icon(ICONS.chat),
          h('span', { class: 'hunk-comment-text', text: c.text }),
          h(
            'button',
            {
              class: 'icon-button hunk-comment-delete',
              type: 'button',
              'data-testid': 'comment-delete',
              'aria-label': `Delete the comment "${c.text.slice(0, 40)}"`,
              title: 'Delete this comment',
              onclick: () => void ctx.call({ op: 'deleteComment', comment: c.id }),
            },
            icon(ICONS.trash),
          ),
        ),
      ),
      this.commentForm?.el ?? null,
    );
  }

  /** Opens the box for a new comment (or focuses it). */
  openComment(): void {
    if (this.commentForm) {
      this.commentForm.input.focus();
      return;
    }
    const input = h('textarea', {
      class: 'hunk-comment-input',
      'data-testid': 'comment-input',
      'aria-label': `Comment on hunk ${whereOf(this.host.change, this.hunk.header)}`,
      placeholder: 'What should the agent change here? (Ctrl+Enter saves, Esc cancels)',
      rows: 3,
    });
    const save = h('button', { class: 'btn btn-sm btn-primary', type: 'button', 'data-testid': 'comment-save', text: 'Save comment' });
    const cancel = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'comment-cancel', text: 'Cancel' });
    const close = () => {
      this.commentForm = null;
      this.host.pin(this.key, this.pinned);
      this.renderComments();
      this.el.focus({ preventScroll: true });
    };
    const submit = async () => {
      const text = input.value.trim();
      if (!text || save.disabled) return;
      save.disabled = true;
      const res = await this.host.ctx.call({ op: 'comment', target: this.key, text });
      save.disabled = false;
      if (res?.type !== 'comments') return;
      close();
    };
    save.addEventListener('click', () => void submit());
    cancel.addEventListener('click', close);
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        void submit();
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        close();
      }
    });
    const el = h('div', { class: 'hunk-comment-form' }, input, h('div', { class: 'hunk-comment-actions' }, cancel, save));
    this.commentForm = { el, input };
    this.host.pin(this.key, true);
    this.renderComments();
    input.focus();
  }

  dispose(): void {
    this.editor?.destroy();
    this.editor = null;
  }

  holds(g: GapState): boolean {
    return g === this.gapAbove || g === this.gapBelow;
  }

  /** Re-draws the collapsed context around the hunk after an expansion. */
  renderGaps(): void {
    const expand = (g: GapState, dir: ExpandDirection) => void this.host.expand(g, dir);
    this.above.replaceChildren(...(this.gapAbove ? gapViews(this.gapAbove, 'above', this.view, expand) : []));
    this.below.replaceChildren(...(this.gapBelow ? gapViews(this.gapBelow, 'below', this.view, expand) : []));
  }

  /** Opens the editor (or focuses it). */
  async openEditor(): Promise<void> {
    if (!this.editing) await this.toggleEditor();
    else this.editor?.focus();
  }

  private setBusy(on: boolean): void {
    this.busy = on;
    this.el.classList.toggle('busy', on);
    this.host.pin(this.key, this.pinned);
  }

  private renderLines(): void {
    const where = whereOf(this.host.change, this.hunk.header);
    this.scroll.replaceChildren(
      linesTable(this.hunk.lines, this.view, {
        selectable: this.selectable,
        isSelected: (r) => (r.side === 'removed' ? this.sel.removed : this.sel.added).has(r.index),
        where,
      }),
    );
  }

  // ---- line selection ----

  private onCheck(ev: MouseEvent): void {
    const box = (ev.target as Element).closest<HTMLInputElement>('input[data-testid="line-select"]');
    if (!box) return;
    const ref: LineRef = { side: box.dataset['side'] === 'removed' ? 'removed' : 'added', index: Number(box.dataset['index']) };
    const on = box.checked;
    const order = refsOf(this.hunk.lines).filter((r): r is LineRef => r !== null);
    const pos = (r: LineRef) => order.findIndex((x) => x.side === r.side && x.index === r.index);
    const last = this.sel.last;
    const targets = ev.shiftKey && last ? order.slice(Math.min(pos(last), pos(ref)), Math.max(pos(last), pos(ref)) + 1) : [ref];
    for (const r of targets) {
      const set = r.side === 'removed' ? this.sel.removed : this.sel.added;
      if (on) set.add(r.index);
      else set.delete(r.index);
    }
    this.sel.last = ref;
    if (targets.length > 1) {
      for (const b of this.scroll.querySelectorAll<HTMLInputElement>('input[data-testid="line-select"]')) {
        const set = b.dataset['side'] === 'removed' ? this.sel.removed : this.sel.added;
        b.checked = set.has(Number(b.dataset['index']));
      }
    }
    this.renderSelection();
  }

  private renderSelection(): void {
    const n = this.sel.removed.size + this.sel.added.size;
    this.linesButton.hidden = n === 0;
    this.el.classList.toggle('selecting', n > 0);
    const label = `Approve ${n} selected ${n === 1 ? 'line' : 'lines'}`;
    const span = this.linesButton.querySelector('.label');
    if (span) span.textContent = `Approve ${n} ${n === 1 ? 'line' : 'lines'}`;
    this.linesButton.setAttribute('aria-label', `${label} of hunk ${whereOf(this.host.change, this.hunk.header)}`);
    this.linesButton.title = `${label}: they land in the project, and the hunk's other lines are dropped (reverted in the stage)`;
  }

  private async approveSelected(): Promise<void> {
    const removed = [...this.sel.removed].sort((a, b) => a - b);
    const added = [...this.sel.added].sort((a, b) => a - b);
    if (removed.length + added.length === 0) return;
    this.setBusy(true);
    const ok = await this.host.ctx.approveLines(this.key, removed, added);
    if (ok) {
      this.sel.removed.clear();
      this.sel.added.clear();
      this.sel.last = null;
    }
    this.setBusy(false);
  }

  // ---- editor ----

  private async toggleEditor(): Promise<void> {
    if (this.editing) {
      this.closeEditor();
      return;
    }
    this.editing = true;
    this.host.pin(this.key, true);
    this.el.classList.add('editing');
    this.editButton.setAttribute('aria-expanded', 'true');
    const added = this.hunk.lines.filter((l) => l.kind === 'added').map((l) => l.text);
    const hh = this.hunk.header;
    const submit = h(
      'button',
      {
        class: 'btn btn-sm btn-approve',
        type: 'button',
        'data-testid': 'edit-approve',
        'aria-label': `Approve the edited hunk ${whereOf(this.host.change, hh)}`,
        title: 'Land the edited lines in the project (Ctrl+Enter)',
      },
      icon(ICONS.check),
      h('span', { class: 'label', text: 'Approve edited' }),
    );
    const cancel = h(
      'button',
      { class: 'btn btn-sm', type: 'button', title: 'Close the editor (Esc)', onclick: () => this.closeEditor(true) },
      'Cancel',
    );
    const cmHost = h('div', { class: 'cm-host' });
    const panel = h(
      'div',
      { class: `hunk-editor hunk-editor-${this.view}`, role: 'group', 'aria-label': 'Edit the proposed lines' },
      h('div', { class: 'hunk-editor-bar' }, h('span', { class: 'hunk-editor-title', text: 'Edit the proposed lines' }), h('span', { class: 'spacer' }), cancel, submit),
      cmHost,
      h(
        'div',
        { class: 'hunk-editor-hint' },
        h('kbd', { text: 'Ctrl' }),
        '+',
        h('kbd', { text: 'Enter' }),
        ' approves the edited lines · ',
        h('kbd', { text: 'Esc' }),
        ' cancels',
      ),
    );
    this.editorHost.replaceChildren(panel);
    let text = () => added.join('\n');
    const approve = async () => {
      const doc = text();
      this.setBusy(true);
      const ok = await this.host.ctx.approveEdited(this.key, doc === '' ? '' : `${doc}\n`);
      this.setBusy(false);
      if (ok) this.closeEditor();
    };
    submit.addEventListener('click', () => void approve());
    try {
      const { createEditor } = await import('./editor');
      if (!this.editing) return;
      const ed = createEditor(cmHost, added.join('\n'), {
        firstLine: hh.newStart || 1,
        label: `Proposed lines of the hunk ${whereOf(this.host.change, hh)}`,
        onSubmit: () => void approve(),
        onCancel: () => this.closeEditor(true),
      });
      this.editor = ed;
      text = () => ed.text();
      ed.focus();
    } catch (err) {
      this.host.ctx.error(`The editor could not load: ${String(err)}`);
      this.closeEditor();
    }
  }

  private closeEditor(refocus = false): void {
    this.editor?.destroy();
    this.editor = null;
    this.editing = false;
    this.editorHost.replaceChildren();
    this.el.classList.remove('editing');
    this.editButton.setAttribute('aria-expanded', 'false');
    this.host.pin(this.key, this.pinned);
    if (refocus) this.el.focus({ preventScroll: true });
  }
}
