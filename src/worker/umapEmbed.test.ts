import { describe, expect, it } from 'vitest';
import { Rng } from '../core/random';
import type { FeatureSnapshot } from '../core/events';
import { embed2d, embedSnapshot, toRows } from './umapEmbed';

/** n points per class around well separated centres in `dim` dimensions, with unit noise. */
function clusters(perClass: number, classes: number, dim: number, seed: number): { values: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const n = perClass * classes;
  const values = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < dim; j++) values[i * dim + j] = (j % classes === c ? 12 : 0) + rng.normal();
  }
  return { values, labels };
}

/** Fraction of points whose nearest other point in 2-D has the same label. */
function nearestNeighbourAgreement(coords: Float32Array, labels: Int32Array): number {
  const n = labels.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bestJ = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (coords[2 * i] - coords[2 * j]) ** 2 + (coords[2 * i + 1] - coords[2 * j + 1]) ** 2;
      if (d < best) {
        best = d;
        bestJ = j;
      }
    }
    if (labels[bestJ] === labels[i]) same++;
  }
  return same / n;
}

describe('embed2d', () => {
  it('keeps well separated classes apart', () => {
    const { values, labels } = clusters(30, 3, 16, 1);
    const coords = embed2d(values, labels.length, 16, 0);
    expect(coords).toHaveLength(labels.length * 2);
    expect(nearestNeighbourAgreement(coords, labels)).toBeGreaterThan(0.95);
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const { values, labels } = clusters(20, 2, 8, 2);
    const a = embed2d(values, labels.length, 8, 5);
    const b = embed2d(values, labels.length, 8, 5);
    const c = embed2d(values, labels.length, 8, 6);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('handles tiny inputs, empty features and non-finite values', () => {
    expect(Array.from(embed2d(new Float32Array([1, 2, 3, 4]), 2, 2, 0))).toEqual([0, 0, 1, 0]);
    expect(embed2d(new Float32Array(0), 0, 4, 0)).toHaveLength(0);
    expect(Array.from(embed2d(new Float32Array(0), 3, 0, 0))).toEqual([0, 0, 0, 0, 0, 0]);
    const { values, labels } = clusters(4, 2, 4, 3);
    values[0] = Number.NaN;
    const coords = embed2d(values, labels.length, 4, 0); // fewer points than 15 neighbours
    expect(coords.every(Number.isFinite)).toBe(true);
    expect(toRows(new Float32Array([1, Number.POSITIVE_INFINITY]), 1, 2)).toEqual([[1, 0]]);
    expect(() => toRows(new Float32Array(3), 2, 2)).toThrow(/expected 2 x 2 = 4 values, found 3/);
  });
});

describe('embedSnapshot', () => {
  it('embeds the three feature sets and carries labels and split', () => {
    const { values, labels } = clusters(10, 2, 6, 4);
    const n = labels.length;
    const split = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const snapshot: FeatureSnapshot = { epoch: 3, labels, split, audio: values, visual: values, fused: values, dims: { audio: 6, visual: 6, fused: 6 } };
    const e = embedSnapshot(snapshot, 1);
    expect(e.epoch).toBe(3);
    expect(Array.from(e.labels)).toEqual(Array.from(labels));
    expect(Array.from(e.split)).toEqual(Array.from(split));
    for (const m of [e.audio, e.visual, e.fused]) expect(m).toHaveLength(2 * n);
    // Same data and seed in every map: same coordinates (each map has its own generator).
    expect(Array.from(e.audio)).toEqual(Array.from(e.fused));
  });
});
