// PTY bytes travel as base64. `atob` yields a "binary string" (one char per byte),
// which is also what the terminal de-duplication compares, so keep both forms handy.

export function base64ToBinary(b64: string): string {
  return atob(b64);
}

export function binaryToBytes(bin: string): Uint8Array {
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

/** Bytes to a binary string (one char per byte), in slices small enough for `fromCharCode`. */
export function bytesToBinary(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
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
