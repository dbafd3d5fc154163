/** Pixel layout conversions for decoded frames (canvas RGBA -> stored RGB or 2-channel flow). Pure. */

/** RGBA (canvas ImageData) -> RGB, written into `out` from `offset`. */
export function rgbaToRgb(rgba: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  const n = rgba.length >> 2;
  for (let i = 0, o = offset; i < n; i++, o += 3) {
    out[o] = rgba[4 * i];
    out[o + 1] = rgba[4 * i + 1];
    out[o + 2] = rgba[4 * i + 2];
  }
}

/**
 * Two grayscale flow images (RGBA, red channel read) -> interleaved 2-channel u, v, written from `offset`
 * (128 = no motion, as the JPEGs store it).
 */
export function flowToUv(uRgba: ArrayLike<number>, vRgba: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  if (uRgba.length !== vRgba.length) throw new Error(`flowToUv: u has ${uRgba.length} values, v has ${vRgba.length}`);
  const n = uRgba.length >> 2;
  for (let i = 0, o = offset; i < n; i++, o += 2) {
    out[o] = uRgba[4 * i];
    out[o + 1] = vRgba[4 * i];
  }
}
