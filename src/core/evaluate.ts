/**
 * Evaluation passes in inference mode (no augmentation, BatchNorm on running statistics, no mixup): accuracy of the
 * fused and unimodal heads, the scores behind rho, confusion matrices, and optionally the features z_a, z_v and
 * the fused representation of chosen clips for the UMAP maps.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchBuilder, disposeBatch } from './batches';
import type { ClipStore } from './dataset';
import { SplitEvaluation } from './imbalance';
import type { AVModel } from './model';

export interface CollectedFeatures {
  /** Positions (in the store) of the clips whose features were collected, in order. */
  indices: number[];
  audio: Float32Array;
  visual: Float32Array;
  fused: Float32Array;
  dims: { audio: number; visual: number; fused: number };
}

export interface EvaluationResult {
  evaluation: SplitEvaluation;
  features: CollectedFeatures | null;
}

/**
 * Runs the model over every clip of `store` in batches of `batchSize`. With `measureMeans` (the pass over the
 * training set) and `unimodal = mean`, the split's feature means are measured first in the same pass and set on
 * the model before its unimodal outputs are computed; other passes use the means already set.
 */
export async function evaluateSplit(
  model: AVModel,
  store: ClipStore,
  builder: BatchBuilder,
  batchSize: number,
  featureIndices: number[] | null = null,
  measureMeans = false,
  onBatch?: (done: number) => void,
): Promise<EvaluationResult> {
  const C = model.options.numClasses;
  const evaluation = new SplitEvaluation(C);
  const deferUnimodal = measureMeans && model.unimodalScore === 'mean';
  const pending: { labels: Int32Array; fused: Float32Array; za: tf.Tensor2D; zv: tf.Tensor2D }[] = [];
  let sums: { audio: tf.Tensor; visual: tf.Tensor } | null = null;
  const wanted = featureIndices ? new Set(featureIndices) : null;
  const rows: { index: number; a: Float32Array; v: Float32Array; f: Float32Array }[] = [];
  let dims = { audio: model.dim, visual: model.dim, fused: 0 };
  for (let start = 0; start < store.size; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, store.size - start) }, (_, i) => start + i);
    const batch = builder.batch(store, indices, null);
    const localWanted = wanted ? indices.map((idx, i) => (wanted.has(idx) ? i : -1)).filter((i) => i >= 0) : [];
    let fusedDim = 0;
    let kept: { za: tf.Tensor2D; zv: tf.Tensor2D } | null = null;
    const [logitsT, featsT] = tf.tidy(() => {
      const o = model.forward(batch.audio, batch.visual, { training: false });
      fusedDim = o.fused.shape[1];
      let all: tf.Tensor;
      if (deferUnimodal) {
        kept = { za: tf.keep(o.za), zv: tf.keep(o.zv) };
        const prev = sums as { audio: tf.Tensor; visual: tf.Tensor } | null;
        const sa = tf.sum(o.za, 0, true);
        const sv = tf.sum(o.zv, 0, true);
        sums = prev ? { audio: tf.keep(tf.add(sa, prev.audio)), visual: tf.keep(tf.add(sv, prev.visual)) } : { audio: tf.keep(sa), visual: tf.keep(sv) };
        if (prev) tf.dispose([prev.audio, prev.visual]);
        all = o.logits;
      } else {
        const uni = model.unimodal(o.za, o.zv);
        all = tf.concat([o.logits, uni.audio, uni.visual], 1);
      }
      if (localWanted.length === 0) return [all];
      const sel = tf.tensor1d(localWanted, 'int32');
      return [all, tf.concat([tf.gather(o.za, sel), tf.gather(o.zv, sel), tf.gather(o.fused, sel)], 1)];
    });
    disposeBatch(batch);
    const logits = (await logitsT.data()) as Float32Array;
    logitsT.dispose();
    const n = indices.length;
    if (kept) {
      const k = kept as { za: tf.Tensor2D; zv: tf.Tensor2D };
      pending.push({ labels: batch.labelValues, fused: logits, za: k.za, zv: k.zv });
    } else {
      const split = (k: number) => {
        const a = new Float32Array(n * C);
        for (let i = 0; i < n; i++) a.set(logits.subarray(i * 3 * C + k * C, i * 3 * C + (k + 1) * C), i * C);
        return a;
      };
      evaluation.add(batch.labelValues, { fused: split(0), audio: split(1), visual: split(2) });
    }
    if (featsT) {
      const f = (await featsT.data()) as Float32Array;
      featsT.dispose();
      dims = { audio: model.dim, visual: model.dim, fused: fusedDim };
      const width = dims.audio + dims.visual + dims.fused;
      localWanted.forEach((local, r) => {
        const row = f.subarray(r * width, (r + 1) * width);
        rows.push({
          index: indices[local],
          a: row.slice(0, dims.audio),
          v: row.slice(dims.audio, dims.audio + dims.visual),
          f: row.slice(dims.audio + dims.visual),
        });
      });
    }
    onBatch?.(start / batchSize + 1);
  }
  if (deferUnimodal && sums) {
    const s = sums as { audio: tf.Tensor; visual: tf.Tensor };
    model.setFeatureMeans(tf.tidy(() => ({ audio: tf.div(s.audio, store.size) as tf.Tensor2D, visual: tf.div(s.visual, store.size) as tf.Tensor2D })));
    tf.dispose([s.audio, s.visual]);
    for (const p of pending) {
      const uniT = tf.tidy(() => {
        const uni = model.unimodal(p.za, p.zv);
        return tf.concat([uni.audio, uni.visual], 1);
      });
      tf.dispose([p.za, p.zv]);
      const uni = (await uniT.data()) as Float32Array;
      uniT.dispose();
      const n = p.labels.length;
      const audio = new Float32Array(n * C);
      const visual = new Float32Array(n * C);
      for (let i = 0; i < n; i++) {
        audio.set(uni.subarray(i * 2 * C, i * 2 * C + C), i * C);
        visual.set(uni.subarray(i * 2 * C + C, (i + 1) * 2 * C), i * C);
      }
      evaluation.add(p.labels, { fused: p.fused, audio, visual });
    }
  }
  if (!featureIndices) return { evaluation, features: null };
  const pack = (k: 'a' | 'v' | 'f', d: number) => {
    const out = new Float32Array(rows.length * d);
    rows.forEach((r, i) => out.set(r[k], i * d));
    return out;
  };
  return {
    evaluation,
    features: { indices: rows.map((r) => r.index), audio: pack('a', dims.audio), visual: pack('v', dims.visual), fused: pack('f', dims.fused), dims },
  };
}
