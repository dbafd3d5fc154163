/**
 * The validation split: a part of the training clips held out (stratified per class, seeded by the run's seed
 * through its own generator, so the training stream of random numbers is the same with and without it) and never
 * trained on. With it, "best" accuracy is the test accuracy at the epoch with the best validation accuracy
 * (`results.ts`) instead of the maximum over test epochs, which picks the epoch on the test set itself.
 *
 * The rule: per class, `round(fraction * n_c)` clips (at least 1 where the class has 2 or more and fraction > 0),
 * chosen by a permutation of the class's clips; both splits keep the original clip order.
 */
import type { ClipStore } from './dataset';
import type { FrameKind } from './modalities';
import { Rng } from './random';

/** Salt of the split's generator: seed -> seed ^ salt, apart from the training stream. */
const SPLIT_SALT = 0x5eed5a17;

/** Positions (ascending) of the held-out clips and of the clips left for training. */
export function holdOut(labels: Int32Array, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (!(fraction > 0)) return { train: Array.from(labels.keys()), val: [] };
  const rng = new Rng((seed ^ SPLIT_SALT) >>> 0);
  const byClass = new Map<number, number[]>();
  labels.forEach((c, i) => {
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  });
  const held = new Set<number>();
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const clips = byClass.get(c)!;
    const k = clips.length >= 2 ? Math.min(clips.length - 1, Math.max(1, Math.round(fraction * clips.length))) : 0;
    const order = rng.permutation(clips.length);
    for (let j = 0; j < k; j++) held.add(clips[order[j]]);
  }
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < labels.length; i++) (held.has(i) ? val : train).push(i);
  return { train, val };
}

/** A view of some clips of a store, in the given order. */
export class SubsetClipStore implements ClipStore {
  readonly size: number;
  readonly labels: Int32Array;

  constructor(
    private readonly base: ClipStore,
    private readonly indices: readonly number[],
  ) {
    this.size = indices.length;
    this.labels = Int32Array.from(indices, (i) => base.labels[i]);
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    this.base.readAudio(this.indices[i], out, offset);
  }

  frameCount(i: number, kind: FrameKind): number {
    return this.base.frameCount(this.indices[i], kind);
  }

  readFrame(i: number, j: number, kind: FrameKind): Uint8Array {
    return this.base.readFrame(this.indices[i], j, kind);
  }
}
