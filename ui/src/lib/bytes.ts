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

export function base64ToBytes(b64: string): Uint8Array {
  return binaryToBytes(atob(b64));
}
