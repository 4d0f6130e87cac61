// The terminal pane: one terminal per session (see terminal.ts), the find bar,
// and the pane's title. xterm.js is loaded on demand, the first time a
// terminal is to be shown: at start, after the review pane's first paint.
// Ctrl+F (Cmd+F) finds; links open in a new tab (in the desktop window they
// are copied instead).

import type { Ctx } from '../context';
import type { SandboxInfo, SessionInfo } from '../ipc/bindings';
import { debounce, h, icon, ICONS, replaceChildren, whenIdle } from '../lib/dom';
import { FindBar } from './find';
import type { SessionTerminal, TerminalHost } from './terminal';
import { darkQuery, FONT_SIZE, isMac, LINE_HEIGHT } from './terminal-metrics';

type TerminalModule = typeof import('./terminal');

export class TerminalsView implements TerminalHost {
  readonly el: HTMLElement;
  private readonly findBar: FindBar;
  private readonly host = h('div', { class: 'terminal-host' });
  private readonly title = h('div', { class: 'pane-title' });
  private readonly emptyText = h('p', { text: 'No sessions yet — start one with a command, or your shell' });
  private readonly empty = h(
    'div',
    { class: 'empty empty-terminal' },
    icon(ICONS.terminal),
    this.emptyText,
    h('p', { class: 'hint', text: 'The agent runs in a private stage; nothing it writes reaches your project until you approve it.' }),
  );
  private readonly terms = new Map<string, SessionTerminal>();
  private shown: SessionTerminal | null = null;
  /** Until this settles, no terminal is opened, and xterm is not loaded (see `openAfter`). */
  private gate: Promise<void> | null = null;
  /** xterm and the session terminal, once loaded. */
  private mod: TerminalModule | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly ctx: Ctx) {
    this.findBar = new FindBar(() => this.shown?.focus());
    const findButton = h(
      'button',
      {
        class: 'icon-button find-open',
        type: 'button',
        'data-testid': 'terminal-find-open',
        'aria-label': 'Find in the terminal',
        title: `Find in the terminal (${isMac ? '⌘F' : 'Ctrl+F'})`,
        onclick: () => this.shown && this.find(this.shown),
      },
      icon(ICONS.search),
    );
    // The find bar takes the header's place on the right, so it never covers the output.
    this.el = h(
      'section',
      { class: 'terminal-pane', 'aria-label': 'Terminal' },
      h('div', { class: 'pane-header terminal-header' }, this.title, h('span', { class: 'spacer' }), findButton, this.findBar.el),
      this.host,
    );
    this.host.append(this.empty);
    // Ctrl+F anywhere in the pane (the header, the find bar) opens the find bar, not the browser's.
    this.el.addEventListener('keydown', (ev) => {
      const mod = isMac ? ev.metaKey && !ev.ctrlKey : ev.ctrlKey && !ev.metaKey;
      if (!mod || ev.altKey || ev.shiftKey || ev.key.toLowerCase() !== 'f' || !this.shown || ev.defaultPrevented) return;
      ev.preventDefault();
      this.find(this.shown);
    });
    const refit = debounce(() => this.shown?.resize(), 60);
    new ResizeObserver(refit).observe(this.host);
    darkQuery.addEventListener('change', () => {
      for (const t of this.terms.values()) t.applyTheme();
    });
    ctx.store.on('selection', () => this.render());
    ctx.store.on('sessions', () => this.render());
    this.render();
  }

  /**
   * Loads xterm and opens terminals only once `p` settles. Loading xterm and
   * opening it (measuring its cell, laying out its rows, drawing the
   * scrollback) takes the page's main thread for ~100 ms; at start the app
   * lets the review pane draw the first diff before that. Then xterm is loaded
   * when the page is idle, so that a session started later opens its terminal
   * without also evaluating xterm's code while its output streams in.
   */
  openAfter(p: Promise<void>): void {
    const gate = p.then(() => {
      if (this.gate !== gate) return;
      this.gate = null;
      this.render();
      const t = this.shown;
      if (t && !t.opened) {
        t.show();
        if (!this.findBar.isOpen) t.focus();
      }
      whenIdle(() => this.module(), 3000);
    });
    this.gate = gate;
  }

  find(t: SessionTerminal): void {
    if (t !== this.shown) return;
    this.findBar.open(t.search, t.term.getSelection());
  }

  link(uri: string): void {
    this.ctx.openLink(uri);
  }

  /** The session runs again after it exited. */
  restarted(session: string): void {
    this.terms.get(session)?.restarted();
  }

  /** Routes a live `output` event to its session's terminal. */
  output(session: string, offset: number, bytes: Uint8Array): void {
    this.terms.get(session)?.output(offset, bytes);
  }

  exited(session: string, code: number | null): void {
    this.terms.get(session)?.exited(code);
  }

  /** Redraws every opened terminal from its scrollback (after a reconnect). */
  reload(): void {
    for (const t of this.terms.values()) t.reload();
  }

  /** Size for a session about to start: what the pane fits now. */
  size(): { cols: number; rows: number } {
    const t = this.shown;
    if (t?.opened && t.term.cols > 1) return { cols: t.term.cols, rows: t.term.rows };
    const rect = this.host.getBoundingClientRect();
    // xterm's cell is about 0.6em wide and lineHeight × fontSize tall.
    const cols = Math.floor((rect.width - 16) / (FONT_SIZE * 0.6));
    const rows = Math.floor((rect.height - 12) / Math.ceil(FONT_SIZE * LINE_HEIGHT));
    return { cols: Math.max(20, Math.min(cols || 80, 500)), rows: Math.max(5, Math.min(rows || 24, 200)) };
  }

  /** The terminal module, or null while it loads (the pane renders again once it has). */
  private module(): TerminalModule | null {
    if (this.mod || this.gate) return this.mod;
    this.loading ??= import('./terminal').then(
      (m) => {
        this.mod = m;
        this.render();
        this.spareWhenIdle(m);
      },
      (err: unknown) => this.ctx.error(`The terminal could not be loaded (${String(err)}); reload the page to try again.`),
    );
    return null;
  }

  /** Keeps an xterm open ahead of the next session (see `prepareSpare`). */
  private spareWhenIdle(mod: TerminalModule): void {
    whenIdle(() => mod.prepareSpare(this.host), 3000);
  }

  private get(mod: TerminalModule, id: string): SessionTerminal {
    let t = this.terms.get(id);
    if (!t) {
      t = new mod.SessionTerminal(this.ctx, id, this, this.host);
      this.terms.set(id, t);
      this.host.append(t.el);
      this.spareWhenIdle(mod);
      const term = t;
      t.search.onDidChangeResults((r) => this.findBar.results(term.search, r));
      const s = this.ctx.store.sessions.get(id);
      if (s?.state === 'exited') t.exited(s.exitCode);
    }
    return t;
  }

  private render(): void {
    const { store } = this.ctx;
    for (const [id, t] of this.terms) {
      if (!store.sessions.has(id)) {
        t.dispose();
        this.terms.delete(id);
        if (this.shown === t) this.shown = null;
      }
    }
    const selected = store.selected ? store.sessions.get(store.selected) : undefined;
    // A chat session has no terminal: the chat pane takes this one's place.
    this.el.hidden = selected?.kind === 'chat';
    const s = selected?.kind === 'chat' ? undefined : selected;
    this.renderTitle(s);
    if (!s) {
      this.shown?.hide();
      this.shown?.el.removeAttribute('data-testid');
      this.shown = null;
      // Sessions started elsewhere (the CLI, another window) are listed but not chosen.
      this.emptyText.textContent =
        store.sessions.size > 0
          ? 'Choose a session on the left to see its terminal'
          : 'No sessions yet — start one with a command, or your shell';
      this.empty.hidden = false;
      this.findBar.retarget(null);
      return;
    }
    this.empty.hidden = true;
    const mod = this.module();
    if (!mod) return;
    const t = this.get(mod, s.id);
    if (this.shown !== t) {
      if (this.shown) {
        this.shown.hide();
        this.shown.el.removeAttribute('data-testid');
      }
      this.shown = t;
      t.el.setAttribute('data-testid', 'terminal');
      this.findBar.retarget(t.search);
      if (this.gate && !t.opened) return; // opened when the gate settles
      t.show();
      if (!this.findBar.isOpen) t.focus();
    }
  }

  private renderTitle(s: SessionInfo | undefined): void {
    if (!s) {
      this.title.replaceChildren(icon(ICONS.terminal), h('span', { text: 'Terminal' }));
      return;
    }
    replaceChildren(
      this.title,
      icon(ICONS.terminal),
      h('span', { class: 'pane-title-name', text: s.name }),
      s.command.join(' ') !== s.name ? h('code', { class: 'pane-title-command', title: s.command.join(' '), text: s.command.join(' ') }) : null,
      s.state === 'exited'
        ? h('span', { class: `badge ${s.exitCode === 0 ? 'badge-muted' : 'badge-danger'}`, text: s.exitCode === null ? 'exited' : `exited ${s.exitCode}` })
        : h('span', { class: 'badge badge-live', text: 'running' }),
      shield(s.sandbox),
    );
  }
}

/** The header's shield: what confines the session, in one word and a hover. */
export function shield(sb: SandboxInfo | null): HTMLElement | null {
  if (!sb) return null;
  const confined = sb.state === 'confined';
  const words = confined
    ? [
        'sandboxed',
        sb.network === 'off' ? 'offline' : sb.network === 'modelOnly' ? 'model-only' : null,
        sb.execGate ? 'gated' : null,
        sb.blocked > 0 ? `${sb.blocked} blocked` : null,
      ]
    : ['not sandboxed'];
  const word = words.filter((w) => w !== null).join(' · ');
  const lines = [
    sb.summary,
    ...(sb.lastBlocked ? [`last blocked: ${sb.lastBlocked}`] : []),
    ...sb.writable.map((w) => `writes: ${w}`),
  ];
  return h(
    'span',
    {
      class: `badge sandbox-badge ${confined ? 'sandbox-on' : 'sandbox-off'}`,
      title: lines.join('\n'),
      'data-testid': 'sandbox-badge',
    },
    icon(ICONS.shield),
    h('span', { text: word }),
  );
}
