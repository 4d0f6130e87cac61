// The review pane: the queue of pending changes (sorted by path or risk), each
// a virtualized file view, the view toggles, and the keyboard cursor that
// j/k/n/p move.

import type { Ctx } from '../context';
import type { Change, ReviewDelivery } from '../ipc/bindings';
import { h, icon, ICONS, type Props } from '../lib/dom';
import type { Prefs } from '../prefs';
import { FileView, type FileHost } from './diff/file';
import { HunkView } from './diff/hunk';

/** How a review reached the agent, for the notice. */
const VIA: Record<ReviewDelivery, string> = {
  prompt: 'as a prompt',
  terminal: 'typed into its terminal',
  hook: 'through its hook, with its next tool call',
};

/** One of the review's options: an icon and a label (`renderTools` fills in those that say the option's state). */
function toolButton(props: Props, paths: string, label?: string): HTMLButtonElement {
  return h('button', { class: 'tool-button', type: 'button', ...props }, icon(paths), h('span', label === undefined ? { class: 'label' } : { class: 'label', text: label }));
}

interface Cursor {
  file: string;
  /** Item index in the file; -1 is the file's header. */
  index: number;
  /** The hunk shown there, so the cursor follows it when hunks above go. */
  id: string | null;
  /** The file's place in the queue, for when the file goes. */
  order: number;
}

export class ReviewView implements FileHost {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'review-list', 'data-testid': 'review-list' });
  private readonly summary = h('span', { class: 'pane-summary' });
  /** "Send review (N)" for each session with comments. */
  private readonly sendBar = h('div', { class: 'review-send-bar', 'data-testid': 'review-send-bar', role: 'toolbar', 'aria-label': 'Send review comments', hidden: true });
  private readonly sending = new Set<string>();
  private readonly empty = h(
    'div',
    { class: 'empty empty-review' },
    icon(ICONS.check),
    h('p', { text: 'No pending changes' }),
    h('p', { class: 'hint', text: 'When an agent writes a file, its diff shows up here for you to approve or reject.' }),
  );
  private readonly files = new Map<string, FileView>();
  private order: FileView[] = [];
  private readonly collapsedByUser = new Map<string, boolean>();
  private cursor: Cursor | null = null;
  private frameId = 0;
  /** A draw before the first paint is queued (see `schedule`). */
  private drawQueued = false;
  private paintedFirst: (() => void) | null = null;
  /**
   * Resolves after the frame that first drew the queue as loaded: the hunks in
   * view are in the DOM (no placeholder waits for the engine), or there is
   * nothing to show.
   */
  readonly firstPaint = new Promise<void>((resolve) => (this.paintedFirst = resolve));
  private readonly viewToggle: HTMLButtonElement;
  private readonly wsToggle: HTMLButtonElement;
  private readonly sortToggle: HTMLButtonElement;

  constructor(
    readonly ctx: Ctx,
    readonly prefs: Prefs,
    onHelp: () => void,
    /** Shown above the review tools: the action cards. */
    top: HTMLElement,
  ) {
    this.viewToggle = toolButton(
      {
        'data-testid': 'view-toggle',
        title: 'Show the diff side by side or unified',
        onclick: () => prefs.set('view', prefs.get('view') === 'split' ? 'unified' : 'split'),
      },
      ICONS.columns,
    );
    this.wsToggle = toolButton(
      {
        'data-testid': 'whitespace-toggle',
        title: 'Hide hunks that only change white space',
        onclick: () => prefs.set('ignoreWhitespace', !prefs.get('ignoreWhitespace')),
      },
      ICONS.space,
      'Hide white space',
    );
    this.sortToggle = toolButton({ 'data-testid': 'sort-toggle', onclick: () => prefs.set('sort', prefs.get('sort') === 'risk' ? 'path' : 'risk') }, ICONS.sort);
    this.el = h(
      'section',
      { class: 'review-pane', 'aria-label': 'Pending changes' },
      h(
        'div',
        { class: 'pane-header' },
        h('div', { class: 'pane-title' }, icon(ICONS.file), h('span', { text: 'Changes' })),
        this.summary,
        h(
          'button',
          { class: 'pane-hint', type: 'button', title: 'Keyboard shortcuts (?)', 'aria-label': 'Show keyboard shortcuts', onclick: onHelp },
          h('kbd', { text: '?' }),
          ' keys',
        ),
      ),
      top,
      h('div', { class: 'review-tools', role: 'toolbar', 'aria-label': 'Review options' }, this.sortToggle, this.wsToggle, this.viewToggle),
      this.sendBar,
      this.list,
    );
    this.list.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
    this.list.addEventListener('click', (ev) => this.onClick(ev));
    ctx.store.on('changes', () => this.render());
    // Sessions order the queue and name the proposer.
    ctx.store.on('sessions', () => this.render());
    ctx.store.on('sessions', () => this.renderSendBar());
    ctx.store.on('comments', () => {
      this.renderSendBar();
      for (const f of this.files.values()) f.commentsMoved();
    });
    prefs.onChange((key) => {
      this.renderTools();
      if (key === 'sort') this.render();
      else {
        for (const f of this.files.values()) f.prefsChanged();
        this.schedule();
      }
    });
    this.renderTools();
    this.render();
  }

  // ---- FileHost ----

  get firstPaintPending(): boolean {
    return this.paintedFirst !== null;
  }

  schedule(): void {
    if (this.paintedFirst) {
      // Until the first paint, draw in this task once the first diffs are
      // here, so the browser's next frame paints them, rather than painting
      // the pane empty first and drawing them a frame later.
      if (!this.drawQueued) {
        this.drawQueued = true;
        queueMicrotask(() => {
          this.drawQueued = false;
          if (this.ctx.store.changesLoaded && !this.order.some((f) => f.loading())) this.firstFrame();
          else if (this.frameId === 0) this.frameId = requestAnimationFrame(() => this.frame());
        });
      }
      return;
    }
    if (this.frameId === 0) this.frameId = requestAnimationFrame(() => this.frame());
  }

  toggled(f: FileView): void {
    this.collapsedByUser.set(f.id, f.collapsed);
    if (this.cursor?.file === f.id && f.collapsed) this.setCursor(f, -1, false);
  }

  /** A `changeProposed` for a change already shown: its diff may have moved. */
  refetch(id: string): void {
    this.files.get(id)?.refetch();
  }

  /** Brings change `id` into view, unfolded, with the cursor on its first hunk (from a chat's tool card). */
  showChange(id: string): boolean {
    const f = this.files.get(id);
    if (!f) return false;
    if (f.collapsed) f.toggleByUser();
    this.setCursor(f, f.itemCount() > 0 ? 0 : -1);
    f.el.classList.remove('flash');
    // Restart the highlight even when the same file is asked for twice.
    void f.el.offsetWidth;
    f.el.classList.add('flash');
    f.el.addEventListener('animationend', () => f.el.classList.remove('flash'), { once: true });
    return true;
  }

  // ---- review comments ----

  private renderSendBar(): void {
    const { store } = this.ctx;
    const rows = store.sessionList().flatMap((s) => {
      const n = store.comments.get(s.id)?.length ?? 0;
      if (n === 0) return [];
      const busy = this.sending.has(s.id);
      return [
        h(
          'button',
          {
            class: 'btn btn-sm btn-primary send-review',
            type: 'button',
            'data-testid': 'send-review',
            'data-session-id': s.id,
            'aria-busy': busy ? 'true' : null,
            disabled: busy,
            title: `Send your ${n} ${n === 1 ? 'comment' : 'comments'} to ${s.name} in one message`,
            onclick: () => void this.sendReview(s.id),
          },
          icon(ICONS.chat),
          h('span', { class: 'label', text: `Send review (${n})` }),
          h('span', { class: 'send-review-session', text: s.name }),
        ),
      ];
    });
    this.sendBar.hidden = rows.length === 0;
    this.sendBar.replaceChildren(...rows);
  }

  private async sendReview(session: string): Promise<void> {
    if (this.sending.has(session)) return;
    this.sending.add(session);
    this.renderSendBar();
    try {
      const res = await this.ctx.call({ op: 'sendReview', session });
      if (res?.type !== 'reviewSent') return;
      const name = this.ctx.store.sessions.get(session)?.name ?? session;
      const how = VIA[res.via];
      this.ctx.notify(`Sent ${res.comments} ${res.comments === 1 ? 'comment' : 'comments'} to ${name} ${how}`);
    } finally {
      this.sending.delete(session);
      this.renderSendBar();
    }
  }

  // ---- keyboard ----

  /** j / k: the next or previous hunk, across files. */
  move(by: 1 | -1): void {
    const cur = this.resolveCursor();
    if (!cur) return this.first();
    const { f, index } = cur;
    const n = f.collapsed ? 0 : f.itemCount();
    const next = index + by;
    if (next >= 0 && next < n) return this.setCursor(f, next);
    if (by < 0 && index >= 0) return this.setCursor(f, -1); // from the first hunk up to the header
    const at = this.order.indexOf(f) + by;
    const g = this.order[at];
    if (!g) return;
    const m = g.collapsed ? 0 : g.itemCount();
    this.setCursor(g, by > 0 ? (m > 0 ? 0 : -1) : m - 1);
  }

  /** n / p: the next or previous file's first hunk. */
  moveFile(by: 1 | -1): void {
    const cur = this.resolveCursor();
    if (!cur) return this.first();
    const g = this.order[this.order.indexOf(cur.f) + by];
    if (!g) return;
    this.setCursor(g, !g.collapsed && g.itemCount() > 0 ? 0 : -1);
  }

  /** a / r / e / c on the current hunk. */
  act(what: 'approve' | 'reject' | 'edit' | 'comment'): void {
    const cur = this.resolveCursor();
    if (!cur) return this.first();
    if (cur.index < 0) {
      this.ctx.notify(`${cur.f.change.path}: move to a hunk (j) first, or use ${what === 'approve' ? 'A' : 'R'} for the whole file`);
      return;
    }
    const view = cur.f.viewAt(cur.index);
    if (!view || !view.el.isConnected) return;
    if (what === 'edit') {
      if (view instanceof HunkView) void view.openEditor();
      return;
    }
    if (what === 'comment') {
      if (view instanceof HunkView) view.openComment();
      return;
    }
    const btn = view.el.querySelector<HTMLButtonElement>(`.hunk-header [data-testid="hunk-${what}"]`);
    if (!btn) return;
    if (btn.disabled) this.ctx.notify(btn.title);
    else btn.click();
  }

  /** A / R on the current file. */
  actFile(what: 'approve' | 'reject'): void {
    const cur = this.resolveCursor();
    if (!cur) return;
    const btn = cur.f.header.querySelector<HTMLButtonElement>(`[data-testid="file-${what}"]`);
    if (!btn) return;
    if (btn.disabled) this.ctx.notify(btn.title);
    else btn.click();
  }

  /** o: collapse or expand the current file. */
  toggleFile(): void {
    const cur = this.resolveCursor();
    if (!cur) return;
    cur.f.toggleByUser();
    if (!cur.f.collapsed) this.setCursor(cur.f, cur.f.itemCount() > 0 ? 0 : -1);
  }

  // ---- internals ----

  private first(): void {
    const f = this.order[0];
    if (f) this.setCursor(f, !f.collapsed && f.itemCount() > 0 ? 0 : -1);
  }

  private onClick(ev: MouseEvent): void {
    const target = ev.target as Element;
    const fileEl = target.closest<HTMLElement>('[data-testid="change-file"]');
    const f = fileEl ? this.files.get(fileEl.dataset['changeId'] ?? '') : undefined;
    if (!f) return;
    const hunk = target.closest<HTMLElement>('[data-testid="hunk"]');
    if (hunk) {
      const i = f.indexOfHunk(hunk.dataset['hunkId'] ?? '');
      if (i >= 0) this.setCursor(f, i, false);
    } else if (target.closest('.file-header')) {
      this.setCursor(f, -1, false);
    }
  }

  private setCursor(f: FileView, index: number, reveal = true): void {
    this.cursor = { file: f.id, index, id: index >= 0 ? f.hunkIdAt(index) : null, order: this.order.indexOf(f) };
    for (const g of this.order) g.setCurrent(g === f ? index : null);
    if (reveal) this.reveal(f, index);
  }

  /** The cursor's file and index as things are now (hunks and files come and go). */
  private resolveCursor(): { f: FileView; index: number } | null {
    const c = this.cursor;
    if (!c) return null;
    let f = this.files.get(c.file);
    let index = c.index;
    if (!f) {
      f = this.order[Math.min(c.order, this.order.length - 1)];
      if (!f) {
        this.cursor = null;
        return null;
      }
      index = 0;
    } else if (c.id !== null) {
      const at = f.indexOfHunk(c.id);
      if (at >= 0) index = at;
    }
    const n = f.collapsed ? 0 : f.itemCount();
    index = n === 0 ? -1 : Math.min(Math.max(index, -1), n - 1);
    const id = index >= 0 ? f.hunkIdAt(index) : null;
    this.cursor = { file: f.id, index, id: id ?? c.id, order: this.order.indexOf(f) };
    return { f, index };
  }

  /**
   * The first draw, once the first diffs are here: what the window could show
   * from the top, placed by estimates alone. Nothing here asks the page for a
   * size or a position, so the browser lays the page out once, with the hunks,
   * in the frame that paints them; the next frame measures and settles.
   */
  private firstFrame(): void {
    if (this.frameId !== 0) cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    if (!this.list.isConnected) return;
    const height = window.innerHeight;
    let top = 0;
    for (const f of this.order) {
      f.layout(-top, height - top, false);
      top += f.estimatedHeight();
    }
    this.firstPainted();
  }

  private frame(): void {
    if (this.frameId !== 0) cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    const list = this.list;
    if (!list.isConnected) return;
    const cur = this.resolveCursor();
    for (const g of this.order) g.setCurrent(cur && g === cur.f ? cur.index : null);
    const listTop = list.getBoundingClientRect().top;
    let anchor: HTMLElement | null = null;
    for (const f of this.order) {
      anchor = f.anchorBelow(listTop + 1);
      if (anchor) break;
    }
    let anchorTop = anchor?.getBoundingClientRect().top ?? 0;
    for (let pass = 0; pass < 3; pass++) {
      let again = false;
      const height = list.clientHeight;
      for (const f of this.order) {
        const top = f.bodyTop(list, listTop);
        if (f.layout(list.scrollTop - top, list.scrollTop + height - top)) again = true;
      }
      if (anchor?.isConnected) {
        const now = anchor.getBoundingClientRect().top;
        if (Math.abs(now - anchorTop) >= 0.5) list.scrollTop += now - anchorTop;
        anchorTop = anchor.getBoundingClientRect().top;
      }
      if (!again) break;
    }
    // A re-rendered current hunk takes the focus back from the page, never from an input or the terminal.
    if (cur && (document.activeElement === document.body || document.activeElement === null)) {
      cur.f.elementAt(cur.index)?.focus({ preventScroll: true });
    }
    this.firstPainted();
  }

  /** Resolves `firstPaint` once the queue is drawn as loaded (see there). */
  private firstPainted(): void {
    const painted = this.paintedFirst;
    if (painted && this.ctx.store.changesLoaded && !this.list.querySelector('.hunk-placeholder')) {
      this.paintedFirst = null;
      // This runs before the frame paints (in the task that took the first
      // state, or in a frame callback); the timer set in the next frame's
      // callback fires after that frame painted. Then what lies beyond the
      // view is drawn, and the next windows are asked for.
      requestAnimationFrame(() =>
        setTimeout(() => {
          painted();
          this.schedule();
        }, 0),
      );
    }
  }

  /** Scrolls item `index` of `f` into view (below the sticky file header) and focuses it. */
  private reveal(f: FileView, index: number): void {
    const list = this.list;
    this.frame();
    const sticky = index < 0 ? 0 : f.header.offsetHeight;
    const margin = 8;
    const fit = (top: number, bottom: number) => {
      const viewTop = list.scrollTop + sticky;
      const viewBottom = list.scrollTop + list.clientHeight;
      if (top < viewTop + margin || bottom - top > list.clientHeight - sticky) list.scrollTop = top - sticky - margin;
      else if (bottom > viewBottom - margin) list.scrollTop = bottom - list.clientHeight + margin;
    };
    const listTop = list.getBoundingClientRect().top;
    if (index < 0) {
      const top = f.el.getBoundingClientRect().top - listTop + list.scrollTop;
      fit(top, top + f.header.offsetHeight);
    } else {
      const p = f.place(index);
      const top = f.bodyTop(list, listTop) + p.top;
      fit(top, top + p.height);
    }
    this.frame();
    const el = f.elementAt(index);
    if (!el) return;
    // Estimates may have been off: settle on the real element.
    const r = el.getBoundingClientRect();
    const top = r.top - listTop + list.scrollTop;
    fit(top, top + r.height);
    this.frame();
    f.elementAt(index)?.focus({ preventScroll: true });
  }

  private sorted(): Change[] {
    const list = this.ctx.store.changeList();
    if (this.prefs.get('sort') !== 'risk') return list;
    return [...list].sort((a, b) => b.risk - a.risk || a.path.localeCompare(b.path));
  }

  private render(): void {
    const changes = this.sorted();
    for (const [id, f] of this.files) {
      if (!this.ctx.store.changes.has(id)) {
        f.dispose();
        this.files.delete(id);
      }
    }
    const order: FileView[] = [];
    for (const c of changes) {
      let f = this.files.get(c.id);
      if (f) f.update(c);
      else {
        this.files.set(c.id, (f = new FileView(this, c, this.collapsedByUser.get(c.id))));
        // The first few files are likely in view: their first hunks are on the way before the next frame.
        if (order.length < 6) f.prefetch();
      }
      order.push(f);
    }
    this.order = order;
    if (order.length === 0) {
      this.list.replaceChildren(this.empty);
    } else {
      this.empty.remove();
      // Reorder without re-creating: insertBefore moves an existing node.
      order.forEach((f, i) => {
        if (this.list.children[i] !== f.el) this.list.insertBefore(f.el, this.list.children[i] ?? null);
      });
    }
    const hunks = this.ctx.store.pendingHunks();
    const files = changes.length;
    this.summary.textContent = files === 0 ? '' : `${files} ${files === 1 ? 'file' : 'files'} · ${hunks} ${hunks === 1 ? 'hunk' : 'hunks'}`;
    this.schedule();
  }

  private renderTools(): void {
    const split = this.prefs.get('view') === 'split';
    this.el.dataset['view'] = split ? 'split' : 'unified';
    this.viewToggle.setAttribute('aria-pressed', String(split));
    this.viewToggle.setAttribute('aria-label', 'Side by side');
    (this.viewToggle.querySelector('.label') as HTMLElement).textContent = 'Side by side';
    const ws = this.prefs.get('ignoreWhitespace');
    this.wsToggle.setAttribute('aria-pressed', String(ws));
    this.wsToggle.setAttribute('aria-label', 'Hide white-space-only hunks');
    const risk = this.prefs.get('sort') === 'risk';
    this.sortToggle.setAttribute('aria-label', `Sort files by ${risk ? 'risk' : 'path'}; press to sort by ${risk ? 'path' : 'risk'}`);
    this.sortToggle.title = risk ? 'Sorted by risk, riskiest first — click to sort by path' : 'Sorted by path — click to sort by risk';
    (this.sortToggle.querySelector('.label') as HTMLElement).textContent = risk ? 'Sort: risk' : 'Sort: path';
    this.sortToggle.dataset['sort'] = risk ? 'risk' : 'path';
  }
}
