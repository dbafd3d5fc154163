/** Bytes as the codec takes them, and the byte order of elements (the format is little-endian). */

/** Whether typed arrays on this machine are little-endian already (no swap needed). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte element in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

export function asBytes(x: Uint8Array | ArrayBuffer): Uint8Array {
  return x instanceof Uint8Array ? x : new Uint8Array(x);
}
