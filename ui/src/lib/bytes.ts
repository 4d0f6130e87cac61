// PTY bytes travel as binary frames (the WebSocket, the desktop channel), as
// raw bytes (`GET /api/scrollback`), or as base64 in JSON (`readScrollback`).

function binaryToBytes(bin: string): Uint8Array {
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

type FromBase64 = (b64: string) => Uint8Array;
const fromBase64 = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;

/** Base64 to bytes: natively where the engine has `Uint8Array.fromBase64` (several times faster on megabytes). */
export function base64ToBytes(b64: string): Uint8Array {
  return typeof fromBase64 === 'function' ? fromBase64.call(Uint8Array, b64) : binaryToBytes(atob(b64));
}

/** The first byte of a binary output frame (`OUTPUT_FRAME` in the protocol crate). */
const OUTPUT_FRAME = 1;

/**
 * Reads a binary output frame: kind (1 byte), offset (u64 little-endian), id
 * length (1 byte), session id, then the data. Null for anything else.
 */
export function parseOutputFrame(frame: Uint8Array): { session: string; offset: number; bytes: Uint8Array } | null {
  if (frame.length < 10 || frame[0] !== OUTPUT_FRAME) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const offset = Number(view.getBigUint64(1, true));
  const n = view.getUint8(9);
  if (frame.length < 10 + n) return null;
  const session = String.fromCharCode(...frame.subarray(10, 10 + n));
  return { session, offset, bytes: frame.subarray(10 + n) };
}

/** A disk size for people: `512 B`, `12 KB`, `3.4 MB`, `1.2 GB` (powers of 1024). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)} ${units[i]}`;
}
