// How the UI talks to the engine. Inside the Tauri window: two commands and an
// ipc::Channel. In a browser against `airlock serve`: POST /api/call and a
// WebSocket at /api/events, both authorised by the token from the page's URL.

import { Channel, invoke } from '@tauri-apps/api/core';
import { base64ToBytes, parseOutputFrame } from '../lib/bytes';
import type { ErrorCode, Event, IpcError, Replies, Reply, Request, Response } from './bindings';

/** Terminal output with its raw bytes, however the wire carried them. */
export interface OutputBytes {
  type: 'output';
  session: string;
  /** Offset of the first byte in the session's whole output. */
  offset: number;
  bytes: Uint8Array;
}

/** What a transport hands the app: every engine `Event`, with output as bytes. */
export type Incoming = Exclude<Event, { type: 'output' }> | OutputBytes;

/** An `Event` as JSON has it, with output's base64 decoded. */
function incoming(e: Event): Incoming {
  return e.type === 'output' ? { type: 'output', session: e.session, offset: e.offset, bytes: base64ToBytes(e.data) } : e;
}

/** A session's kept output and where it ends in the session's whole output. */
export interface Scrollback {
  /** The output offset just past the last kept byte. */
  end: number;
  /**
   * The kept bytes, in pieces as they arrive (a multi-megabyte scrollback is
   * never one buffer the page must assemble first). Throws an EngineError if
   * the stream breaks off.
   */
  pieces: AsyncIterable<Uint8Array>;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

/** Whether events are flowing. The app re-fetches its state on every `up`. */
/** The event stream: `refused` when the engine no longer takes this page's token (it restarted). */
export type Link = 'up' | 'down' | 'refused';

/** The engine's reply to `R`: the `Response` variant `Replies` names for its `op` (the engine checks it keeps to that). */
export type ReplyTo<R extends Request> = Replies[R['op']];

export interface Transport {
  /** Which implementation, for diagnostics. */
  readonly kind: 'tauri' | 'browser';
  /** Sends one request; resolves with the engine's answer, or throws an {@link EngineError}. */
  call<R extends Request>(req: R): Promise<ReplyTo<R>>;
  /** A session's scrollback as bytes, and the output offset of its end (`readScrollback`). */
  readScrollback(session: string): Promise<Scrollback>;
  /**
   * Starts delivering engine events. `onLink` reports the event stream going
   * up (first connect and every reconnect) and down.
   */
  subscribe(onEvent: (e: Incoming) => void, onLink?: (link: Link) => void): void;
}

/** A response body's chunks; stopping early cancels the rest. */
async function* streamed(body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new EngineError('unreachable', `The scrollback broke off: ${String(err)}`);
      }
      if (chunk.done) {
        done = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    if (!done) void reader.cancel().catch(() => {});
  }
}

/** A failed call: the engine's `IpcError`, or `unreachable` when no answer came. */
export class EngineError extends Error {
  readonly code: ErrorCode | 'unreachable';

  constructor(code: ErrorCode | 'unreachable', message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }

  static from(err: IpcError): EngineError {
    return new EngineError(err.code, err.message);
  }
}

export const UNREACHABLE = 'Engine not reachable — is `airlock serve` still running?';

function unwrap(reply: Reply): Response {
  if ('ok' in reply) return reply.ok;
  throw EngineError.from(reply.error);
}

function isIpcError(v: unknown): v is IpcError {
  return typeof v === 'object' && v !== null && 'code' in v && 'message' in v;
}

function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && ('ok' in v || 'error' in v);
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** Picks the transport for where the page runs. */
export function createTransport(): Transport {
  return window.__TAURI_INTERNALS__ !== undefined ? new TauriTransport() : new BrowserTransport();
}

/** Calls one of the shell's commands; a failure becomes an {@link EngineError}. */
async function command(name: string, args: Record<string, unknown>): Promise<unknown> {
  try {
    return await invoke<unknown>(name, args);
  } catch (err) {
    // A command that returns Err(IpcError) rejects with it.
    if (isIpcError(err)) throw EngineError.from(err);
    throw new EngineError('internal', `The desktop shell failed: ${String(err)}`);
  }
}

class TauriTransport implements Transport {
  readonly kind = 'tauri' as const;

  async call<R extends Request>(request: R): Promise<ReplyTo<R>> {
    const reply = await command('call_engine', { request });
    if (!isReply(reply)) throw new EngineError('internal', 'The desktop shell sent an unexpected reply.');
    return unwrap(reply) as ReplyTo<R>;
  }

  /** `read_scrollback`: the end offset (u64, little-endian), then the raw bytes; no base64, no JSON. */
  async readScrollback(session: string): Promise<Scrollback> {
    const body = await command('read_scrollback', { session });
    if (!(body instanceof ArrayBuffer) || body.byteLength < 8) {
      throw new EngineError('internal', 'The desktop shell sent a scrollback without its end offset.');
    }
    const end = Number(new DataView(body).getBigUint64(0, true));
    return { pieces: once(new Uint8Array(body, 8)), end };
  }

  subscribe(onEvent: (e: Incoming) => void, onLink?: (link: Link) => void): void {
    // Events come as JSON, output as binary frames (see `output_frame` in the
    // protocol crate). The shell sends output only while this window is less
    // than a few megabytes behind: saying what it took keeps it coming.
    const channel = new Channel<Event | ArrayBuffer>();
    let taken = 0;
    let told = 0;
    channel.onmessage = (m) => {
      if (!(m instanceof ArrayBuffer)) {
        onEvent(incoming(m));
        return;
      }
      taken += m.byteLength;
      const output = parseOutputFrame(new Uint8Array(m));
      if (output) onEvent({ type: 'output', ...output });
      else console.warn('ignoring a malformed binary frame', m.byteLength);
      if (taken - told >= ACK_EVERY) {
        told = taken;
        invoke('ack_output', { channel: channel.id, taken }).catch((err: unknown) => console.error('ack_output failed', err));
      }
    };
    invoke('subscribe_events', { onEvent: channel }).then(
      () => onLink?.('up'),
      (err: unknown) => {
        onLink?.('down');
        console.error('subscribe_events failed', err);
      },
    );
  }
}

/** Output bytes the window takes between two `ack_output` calls (the shell lets 8 MiB run ahead). */
const ACK_EVERY = 1024 * 1024;

const TOKEN_KEY = 'airlock.token';

/** Takes the token from `?token=` (then hides it from the address bar), or from this tab's storage. */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage may be disabled; the token still lives in memory for this page.
    }
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

class BrowserTransport implements Transport {
  readonly kind = 'browser' as const;
  private readonly token = takeToken();
  private readonly callUrl = new URL('api/call', document.baseURI).href;
  private readonly scrollbackUrl = new URL('api/scrollback', document.baseURI).href;

  async call<R extends Request>(request: R): Promise<ReplyTo<R>> {
    let res: globalThis.Response;
    try {
      res = await fetch(this.callUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
        body: JSON.stringify(request),
      });
    } catch {
      throw new EngineError('unreachable', UNREACHABLE);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EngineError('internal', `The engine answered HTTP ${res.status}: ${text.slice(0, 200) || res.statusText}`);
    }
    if (!isReply(body)) throw new EngineError('internal', `The engine answered HTTP ${res.status} with an unexpected body.`);
    if (res.status === 401 && 'error' in body && !this.token) {
      throw new EngineError('unauthorized', 'This page has no access token. Open the URL that `airlock serve` printed (it ends in ?token=…).');
    }
    return unwrap(body) as ReplyTo<R>;
  }

  /** Raw bytes from `GET /api/scrollback`, streamed: no base64, no JSON to parse. */
  async readScrollback(session: string): Promise<Scrollback> {
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.scrollbackUrl}?session=${encodeURIComponent(session)}`, {
        headers: { Authorization: `Bearer ${this.token}` },
      });
    } catch {
      throw new EngineError('unreachable', UNREACHABLE);
    }
    if (!res.ok) {
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: said below with the status.
      }
      if (isReply(body) && 'error' in body) throw EngineError.from(body.error);
      throw new EngineError('internal', `The engine answered HTTP ${res.status}: ${text.slice(0, 200) || res.statusText}`);
    }
    const end = Number(res.headers.get('x-airlock-end'));
    if (!res.body || !Number.isSafeInteger(end)) throw new EngineError('internal', 'The engine sent a scrollback without its end offset.');
    return { pieces: streamed(res.body), end };
  }

  /** True when an engine answers here and refuses this page's token. */
  private async tokenRefused(): Promise<boolean> {
    try {
      const res = await fetch(this.callUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ op: 'status' }),
      });
      return res.status === 401;
    } catch {
      return false;
    }
  }

  subscribe(onEvent: (e: Incoming) => void, onLink?: (link: Link) => void): void {
    const url = new URL('api/events', document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', this.token);
    let delay = 250;
    let state: Link | null = null;
    const report = (link: Link) => {
      if (state === link) return;
      state = link;
      onLink?.(link);
    };
    const connect = () => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url.href);
      } catch {
        report('down');
        setTimeout(connect, delay);
        return;
      }
      ws.onopen = () => {
        delay = 250;
        report('up');
      };
      // Output comes as binary frames (see `output_frame` in the protocol crate), the rest as JSON.
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (msg: MessageEvent<unknown>) => {
        if (msg.data instanceof ArrayBuffer) {
          const output = parseOutputFrame(new Uint8Array(msg.data));
          if (output) onEvent({ type: 'output', ...output });
          else console.warn('ignoring a malformed binary frame', msg.data.byteLength);
          return;
        }
        if (typeof msg.data !== 'string') return;
        let event: Event;
        try {
          event = JSON.parse(msg.data) as Event;
        } catch {
          console.warn('ignoring a malformed event', msg.data);
          return;
        }
        onEvent(incoming(event));
      };
      ws.onclose = () => {
        // A browser never says why a WebSocket was refused: ask over HTTP. An
        // engine that started again has a new token, so this page's is dead.
        void this.tokenRefused().then((refused) => {
          if (refused) {
            report('refused');
            return;
          }
          report('down');
          setTimeout(connect, delay);
          delay = Math.min(delay * 2, 5000);
        });
      };
    };
    connect();
  }
}
