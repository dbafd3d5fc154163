/**
 * Which frames a clip keeps: one per second of the clip (METHOD.md section 1), then at most `maxFrames` of those,
 * evenly spaced, so memory stays bounded for long clips.
 */

/**
 * Times of the 1 fps frames of a video whose frames span [first, end) seconds: first + k for k = 0, 1, ... while
 * first + k < end (at least one). The frame shown at each time is the last one starting at or before it; this is
 * what `ffmpeg -vf "select='isnan(prev_selected_t)+gte(t-prev_selected_t,1)'"` picks on a constant frame rate.
 */
export function oneFpsTimestamps(first: number, end: number): number[] {
  const span = end - first;
  const n = Number.isFinite(span) && span > 1e-6 ? Math.ceil(span - 1e-6) : 1;
  return Array.from({ length: n }, (_, k) => first + k);
}

/**
 * `k` indices out of `n`, evenly spaced and in order: floor((i + 0.5) * n / k) (the middle one for k = 1, all of
 * them for k >= n).
 */
export function evenlySpaced(n: number, k: number): number[] {
  if (n <= 0) return [];
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const kk = Math.max(1, Math.floor(k));
  return Array.from({ length: kk }, (_, i) => Math.floor(((i + 0.5) * n) / kk));
}

/**
 * Indices of 1 fps frames in a sequence of frames at `fps` (precomputed flow): round(j * fps) for each second j
 * while that frame exists (at least the first).
 */
export function oneFpsIndices(frameCount: number, fps: number): number[] {
  if (frameCount <= 0) return [];
  const step = fps > 0 && Number.isFinite(fps) ? fps : 25;
  const out: number[] = [];
  for (let j = 0; ; j++) {
    const i = Math.round(j * step);
    if (i >= frameCount) break;
    out.push(i);
  }
  return out;
}

/** The ffmpeg `-vf` that keeps the frames at 1 fps (see oneFpsTimestamps) and scales them to S x S. */
export function oneFpsScaleFilter(size: number): string {
  return `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,1)',scale=${size}:${size}:flags=area`;
}
