// Shared by the terminal tests and benchmarks: `/api/call` requests, a small
// WebSocket client for `/api/events` (Node 20 has no global WebSocket without
// a flag, and a hand-rolled reader is cheap enough to keep up with a PTY at
// full speed), and helpers to run short Python programs.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';

/** Keep-alive connections for `/api/call`, so a stream of requests reuses sockets. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * `POST /api/call` with `request`; resolves with the `ok` Response, throws
 * with the request and the whole reply when the engine answers an error.
 */
export function call(engine, request, ms = 15_000) {
  const url = new URL('/api/call', engine.origin);
  const body = JSON.stringify(request);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          Authorization: `Bearer ${engine.token}`,
        },
        timeout: ms,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let reply;
          try {
            reply = JSON.parse(text);
          } catch {
            reject(new Error(`${request.op}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 500)}`));
            return;
          }
          if (reply.ok) resolve(reply.ok);
          else reject(new Error(`${body.slice(0, 300)} → HTTP ${res.statusCode} ${text.slice(0, 1000)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ms / 1000} s to ${body.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Opens `ws://…/api/events?token=…`. `onEvent(event)` gets every Event: JSON
 * text parsed, and terminal output's binary frames (see `output_frame` in the
 * protocol crate) as `{ type: 'output', session, offset, bytes: Buffer }`.
 * `onRaw(text)`, when given, gets each JSON text unparsed. Resolves once the upgrade is done with
 * `{ close(), closed: Promise<{code, reason, byUs}> , bytes() }`.
 */
export function openEvents(engine, { onEvent, onRaw } = {}) {
  const url = new URL(`/api/events?token=${encodeURIComponent(engine.token)}`, engine.origin);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
      },
    });
    req.on('response', (res) => reject(new Error(`the event socket was refused: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket, head) => {
      socket.setNoDelay(true);
      let buf = head && head.length ? head : Buffer.alloc(0);
      let fragments = [];
      let fragOpcode = 0;
      let wireBytes = 0;
      let byUs = false;
      let closeInfo = null;
      let resolveClosed;
      const closed = new Promise((r) => (resolveClosed = r));

      const send = (opcode, payload = Buffer.alloc(0)) => {
        // Client frames must be masked (RFC 6455 §5.3).
        const mask = randomBytes(4);
        const len = payload.length;
        const header = len < 126 ? Buffer.alloc(6) : Buffer.alloc(8);
        header[0] = 0x80 | opcode;
        if (len < 126) {
          header[1] = 0x80 | len;
          mask.copy(header, 2);
        } else {
          header[1] = 0x80 | 126;
          header.writeUInt16BE(len, 2);
          mask.copy(header, 4);
        }
        const masked = Buffer.alloc(len);
        for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
        if (!socket.destroyed) socket.write(Buffer.concat([header, masked]));
      };

      const deliver = (opcode, payload) => {
        if (opcode === 1) {
          const text = payload.toString('utf8');
          if (onRaw) onRaw(text);
          if (onEvent) onEvent(JSON.parse(text));
        } else if (opcode === 2 && onEvent) {
          const output = parseOutputFrame(payload);
          if (!output) throw new Error(`a binary frame that is not output (${payload.length} bytes, kind ${payload[0]})`);
          onEvent({ type: 'output', ...output });
        }
      };

      // parse() consumes whole frames from `buf` and returns how many bytes
      // the next frame needs; data is only joined once that much has arrived
      // (joining on every chunk would copy a 1 MB frame dozens of times).
      let need = 2;
      let pending = [];
      let pendingLen = 0;
      const parse = () => {
        for (;;) {
          if (buf.length < 2) return 2;
          const b0 = buf[0];
          const b1 = buf[1];
          let len = b1 & 0x7f;
          let at = 2;
          if (len === 126) {
            if (buf.length < 4) return 4;
            len = buf.readUInt16BE(2);
            at = 4;
          } else if (len === 127) {
            if (buf.length < 10) return 10;
            len = Number(buf.readBigUInt64BE(2));
            at = 10;
          }
          const masked = (b1 & 0x80) !== 0;
          let maskKey = null;
          if (masked) {
            if (buf.length < at + 4) return at + 4;
            maskKey = buf.subarray(at, at + 4);
            at += 4;
          }
          if (buf.length < at + len) return at + len;
          let payload = buf.subarray(at, at + len);
          if (maskKey) {
            payload = Buffer.from(payload);
            for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i & 3];
          }
          buf = buf.subarray(at + len);
          const fin = (b0 & 0x80) !== 0;
          const opcode = b0 & 0x0f;
          if (opcode === 8) {
            const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
            closeInfo = { code, reason: payload.subarray(2).toString('utf8'), byUs };
            if (!byUs) send(8, payload.subarray(0, 2));
            socket.end();
            return Infinity;
          }
          if (opcode === 9) {
            send(10, Buffer.from(payload));
            continue;
          }
          if (opcode === 10) continue;
          if (opcode === 0) {
            fragments.push(Buffer.from(payload));
            if (fin) {
              const whole = Buffer.concat(fragments);
              fragments = [];
              deliver(fragOpcode, whole);
            }
            continue;
          }
          if (!fin) {
            fragOpcode = opcode;
            fragments = [Buffer.from(payload)];
            continue;
          }
          deliver(opcode, payload);
        }
      };

      const onData = (chunk) => {
        wireBytes += chunk.length;
        pending.push(chunk);
        pendingLen += chunk.length;
        if (buf.length + pendingLen < need) return;
        buf = Buffer.concat(buf.length ? [buf, ...pending] : pending);
        pending = [];
        pendingLen = 0;
        try {
          need = parse();
        } catch (err) {
          socket.destroy(err);
        }
      };
      socket.on('data', onData);
      socket.on('error', () => {});
      socket.on('close', () => resolveClosed(closeInfo || { code: 1006, reason: 'socket closed without a close frame', byUs }));
      if (buf.length) {
        // Bytes that came with the upgrade response: feed them like any chunk.
        const first = buf;
        buf = Buffer.alloc(0);
        onData(first);
      }
      resolve({
        closed,
        bytes: () => wireBytes,
        isOpen: () => !socket.destroyed && closeInfo === null,
        close() {
          byUs = true;
          send(8, Buffer.from([0x03, 0xe8]));
          setTimeout(() => socket.destroy(), 500).unref();
          return closed;
        },
      });
    });
    req.end();
  });
}

/** A binary output frame's parts, or null: kind 1, u64 LE offset, id length, id, data. */
export function parseOutputFrame(frame) {
  if (frame.length < 10 || frame[0] !== 1) return null;
  const n = frame[9];
  if (frame.length < 10 + n) return null;
  return {
    session: frame.subarray(10, 10 + n).toString('latin1'),
    offset: Number(frame.readBigUInt64LE(1)),
    bytes: frame.subarray(10 + n),
  };
}

/**
 * Per-session bookkeeping of output: counts bytes, checks that each frame
 * starts where the previous one ended, and optionally hashes or keeps the
 * bytes. `feed(offset, bytes)` takes an output event's offset and bytes.
 */
export class OutputTrack {
  constructor({ hash = null, keep = false } = {}) {
    this.bytes = 0;
    this.frames = 0;
    this.next = null; // offset the next frame should start at
    this.first = null; // offset of the first frame seen
    this.gaps = []; // { expected, got }
    this.hash = hash;
    this.kept = keep ? [] : null;
    this.firstAt = null;
    this.lastAt = null;
  }

  feed(offset, data) {
    const now = performance.now();
    if (this.firstAt === null) this.firstAt = now;
    this.lastAt = now;
    if (this.first === null) this.first = offset;
    if (this.next !== null && offset !== this.next && this.gaps.length < 20) {
      this.gaps.push({ expected: this.next, got: offset });
    }
    this.next = offset + data.length;
    this.bytes += data.length;
    this.frames++;
    if (this.hash) this.hash.update(data);
    // The frame's buffer is the socket's: keep a copy.
    if (this.kept) this.kept.push(Buffer.from(data));
  }

  text() {
    return this.kept ? Buffer.concat(this.kept).toString('utf8') : '';
  }
}

/** Resident set size of a process in KiB (VmRSS), or null when it is gone. */
export function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Writes a text file of `bytes` (rounded up to whole lines) with printable lines; returns { bytes, lines }. */
export function makeTextFile(path, bytes) {
  const out = execFileSync(
    'python3',
    [
      '-c',
      `
import sys
path, want = sys.argv[1], int(sys.argv[2])
filler = "the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ"
written = lines = 0
with open(path, "wb", buffering=1 << 20) as f:
    while written < want:
        block = "".join("%09d %s\\n" % (lines + i, filler) for i in range(10000)).encode()
        f.write(block)
        written += len(block)
        lines += 10000
print(written, lines)
`,
      path,
      String(bytes),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const [b, l] = out.trim().split(/\s+/).map(Number);
  return { bytes: b, lines: l };
}

/** Formats a markdown table from a header row and rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Parses `--name value` and `--flag` arguments. */
export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const name = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[name] = argv[++i];
    else out[name] = true;
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One event socket that sorts Output events into an OutputTrack per session
 * (made by `makeTrack(id)`), and records sessionExited events. Events may
 * arrive before the startSession reply does, so nothing is filtered by id.
 */
export async function watchSessions(engine, makeTrack = () => new OutputTrack({ keep: true })) {
  const tracks = new Map();
  const exits = new Map();
  const exitWaiters = [];
  const track = (id) => {
    let t = tracks.get(id);
    if (!t) tracks.set(id, (t = makeTrack(id)));
    return t;
  };
  const ws = await openEvents(engine, {
    onEvent(ev) {
      if (ev.type === 'output') {
        const t = track(ev.session);
        if (exits.has(ev.session)) t.afterExit = (t.afterExit || 0) + ev.bytes.length;
        t.feed(ev.offset, ev.bytes);
      } else if (ev.type === 'sessionExited') {
        exits.set(ev.session, { exitCode: ev.exitCode, at: performance.now() });
        for (const w of exitWaiters.splice(0)) w();
      }
    },
  });
  let droppedBy = null;
  ws.closed.then((c) => {
    if (!c.byUs) droppedBy = c;
    for (const w of exitWaiters.splice(0)) w();
  });
  return {
    ws,
    tracks,
    exits,
    track,
    /** The close frame when the engine closed the socket on us (it does when a client lags). */
    dropped: () => droppedBy,
    /** Resolves with { exitCode } once `id` exits; fails after `ms` saying `what`. */
    async waitExit(id, ms, what = `session ${id} exits`) {
      const deadline = Date.now() + ms;
      while (!exits.has(id)) {
        if (droppedBy) throw new Error(`the engine closed the event socket (${JSON.stringify(droppedBy)}) while waiting: ${what}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`not seen within ${ms / 1000} s: ${what}`);
        await new Promise((r) => {
          const timer = setTimeout(r, Math.min(left, 200));
          exitWaiters.push(() => {
            clearTimeout(timer);
            r();
          });
        });
      }
      return exits.get(id);
    },
    close: () => ws.close(),
  };
}
