import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/testBackend';
import { BatchBuilder, IMAGENET_MEAN, IMAGENET_STD, randomResizedCropBox } from './batches';
import { ArrayClipStore } from './dataset';
import { trainingFrameIndices } from './frameIndices';
import { RGB_FLOW } from './modalities';
import { Rng } from './random';

const S = 8;
const N = 8;

/** Clips of constant frames: RGB (r, g, b) and flow (u, v), so any crop or resize leaves the values as they are. */
function store(): ArrayClipStore {
  const rgb = Array.from({ length: N }, (_, i) => [new Uint8Array(S * S * 3).map((_, p) => [10 + i, 100, 200][p % 3])]);
  const flow = Array.from({ length: N }, () => [0, 1].map(() => new Uint8Array(S * S * 2).map((_, p) => (p % 2 === 0 ? 200 : 60))));
  return new ArrayClipStore(Int32Array.from({ length: N }, (_, i) => i % 2), { rgb, flow });
}

describe('BatchBuilder with two frame branches (RGB + flow)', () => {
  const builder = new BatchBuilder({ input: { audioHeight: 8, audioWidth: 8, visualSize: S, frames: 2 }, stored: { audioHeight: 0, audioWidth: 0, frameSize: S, modalities: RGB_FLOW }, numClasses: 2 });

  it('gives both branches frames [B, T, S, S, C], RGB normalised with ImageNet statistics and flow to [-1, 1]', async () => {
    await useBackend('cpu');
    const b = builder.batch(store(), [0, 3], null);
    expect(b.audio.shape).toEqual([2, 2, S, S, 3]);
    expect(b.visual.shape).toEqual([2, 2, S, S, 2]);
    const rgb = await b.audio.data();
    expect(rgb[0]).toBeCloseTo((10 - IMAGENET_MEAN[0] * 255) / (IMAGENET_STD[0] * 255), 5);
    // Clip 3 (the second row) starts after T = 2 frames of S x S x 3: red 13, green 100.
    expect(rgb[2 * S * S * 3]).toBeCloseTo((13 - IMAGENET_MEAN[0] * 255) / (IMAGENET_STD[0] * 255), 5);
    expect(rgb[2 * S * S * 3 + 1]).toBeCloseTo((100 - IMAGENET_MEAN[1] * 255) / (IMAGENET_STD[1] * 255), 5);
    const flow = await b.visual.data();
    expect([flow[0], flow[1]].map((x) => Number(x.toFixed(5)))).toEqual([Number((200 / 127.5 - 1).toFixed(5)), Number((60 / 127.5 - 1).toFixed(5))]);
    tf.dispose([b.audio, b.visual, b.labels, b.oneHot]);
  });

  it('negates u of a horizontally flipped flow frame and keeps v; RGB draws first, then flow draws its own', async () => {
    await useBackend('cpu');
    const seed = 11;
    const b = builder.batch(store(), Array.from({ length: N }, (_, i) => i), { augment: new Rng(seed), frames: new Rng(seed + 1) });
    // The same draws by hand: the RGB branch's frame indices and boxes + flips first, then the flow branch's.
    const augment = new Rng(seed);
    const frames = new Rng(seed + 1);
    for (let i = 0; i < N; i++) trainingFrameIndices(1, 2, frames);
    for (let i = 0; i < N; i++) {
      randomResizedCropBox(S, S, augment);
      augment.uniform();
    }
    const flips: boolean[] = [];
    for (let i = 0; i < N; i++) {
      randomResizedCropBox(S, S, augment);
      flips.push(augment.uniform() < 0.5);
    }
    expect(new Set(flips).size, 'both outcomes among the clips').toBe(2);
    const flow = await b.visual.data();
    const u = 200 / 127.5 - 1;
    const v = 60 / 127.5 - 1;
    for (let i = 0; i < N; i++) {
      const at = i * 2 * S * S * 2 + 5 * 2;
      expect(flow[at], `clip ${i} u`).toBeCloseTo(flips[i] ? -u : u, 5);
      expect(flow[at + 1], `clip ${i} v`).toBeCloseTo(v, 5);
    }
    tf.dispose([b.audio, b.visual, b.labels, b.oneHot]);
  });
});
