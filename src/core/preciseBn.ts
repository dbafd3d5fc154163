/**
 * Precise BatchNorm statistics (METHOD.md section 8): before an epoch's evaluation passes, every BatchNorm layer's
 * running mean and variance are replaced by the average of its batch statistics over the clean training set:
 * training clips in split order, batches of the training batch size, evaluation transforms (T evenly spaced
 * frames, plain resize), no mixing, forward in training mode without gradients. Each batch weighs the same (a
 * last batch of one clip is skipped: it has no variance). This is what `torch.optim.swa_utils.update_bn` does
 * (momentum None, cumulative average), and the PyTorch twin (`python/bmm_lab/bnstats.py`) does the same;
 * `num_batches_tracked` is left as training counted it.
 *
 * Why: with few steps per epoch (11 on the demo) and inputs whose statistics move (B-MM mixes the weak input),
 * the momentum-0.1 running averages lag the weights; evaluation on them collapsed the demo's test accuracy to
 * chance right after B-MM's warm-up while the same weights on recomputed statistics did not.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchBuilder, disposeBatch } from './batches';
import type { ClipStore } from './dataset';
import type { AVModel } from './model';
import type { BnUpdate } from './resnet';

/** Batches the recomputation runs over a store of `size` clips (a last batch of one clip is skipped). */
export function bnStatsBatches(size: number, batchSize: number): number {
  const full = Math.floor(size / batchSize);
  return full + (size % batchSize >= 2 ? 1 : 0);
}

/**
 * Recomputes the running statistics of every BatchNorm layer of `model` over `store` (see the module doc).
 * `onBatch(done)` follows each batch once the device has computed it.
 */
export async function recomputeBnStats(model: AVModel, store: ClipStore, builder: BatchBuilder, batchSize: number, onBatch?: (done: number) => void): Promise<void> {
  const sums = new Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>();
  let batches = 0;
  for (let start = 0; start < store.size; start += batchSize) {
    const size = Math.min(batchSize, store.size - start);
    if (size < 2) break;
    const indices = Array.from({ length: size }, (_, i) => start + i);
    const batch = builder.batch(store, indices, null);
    const updates: BnUpdate[] = [];
    tf.tidy(() => {
      model.forward(batch.audio, batch.visual, { training: true, bnUpdates: updates });
    });
    disposeBatch(batch);
    for (const u of updates) {
      const prev = sums.get(u.name);
      if (prev) {
        sums.set(u.name, { mean: tf.add(prev.mean, u.mean), variance: tf.add(prev.variance, u.varUnbiased) });
        tf.dispose([prev.mean, prev.variance, u.mean, u.varUnbiased]);
      } else {
        sums.set(u.name, { mean: u.mean, variance: u.varUnbiased });
      }
    }
    batches++;
    if (onBatch) {
      // One small read per batch: the progress follows the device, not the queue of commands.
      const first = sums.values().next().value;
      if (first) await first.mean.data();
      onBatch(batches);
    }
  }
  if (batches === 0) return;
  tf.tidy(() => {
    for (const [name, s] of sums) {
      model.params.get(`${name}.running_mean`).assign(tf.div(s.mean, batches));
      model.params.get(`${name}.running_var`).assign(tf.div(s.variance, batches));
    }
  });
  for (const s of sums.values()) tf.dispose([s.mean, s.variance]);
}
