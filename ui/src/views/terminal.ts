// One session's terminal: an xterm.js Terminal, created the first time the
// session is shown, filled from the engine's scrollback and then from live
// `output` events. Output reaches xterm in pieces sized to take a few
// milliseconds each, each after the previous one was parsed, so a megabyte of
// output or a long scrollback is drawn over many frames instead of freezing
// one. WebGL draws when a real GPU is there, else xterm's DOM renderer does.
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
import { afterFrame, h, whenIdle } from '../lib/dom';
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

/**
 * xterm parses each write in one go, without drawing, and checks its 12 ms
 * time slice only between writes. So output goes to it in pieces sized to take
 * about PIECE_MS each, from its measured speed: small while its code is cold
 * (the first 64 KiB took 40-100 ms here) and up to PIECE_MAX once it is warm.
 */
const PIECE_MS = 6;
const PIECE_MIN = 2 * 1024;
const PIECE_FIRST = 2 * 1024;
const PIECE_MAX = 64 * 1024;

/**
 * Output queued beyond this (a hidden tab, where timers crawl, fed a flood) is
 * dropped and the terminal redrawn from the engine's scrollback instead.
 */
const MAX_QUEUED = 32 * 1024 * 1024;

/**
 * xterm parses in 12 ms slices with a timer between them, and the browser may
 * run several such timers before it draws. So while terminals write, the page's
 * frames are watched, and output waits for the next frame once the last one
 * is FRAME_GAP_MS old: whatever floods in, the page keeps drawing.
 */
const FRAME_GAP_MS = 40;
let lastFrame = 0;
let watchUntil = 0;

/** Keeps `lastFrame` current for the next second. */
function watchFrames(now: number): void {
  const running = now < watchUntil;
  watchUntil = now + 1000;
  if (running) return;
  lastFrame = now;
  const tick = () => {
    lastFrame = performance.now();
    if (lastFrame < watchUntil) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** True when output should wait for a frame (never in a hidden page, which draws none). */
function frameDue(): boolean {
  const now = performance.now();
  watchFrames(now);
  return now - lastFrame > FRAME_GAP_MS && document.visibilityState === 'visible';
}

const RENDERER_KEY = 'airlock.terminalRenderer';
let gpu: Promise<string> | null = null;

/**
 * Whether to draw with WebGL: only on a GPU that names itself as real hardware.
 * With software GL (SwiftShader, llvmpipe: a VM, CI, headless browsers) or a
 * renderer that gives no name (WebKitGTK), xterm's DOM renderer costs less CPU.
 * `localStorage['airlock.terminalRenderer']` = `webgl` or `dom` overrides.
 * The GPU is asked once per page, in a worker (gpu-probe.ts).
 */
async function webglWanted(): Promise<{ use: boolean; why: string }> {
  let pref: string | null = null;
  try {
    pref = localStorage.getItem(RENDERER_KEY);
  } catch {
    // No storage: decide by the GPU.
  }
  if (pref === 'dom' || pref === 'webgl') return { use: pref === 'webgl', why: `${RENDERER_KEY} = ${pref}` };
  // WebKitGTK (the desktop window on Linux) masks its renderer's name and often
  // draws WebGL in software: the DOM renderer is the safe default there.
  if ('__TAURI_INTERNALS__' in window) return { use: false, why: 'desktop window' };
  gpu ??= gpuName();
  const name = await gpu;
  // An unnamed renderer counts as software.
  const hardware = name !== '' && !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
  return { use: hardware, why: `GPU: ${name || 'none, or software'}` };
}

/** The WebGL renderer's name from gpu-probe.ts, or '' (no worker, no OffscreenCanvas, no answer in 5 s). */
function gpuName(): Promise<string> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./gpu-probe.ts', import.meta.url), { type: 'module' });
    } catch {
      resolve('');
      return;
    }
    const done = (name: string) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(name);
    };
    const timer = setTimeout(() => done(''), 5000);
    worker.onmessage = (e: MessageEvent) => done(typeof e.data === 'string' ? e.data : '');
    worker.onerror = () => done('');
  });
}

type Chunk = Uint8Array | string | (() => void);

/** What a terminal asks of the pane around it. */
export interface TerminalHost {
  /** Ctrl+F / Cmd+F in the terminal. */
  find(t: SessionTerminal): void;
  /** A link in the output was clicked. */
  link(uri: string): void;
}



/** A new xterm with Airlock's options and the fit addon. */
function newXterm(): { term: Terminal; fit: FitAddon } {
  const term = new Terminal({
    fontFamily: FONT_FAMILY,
    fontSize: FONT_SIZE,
    lineHeight: LINE_HEIGHT,
    cursorBlink: true,
    scrollback: 10000,
    // The search addon highlights matches with decorations, still a proposed API (versions are pinned).
    allowProposedApi: true,
    theme: theme(),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  return { term, fit };
}

/**
 * An xterm opened ahead of need, invisible in the terminals pane: opening one
 * costs 35-70 ms of the main thread, and its first frames of output more while
 * its code is cold. The next session's terminal takes it, so a session that
 * floods output from its first moment does not also pay for that.
 */
let spare: { term: Terminal; fit: FitAddon; el: HTMLDivElement } | null = null;

/** Opens a spare xterm in `parent` (call when the page is idle); no-op if one is ready or `parent` is not laid out. */
export function prepareSpare(parent: HTMLElement): void {
  if (spare || !parent.isConnected || parent.clientWidth === 0 || parent.clientHeight === 0) return;
  const el = h('div', { class: 'terminal-view terminal-spare', 'aria-hidden': 'true' });
  parent.append(el);
  const { term, fit } = newXterm();
  term.open(el);
  fit.fit();
  // Every printable ASCII character, plain and bold, drawn while the spare
  // waits (and cleared when it is taken): xterm measures each glyph the first
  // time it draws it, and its parser and renderer get warm.
  let ascii = '';
  for (let c = 33; c < 127; c++) ascii += String.fromCharCode(c);
  term.write(`${ascii}\r\n\x1b[1m${ascii}\x1b[0m`);
  spare = { term, fit, el };
}

/** The spare xterm, cleared, if it is still good (laid out in `parent` with a measured cell). */
function takeSpare(parent: HTMLElement): typeof spare {
  const s = spare;
  spare = null;
  if (!s) return null;
  const dims = s.fit.proposeDimensions();
  if (s.el.parentElement === parent && dims && Number.isFinite(dims.cols) && dims.cols > 1) {
    s.term.reset();
    return s;
  }
  s.term.dispose();
  s.el.remove();
  return null;
}

/**
 * One session's terminal. Phases: `cold` (never shown; live output is dropped
 * because the scrollback will hold it), `loading` (scrollback requested; live
 * output is held), `live`. Every piece of output carries its offset in the
 * session's whole output, and the scrollback says where it ends, so output that
 * repeats what the terminal already has is dropped by offset.
 */
export class SessionTerminal {
  readonly el: HTMLDivElement;
  readonly term: Terminal;
  readonly fit: FitAddon;
  readonly search = new SearchAddon({ highlightLimit: 1000 });
  private phase: 'cold' | 'loading' | 'live' = 'cold';
  /** Live output that came while the scrollback was on its way. */
  private held: { offset: number; bytes: Uint8Array }[] = [];
  /** The output offset up to which the terminal has the session's output; -1 before the scrollback said. */
  private through = -1;
  private exit: { code: number | null } | null = null;
  private exitWritten = false;
  private cols = 0;
  private rows = 0;
  private typed = '';
  private loads = 0;
  private sending = false;
  /** Output waiting for xterm; functions run in turn. */
  private queue: Chunk[] = [];
  private queued = 0;
  private writing = false;
  /** How many bytes the next write to xterm takes (see PIECE_MS). */
  private piece = PIECE_FIRST;
  private webgl: WebglAddon | null = null;
  private disposed = false;
  /** xterm was opened in `el` (see `show`); output waits for it. */
  private isOpen = false;
  private focusWanted = false;
  /** xterm came open already (a spare). */
  private readonly preopened: boolean = false;

  /**
   * `parent` is the pane the terminal will show in: a spare xterm already open
   * there is taken if there is one (see `prepareSpare`).
   */
  constructor(
    private readonly ctx: Ctx,
    readonly id: string,
    private readonly host: TerminalHost,
    parent: HTMLElement,
  ) {
    const taken = takeSpare(parent);
    if (taken) {
      this.el = taken.el;
      this.el.classList.remove('terminal-spare');
      this.el.removeAttribute('aria-hidden');
      this.el.hidden = true;
      this.term = taken.term;
      this.fit = taken.fit;
      this.term.options.theme = theme();
      this.preopened = true;
    } else {
      this.el = h('div', { class: 'terminal-view', hidden: true });
      ({ term: this.term, fit: this.fit } = newXterm());
    }
    this.el.dataset['sessionId'] = id;
    this.el.dataset['renderer'] = 'dom';
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
    // The scrollback is asked for now. Opening xterm (~35 ms here) and sizing
    // it (~15 ms) each get a task of their own after a frame, and output waits
    // for both: no frame has to wait for all of it.
    void this.load();
    if (this.preopened) {
      this.ready();
      return;
    }
    afterFrame(() => {
      if (this.disposed) return;
      this.term.open(this.el);
      afterFrame(() => this.ready());
    });
  }

  /** xterm is in the page: size it, focus it if asked, and start writing. */
  private ready(): void {
    if (this.disposed || this.isOpen) return;
    this.isOpen = true;
    whenIdle(() => void this.useWebgl());
    this.resize();
    // xterm measured its cell when it opened, a frame ago. Fit again when the
    // page is idle and once the fonts settle, in case either changed it
    // (a fit costs a forced layout: not in every frame of a flood).
    whenIdle(() => this.resize(), 2000);
    if (document.fonts && document.fonts.status !== 'loaded') void document.fonts.ready.then(() => this.resize());
    if (this.focusWanted && !this.el.hidden) this.term.focus();
    this.focusWanted = false;
    if (!this.writing) this.pump();
  }

  /**
   * WebGL when it is worth it; any failure, now or a lost context later, leaves
   * xterm's DOM renderer. `data-renderer-why` says what decided.
   */
  private async useWebgl(): Promise<void> {
    const { use, why } = await webglWanted();
    this.el.dataset['rendererWhy'] = why;
    if (!use || this.disposed) return;
    // Loaded only where it is used: most of its weight is for GPUs.
    await import('@xterm/addon-webgl').then(
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
    this.through = -1;
    this.exitWritten = false;
    void this.load();
  }

  /**
   * Writes the scrollback as it streams in, then the live output held
   * meanwhile, past what the scrollback had. Without a scrollback (the engine
   * failed to send it, and said so), the held output is all there is.
   */
  private async load(): Promise<void> {
    this.phase = 'loading';
    const gen = ++this.loads;
    const res = await this.ctx.readScrollback(this.id);
    if (gen !== this.loads) return; // a newer load replaced this one
    if (res) {
      try {
        for await (const piece of res.pieces) {
          if (gen !== this.loads) return;
          this.write(piece);
        }
        this.through = res.end;
      } catch (err) {
        if (gen !== this.loads) return;
        this.ctx.error(`The terminal's scrollback did not arrive whole: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (gen !== this.loads) return;
    this.phase = 'live';
    for (const { offset, bytes } of this.held) this.take(offset, bytes);
    this.held = [];
    this.writeExit();
  }

  /**
   * Hands output to xterm a piece at a time: the next piece goes once xterm has
   * parsed the previous one, so it draws between pieces and the page never
   * stalls on one big write.
   */
  private write(data: Chunk): void {
    this.queue.push(data);
    if (typeof data !== 'function') this.queued += data.length;
    if (this.queued > MAX_QUEUED && this.phase === 'live') {
      this.reload();
      return;
    }
    if (!this.writing) this.pump();
  }

  private pump(): void {
    // Not before xterm is open and sized: text parsed at another width is reflowed on resize.
    if (!this.isOpen) return;
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) {
        this.writing = false;
        return;
      }
      if (typeof head === 'function') {
        this.queue.shift();
        head();
        continue;
      }
      if (frameDue()) {
        this.writing = true;
        afterFrame(() => this.pump());
        return;
      }
      // Notices (strings) are short and go whole; bytes go a piece at a time.
      let next: Uint8Array | string = head;
      if (typeof head === 'string' || head.length <= this.piece) this.queue.shift();
      else {
        next = head.subarray(0, this.piece);
        this.queue[0] = head.subarray(this.piece);
      }
      this.writing = true;
      this.queued -= next.length;
      const size = next.length;
      const start = performance.now();
      this.term.write(next, () => {
        this.pace(size, performance.now() - start);
        this.pump();
      });
      return;
    }
  }

  /**
   * Sizes the next piece from how long the last one took (write to parsed: an
   * upper bound, as it includes any wait for xterm's turn), growing at most
   * twofold per piece.
   */
  private pace(size: number, ms: number): void {
    if (size < this.piece / 2) return; // the queue ran dry: says little about speed
    const fit = ms > 0 ? (size * PIECE_MS) / ms : PIECE_MAX;
    this.piece = Math.round(Math.max(PIECE_MIN, Math.min(PIECE_MAX, 2 * this.piece, fit)));
  }

  hide(): void {
    this.el.hidden = true;
  }

  focus(): void {
    if (this.isOpen) this.term.focus();
    else this.focusWanted = true;
  }

  /** True once xterm was opened (it sized itself to its pane). */
  get opened(): boolean {
    return this.isOpen;
  }

  /** Live output starting at `offset` in the session's whole output. */
  output(offset: number, bytes: Uint8Array): void {
    if (this.phase === 'live') this.take(offset, bytes);
    else if (this.phase === 'loading') this.held.push({ offset, bytes });
  }

  /** Writes what of `bytes` (at `offset`) lies past what the terminal has. */
  private take(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    if (this.through >= end) return; // the scrollback had it
    const skip = this.through > offset ? this.through - offset : 0;
    this.through = end;
    if (bytes.length > skip) this.write(skip ? bytes.subarray(skip) : bytes);
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
    if (this.el.hidden || !this.isOpen || !this.el.isConnected) return;
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
