/**
 * Drawing a 2-D embedding on a canvas: fitting the coordinates into the box (same scale on both axes, so
 * distances are not distorted) and painting train clips as filled dots, test clips as rings.
 */
import { classColor } from './palette';

export interface Box {
  width: number;
  height: number;
  pad: number;
}

/**
 * Canvas pixel positions of flat [n, 2] coordinates, centred, one scale for both axes. Points with non-finite
 * coordinates are NaN and not drawn.
 */
export function fitToBox(coords: Float32Array, box: Box): Float32Array {
  const n = coords.length / 2;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i];
    const y = coords[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const out = new Float32Array(coords.length).fill(Number.NaN);
  if (minX > maxX) return out;
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  const innerW = Math.max(1, box.width - 2 * box.pad);
  const innerH = Math.max(1, box.height - 2 * box.pad);
  const scale = Math.min(spanX > 0 ? innerW / spanX : Infinity, spanY > 0 ? innerH / spanY : Infinity);
  const s = Number.isFinite(scale) ? scale : 0;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i];
    const y = coords[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    out[2 * i] = box.width / 2 + (x - cx) * s;
    // Canvas y grows downwards; flip so the map reads like a plot.
    out[2 * i + 1] = box.height / 2 - (y - cy) * s;
  }
  return out;
}

/** Number of points with finite positions (what gets drawn). */
export function drawableCount(pixels: Float32Array): number {
  let n = 0;
  for (let i = 0; i < pixels.length; i += 2) if (Number.isFinite(pixels[i]) && Number.isFinite(pixels[i + 1])) n++;
  return n;
}

/**
 * Paints the map from `fitToBox` positions; `highlight` (a class index) dims the other classes. Returns the
 * number of points drawn (= `drawableCount(px)`).
 */
export function drawEmbedding(
  ctx: CanvasRenderingContext2D,
  px: Float32Array,
  labels: Int32Array,
  split: Uint8Array,
  box: Box,
  highlight: number | null = null,
): number {
  ctx.clearRect(0, 0, box.width, box.height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, box.width, box.height);
  const n = labels.length;
  let drawn = 0;
  // Train first, test on top: the test rings stay visible over the denser train cloud.
  for (const pass of [0, 1]) {
    for (let i = 0; i < n; i++) {
      if ((split[i] === 1 ? 1 : 0) !== pass) continue;
      const x = px[2 * i];
      const y = px[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const color = classColor(labels[i]);
      ctx.globalAlpha = highlight === null || highlight === labels[i] ? 0.85 : 0.12;
      ctx.beginPath();
      ctx.arc(x, y, pass === 0 ? 2.6 : 3.2, 0, Math.PI * 2);
      if (pass === 0) {
        ctx.fillStyle = color;
        ctx.fill();
      } else {
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.4;
        ctx.stroke();
      }
      drawn++;
    }
  }
  ctx.globalAlpha = 1;
  return drawn;
}
