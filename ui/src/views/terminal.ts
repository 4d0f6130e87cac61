// One session's terminal: an xterm.js Terminal, created the first time the
// session is shown, filled from the engine's scrollback and then from live
// `output` events. Output reaches xterm in pieces of at most 64 KiB, each after
// the previous one was parsed, so a megabyte of output or a long scrollback is
// drawn over several frames instead of freezing one. WebGL draws when a real
// GPU is there, else xterm's DOM renderer does.
//
// Loaded on demand (see TerminalsView): xterm and its addons are most of the
// UI's script, and the review pane paints first without them.

import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import type { WebglAddon } from '@xterm/addon-webgl';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { Ctx } from '../context';
import { binaryToBytes, bytesToBinary } from '../lib/bytes';
import { h } from '../lib/dom';
import { darkQuery, FONT_FAMILY, FONT_SIZE, isMac, LINE_HEIGHT } from './terminal-metrics';

const DARK: ITheme = {
  background: '#15171c',
  foreground: '#d7dae0',
  cursor: '#d7dae0',
  cursorAccent: '#15171c',
  selectionBackground: '#3a4a6b',
  black: '#1e2127',
  red: '#ef6b73',
  green: '#7fc37a',
  yellow: '#e5c07b',
  blue: '#61afef',
  magenta: '#c678dd',
  cyan: '#56b6c2',
  white: '#d7dae0',
  brightBlack: '#5c6370',
  brightRed: '#ff7a85',
  brightGreen: '#98d993',
  brightYellow: '#f0d197',
  brightBlue: '#7cc0ff',
  brightMagenta: '#d78ef0',
  brightCyan: '#6fd0dc',
  brightWhite: '#ffffff',
};

const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1f2328',
  cursor: '#1f2328',
  cursorAccent: '#ffffff',
  selectionBackground: '#b6d3ff',
  black: '#24292f',
  red: '#cf222e',
  green: '#116329',
  yellow: '#9a6700',
  blue: '#0969da',
  magenta: '#8250df',
  cyan: '#1b7c83',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#a40e26',
  brightGreen: '#1a7f37',
  brightYellow: '#633c01',
  brightBlue: '#218bff',
  brightMagenta: '#a475f9',
  brightCyan: '#3192aa',
  brightWhite: '#8c959f',
};


const theme = (): ITheme => (darkQuery.matches ? DARK : LIGHT);

/** How long after the scrollback arrives live output may still repeat its tail. */
const OVERLAP_WINDOW_MS = 500;

/** The most handed to xterm at once: it parses one write in one go, without drawing. */
const WRITE_CHUNK = 64 * 1024;

/**
 * Output queued beyond this (a hidden tab, where timers crawl, fed a flood) is
 * dropped and the terminal redrawn from the engine's scrollback instead.
 */
const MAX_QUEUED = 32 * 1024 * 1024;

const RENDERER_KEY = 'airlock.terminalRenderer';
let hardwareGl: boolean | null = null;

/** Runs `fn` when the page is idle (at most `ms` later). */
function idle(fn: () => void, ms = 500): void {
  if ('requestIdleCallback' in window) requestIdleCallback(() => fn(), { timeout: ms });
  else setTimeout(fn, 50);
}

/**
 * Whether to draw with WebGL: only on a GPU that names itself as real hardware.
 * With software GL (SwiftShader, llvmpipe: a VM, CI, headless browsers) or a
 * renderer that gives no name (WebKitGTK), xterm's DOM renderer costs less CPU.
 * `localStorage['airlock.terminalRenderer']` = `webgl` or `dom` overrides.
 */
function webglWanted(): boolean {
  let pref: string | null = null;
  try {
    pref = localStorage.getItem(RENDERER_KEY);
  } catch {
    // No storage: decide by the GPU.
  }
  if (pref === 'dom') return false;
  if (pref === 'webgl') return true;
  // WebKitGTK (the desktop window on Linux) masks its renderer's name and often
  // draws WebGL in software: the DOM renderer is the safe default there.
  if ('__TAURI_INTERNALS__' in window) return false;
  if (hardwareGl === null) {
    hardwareGl = false;
    try {
      const gl = document.createElement('canvas').getContext('webgl2', { failIfMajorPerformanceCaveat: true });
      if (gl) {
        const info = gl.getExtension('WEBGL_debug_renderer_info');
        const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
        // WebKitGTK does not name its renderer: an unnamed one counts as software.
        hardwareGl = name !== '' && !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
        gl.getExtension('WEBGL_lose_context')?.loseContext();
      }
    } catch {
      hardwareGl = false;
    }
  }
  return hardwareGl;
}

type Chunk = Uint8Array | string | (() => void);

/** What a terminal asks of the pane around it. */
export interface TerminalHost {
  /** Ctrl+F / Cmd+F in the terminal. */
  find(t: SessionTerminal): void;
  /** A link in the output was clicked. */
  link(uri: string): void;
}



/**
 * One session's terminal. Phases: `cold` (never shown; live output is dropped
 * because the scrollback will hold it), `loading` (scrollback requested; live
 * output is held), `matching` (scrollback written; held output that repeats its
 * tail is dropped), `live`.
 */
export class SessionTerminal {
  readonly el: HTMLDivElement;
  readonly term: Terminal;
  readonly fit = new FitAddon();
  readonly search = new SearchAddon({ highlightLimit: 1000 });
  private phase: 'cold' | 'loading' | 'matching' | 'live' = 'cold';
  private held: string[] = [];
  private tail = '';
  private exit: { code: number | null } | null = null;
  private exitWritten = false;
  private cols = 0;
  private rows = 0;
  private typed = '';
  private loads = 0;
  private sending = false;
  /** Output waiting for xterm, in pieces of at most WRITE_CHUNK; functions run in turn. */
  private queue: Chunk[] = [];
  private queued = 0;
  private writing = false;
  private webgl: WebglAddon | null = null;
  private disposed = false;

  constructor(
    private readonly ctx: Ctx,
    readonly id: string,
    private readonly host: TerminalHost,
  ) {
    this.el = h('div', { class: 'terminal-view', hidden: true, 'data-session-id': id, 'data-renderer': 'dom' });
    this.term = new Terminal({
      fontFamily: FONT_FAMILY,
      fontSize: FONT_SIZE,
      lineHeight: LINE_HEIGHT,
      cursorBlink: true,
      scrollback: 10000,
      // The search addon highlights matches with decorations, still a proposed API (versions are pinned).
      allowProposedApi: true,
      theme: theme(),
    });
    this.term.loadAddon(this.fit);
    this.term.loadAddon(this.search);
    this.term.loadAddon(new WebLinksAddon((ev, uri) => {
      ev.preventDefault();
      this.host.link(uri);
    }));
    this.term.attachCustomKeyEventHandler((ev) => {
      const mod = isMac ? ev.metaKey && !ev.ctrlKey : ev.ctrlKey && !ev.metaKey;
      if (mod && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === 'f') {
        // Not to the shell, and not the browser's own find.
        ev.preventDefault();
        if (ev.type === 'keydown') this.host.find(this);
        return false;
      }
      return true;
    });
    this.term.onData((data) => this.input(data));
  }

  /**
   * Keystrokes go out one request at a time, in order: parallel requests could
   * reach the engine out of order. What is typed meanwhile is sent as one batch.
   */
  private input(data: string): void {
    const s = this.ctx.store.sessions.get(this.id);
    if (!s || s.state !== 'running') return;
    this.typed += data;
    if (!this.sending) void this.sendInput();
  }

  private async sendInput(): Promise<void> {
    this.sending = true;
    while (this.typed) {
      const data = this.typed;
      this.typed = '';
      await this.ctx.call({ op: 'writeInput', session: this.id, data });
    }
    this.sending = false;
  }

  /** Makes the terminal visible; the first time, opens it and loads the scrollback. */
  show(): void {
    this.el.hidden = false;
    if (this.phase !== 'cold') {
      this.resize();
      return;
    }
    this.term.open(this.el);
    // Asking the GPU what it is costs ~20 ms of the main thread: not before the window has drawn.
    idle(() => this.useWebgl());
    this.resize();
    // xterm measures its cell after the first frame; fit again once it has, and once fonts settle.
    requestAnimationFrame(() => this.resize());
    setTimeout(() => this.resize(), 200);
    void document.fonts?.ready.then(() => this.resize());
    this.load();
  }

  /** WebGL when it is worth it; any failure, now or a lost context later, leaves xterm's DOM renderer. */
  private useWebgl(): void {
    if (!webglWanted()) return;
    // Loaded only where it is used: most of its weight is for GPUs.
    import('@xterm/addon-webgl').then(
      ({ WebglAddon }) => {
        if (this.disposed) return;
        try {
          const webgl = new WebglAddon();
          webgl.onContextLoss(() => {
            // The GPU went away (driver reset, too many contexts): back to the DOM renderer.
            if (this.webgl === webgl) this.webgl = null;
            webgl.dispose();
            this.el.dataset['renderer'] = 'dom';
          });
          this.term.loadAddon(webgl);
          this.webgl = webgl;
          this.el.dataset['renderer'] = 'webgl';
        } catch (err) {
          console.info('xterm: WebGL unavailable, using the DOM renderer', err);
          this.webgl = null;
          this.el.dataset['renderer'] = 'dom';
        }
      },
      (err: unknown) => console.info('xterm: the WebGL renderer did not load, using the DOM renderer', err),
    );
  }

  /** After the event stream was down, output may be missing: redraw from the scrollback. */
  reload(): void {
    if (this.phase === 'cold') return;
    // What xterm already has is parsed first; the reset waits its turn in the queue.
    this.queue = [];
    this.queued = 0;
    this.write(() => this.term.reset());
    this.held = [];
    this.exitWritten = false;
    this.load();
  }

  private load(): void {
    this.phase = 'loading';
    const gen = ++this.loads;
    void this.ctx.readScrollback(this.id).then((res) => {
      if (gen !== this.loads) return; // a newer load replaced this one
      if (res) {
        const bytes = res.bytes;
        if (bytes.length > 0) this.write(bytes);
        this.tail = bytesToBinary(bytes.subarray(-65536));
      }
      this.phase = 'matching';
      this.match();
      setTimeout(() => gen === this.loads && this.goLive(), OVERLAP_WINDOW_MS);
    });
  }

  /**
   * Hands output to xterm a piece at a time: the next piece goes once xterm has
   * parsed the previous one, so it draws between pieces and the page never
   * stalls on one huge write.
   */
  private write(data: Chunk): void {
    if (typeof data === 'function' || data.length <= WRITE_CHUNK) {
      this.queue.push(data);
    } else if (typeof data === 'string') {
      for (let i = 0; i < data.length; i += WRITE_CHUNK) this.queue.push(data.slice(i, i + WRITE_CHUNK));
    } else {
      for (let i = 0; i < data.length; i += WRITE_CHUNK) this.queue.push(data.subarray(i, i + WRITE_CHUNK));
    }
    if (typeof data !== 'function') this.queued += data.length;
    if (this.queued > MAX_QUEUED && this.phase === 'live') {
      this.reload();
      return;
    }
    if (!this.writing) this.pump();
  }

  private pump(): void {
    for (;;) {
      const next = this.queue.shift();
      if (next === undefined) {
        this.writing = false;
        return;
      }
      if (typeof next === 'function') {
        next();
        continue;
      }
      this.writing = true;
      this.queued -= next.length;
      this.term.write(next, () => this.pump());
      return;
    }
  }

  hide(): void {
    this.el.hidden = true;
  }

  focus(): void {
    this.term.focus();
  }

  /** True once the terminal was opened (it sized itself to its pane). */
  get opened(): boolean {
    return this.phase !== 'cold';
  }

  output(bytes: Uint8Array): void {
    switch (this.phase) {
      case 'cold':
        return;
      case 'live':
        if (bytes.length > 0) this.write(bytes);
        return;
      case 'loading':
        this.held.push(bytesToBinary(bytes));
        return;
      case 'matching':
        this.held.push(bytesToBinary(bytes));
        this.match();
    }
  }

  /**
   * Live output emitted before the engine read the scrollback repeats the
   * scrollback's tail. The longest run of held frames that is a suffix of the
   * tail is such a repeat; a run that could still grow into one is kept a
   * little longer; anything else is new.
   */
  private match(): void {
    if (this.held.length === 0) return;
    let joined = '';
    let dup = 0;
    for (let i = 0; i < this.held.length; i++) {
      joined += this.held[i];
      if (this.tail.endsWith(joined)) dup = i + 1;
    }
    if (dup > 0) {
      this.held.splice(0, dup);
      this.goLive();
    } else if (!this.tail.includes(joined)) {
      this.goLive();
    }
  }

  private goLive(): void {
    if (this.phase === 'live' || this.phase === 'cold') return;
    this.phase = 'live';
    for (const chunk of this.held) this.write(binaryToBytes(chunk));
    this.held = [];
    this.tail = '';
    this.writeExit();
  }

  exited(code: number | null): void {
    this.exit = { code };
    if (this.phase === 'live') this.writeExit();
  }

  /** The session runs again (same stage, same scrollback): take input, show the cursor, send the size. */
  restarted(): void {
    if (!this.exit) return;
    const noticed = this.exitWritten;
    this.exit = null;
    this.exitWritten = false;
    if (noticed && this.phase !== 'cold') this.write('\x1b[2m[restarted]\x1b[0m\r\n\x1b[?25h');
    // The engine starts it at 80×24: tell it the real size.
    this.cols = 0;
    this.rows = 0;
    this.resize();
  }

  private writeExit(): void {
    if (!this.exit || this.exitWritten) return;
    this.exitWritten = true;
    const what = this.exit.code === null ? 'process exited' : `process exited with code ${this.exit.code}`;
    // Dim notice, then hide the cursor: nothing more will be typed here.
    this.write(`\r\n\x1b[2m[${what}]\x1b[0m\r\n\x1b[?25l`);
  }

  /** Fits the terminal to its container and tells the engine when the size changed. */
  resize(): void {
    if (this.el.hidden || this.phase === 'cold' || !this.el.isConnected) return;
    const dims = this.fit.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows) || dims.cols < 2 || dims.rows < 1) return;
    this.fit.fit();
    if (dims.cols === this.cols && dims.rows === this.rows) return;
    this.cols = dims.cols;
    this.rows = dims.rows;
    const s = this.ctx.store.sessions.get(this.id);
    if (s?.state === 'running') void this.ctx.call({ op: 'resizeSession', session: this.id, cols: dims.cols, rows: dims.rows });
  }

  applyTheme(): void {
    this.term.options.theme = theme();
  }

  dispose(): void {
    this.disposed = true;
    this.queue = [];
    this.webgl = null;
    this.term.dispose();
    this.el.remove();
  }
}
