/**
 * G-Blending, gradient blending (Wang, Tran & Feiszli, "What Makes Training Multi-Modal Classification Networks
 * Hard?", CVPR 2020), online, as BalanceBenchmark's trainer has it (GeWu-Lab/BalanceBenchmark,
 * `balancemm/trainer/GBlending_trainer.py`: `fit`, `super_epoch_origin`, `training_step`):
 * - Every `gblend.superEpoch` epochs (S; from the first), the loss weights are measured again: for each head h of
 *   audio, visual and fused, a copy of the model (with a fresh Adam at the epoch's learning rate) trains S epochs on
 *   that head's cross-entropy alone; after its first and its last epoch, L^T is the mean training loss of that epoch
 *   and L^V the loss on the validation clips held out of the training split (`valSplit`, required) in evaluation
 *   mode. G = L^V_last - L^V_first, O = (L^V_last - L^T_last) - (L^V_first - L^T_first), w_h = |G| / O^2, and the
 *   weights are normalised to sum to 1. The copies are thrown away.
 * - Each batch: L = w_a CE(u_a, y) + w_v CE(u_v, y) + w_f CE(fused, y), u the unimodal outputs of the run's
 *   `unimodal` score (the heads the lab reports per modality, as BalanceBenchmark's `Uni_res`).
 * Choices the reference leaves open or the lab makes otherwise, written down:
 * - The reference sums its losses over batches (train and validation sums over different numbers of batches); the
 *   paper and the reference's earlier code use averages, and so does the lab (per clip).
 * - Its unimodal probe zeroes the other modality's input; the lab trains the same unimodal head the main loss uses.
 * - The probe shuffles with its own generator (seed, epoch), so the main run's random stream is the same as without
 *   it; it uses the run's augmentation, batch and micro-batch sizes, and the copies' running BatchNorm statistics.
 * - A head whose O is 0 would get an infinite weight: when any weight is not finite (or all are 0), the three get
 *   1/3 each.
 * - The weights are the method's state, kept in checkpoints: a resumed run measures them again only where an
 *   uninterrupted one would (every S epochs), or before its first epoch when its checkpoint has none (an older one).
 * Cost: per step about ERM's (two small unimodal heads); every S epochs, 3 S epochs of probe training and 6
 * validation passes (with S = 10, the first 10 epochs cost about 4 times ERM's). The trace's `blend` is
 * (w_a, w_v, w_f).
 */
import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../batches';
import type { TrainConfig } from '../config';
import type { ClipStore } from '../dataset';
import { AVModel } from '../model';
import { Adam, stepLr } from '../optimizer';
import { Rng } from '../random';
import { accumulatedStep, microBatchRanges, trainStep, variableNameMap } from '../trainStep';
import type { EpochProbe, TrainingMethod } from './method';
import { softCrossEntropy, stateNumber } from './method';

export type BlendHead = 'audio' | 'visual' | 'fused';
export const BLEND_HEADS: readonly BlendHead[] = ['audio', 'visual', 'fused'];

/** The loss weight of each head (they sum to 1). */
export type BlendWeights = Record<BlendHead, number>;

/** A head's probe: mean training loss and validation loss after the probe's first and last epoch. */
export interface ProbeLosses {
  trainFirst: number;
  valFirst: number;
  trainLast: number;
  valLast: number;
}

/** Salt of the probe's generator: (seed ^ salt) + epoch. */
const PROBE_SALT = 0x6b1e4d2f;

/** w_h = |G| / O^2 normalised (see the module doc); 1/3 each when a weight is not finite or all are 0. */
export function blendWeights(losses: Record<BlendHead, ProbeLosses>): BlendWeights {
  const raw = BLEND_HEADS.map((h) => {
    const l = losses[h];
    const g = l.valLast - l.valFirst;
    const o = l.valLast - l.trainLast - (l.valFirst - l.trainFirst);
    return Math.abs(g) / (o * o);
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  if (!raw.every(Number.isFinite) || !(sum > 0)) return { audio: 1 / 3, visual: 1 / 3, fused: 1 / 3 };
  return { audio: raw[0] / sum, visual: raw[1] / sum, fused: raw[2] / sum };
}

/** The logits of one head for a forward output: the fused head or a unimodal one (the model's unimodal score). */
function headLogits(model: AVModel, head: BlendHead, out: { za: tf.Tensor2D; zv: tf.Tensor2D; logits: tf.Tensor2D }): tf.Tensor2D {
  if (head === 'fused') return out.logits;
  return model.unimodal(out.za, out.zv)[head];
}

/** Mean cross-entropy of one head over `store` in evaluation mode. */
async function headLoss(model: AVModel, head: BlendHead, store: ClipStore, probe: EpochProbe, onBatch: () => void): Promise<number> {
  const size = Math.max(probe.config.batch, 16);
  let sum = 0;
  for (let start = 0; start < store.size; start += size) {
    const indices = Array.from({ length: Math.min(size, store.size - start) }, (_, i) => start + i);
    const batch = probe.builder.batch(store, indices, null);
    const total = tf.tidy(() => {
      const out = model.forward(batch.audio, batch.visual, { training: false });
      return tf.mul(softCrossEntropy(headLogits(model, head, out), batch.oneHot), indices.length);
    });
    disposeBatch(batch);
    sum += ((await total.data()) as Float32Array)[0];
    total.dispose();
    onBatch();
  }
  return sum / store.size;
}

/**
 * Probe-trains a copy of `probe.model` on one head for `epochs` epochs and returns the losses of its first and last
 * epoch; null when the session asked to pause or stop.
 */
async function probeHead(head: BlendHead, epochs: number, probe: EpochProbe, val: ClipStore, rng: Rng, onBatch: () => void): Promise<ProbeLosses | null> {
  const { model, train, builder, config } = probe;
  const copy = new AVModel(model.options, new Rng(0));
  try {
    copy.params.write(await model.params.read());
    copy.unimodalScore = model.unimodalScore;
    const means = model.featureMeans;
    if (means) copy.setFeatureMeans({ audio: means.audio.clone(), visual: means.visual.clone() });
    const trainable = new Map<string, tf.Variable>();
    for (const spec of copy.params.specs) {
      const v = copy.params.get(spec.name);
      if (v.trainable) trainable.set(spec.name, v);
    }
    const optimizer = new Adam(trainable, { lr: stepLr(config.lr, probe.epoch, config.stepLr), beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: config.weightDecay });
    const names = variableNameMap(copy);
    const loss: TrainingMethod = {
      name: 'gblend',
      beginEpoch() {},
      batchLoss(m, batch, _rng, forward) {
        const out = m.forward(batch.audio, batch.visual, forward);
        return { loss: softCrossEntropy(headLogits(m, head, out), batch.oneHot), logits: out.logits };
      },
      batchMix: () => null,
    };
    const losses: ProbeLosses = { trainFirst: NaN, valFirst: NaN, trainLast: NaN, valLast: NaN };
    try {
      for (let k = 0; k < epochs; k++) {
        const order = rng.permutation(train.size);
        let lossSum = 0;
        let seen = 0;
        for (let position = 0; position < order.length; ) {
          if (probe.interrupted()) return null;
          const size = Math.min(config.batch, order.length - position);
          if (size < 2) break;
          const indices = order.subarray(position, position + size);
          const augment = config.augment ? { augment: rng, frames: rng } : null;
          const ranges = microBatchRanges(size, config.microBatch);
          let result;
          if (ranges.length > 1) {
            const pieces = ranges.map(([a, b]) => ({ size: b - a, build: () => builder.batch(train, indices.subarray(a, b), augment) }));
            result = await accumulatedStep(copy, optimizer, loss, pieces, rng, names);
          } else {
            const batch = builder.batch(train, indices, augment);
            try {
              result = await trainStep(copy, optimizer, loss, batch, rng, names);
            } finally {
              disposeBatch(batch);
            }
          }
          lossSum += result.loss * size;
          seen += size;
          position += size;
          onBatch();
        }
        if (k === 0 || k === epochs - 1) {
          const valLoss = await headLoss(copy, head, val, probe, onBatch);
          if (k === 0) [losses.trainFirst, losses.valFirst] = [lossSum / seen, valLoss];
          if (k === epochs - 1) [losses.trainLast, losses.valLast] = [lossSum / seen, valLoss];
        }
      }
    } finally {
      optimizer.dispose();
    }
    return losses;
  } finally {
    copy.dispose();
  }
}

/** A probe's training steps and validation batches: 3 heads x (S epochs of steps, 2 validation passes). */
function probeWork(trainSize: number, valSize: number, batch: number, superEpoch: number): { trainBatches: number; evalBatches: number } {
  const steps = Math.floor(trainSize / batch) + (trainSize % batch >= 2 ? 1 : 0);
  return { trainBatches: 3 * superEpoch * steps, evalBatches: 3 * 2 * Math.ceil(valSize / Math.max(batch, 16)) };
}

/** Batches a probe runs: 3 heads x (S epochs of training + 2 validation passes). */
export function probeBatches(trainSize: number, valSize: number, batch: number, superEpoch: number): number {
  const w = probeWork(trainSize, valSize, batch, superEpoch);
  return w.trainBatches + w.evalBatches;
}

/**
 * Probes a session starting at epoch `from` runs before epochs from..to-1: every S, and at `from` when it has no
 * weights yet (`measured` false: a new run, or a checkpoint without them).
 */
export function probeCount(from: number, to: number, superEpoch: number, measured = false): number {
  let n = 0;
  for (let e = from; e < to; e++) if ((e === from && !measured) || e % superEpoch === 0) n++;
  return n;
}

export function createGblend(config: TrainConfig): TrainingMethod {
  const superEpoch = config.gblend.superEpoch;
  let weights: BlendWeights | null = null;
  let probes: Record<BlendHead, ProbeLosses> | null = null;
  return {
    name: 'gblend',
    beginEpoch() {},
    extraWork(from, to, sizes) {
      const n = probeCount(from, to, superEpoch, weights !== null);
      const w = probeWork(sizes.train, sizes.val, config.batch, superEpoch);
      return { trainBatches: n * w.trainBatches, evalBatches: n * w.evalBatches };
    },
    async beforeEpoch(probe) {
      if (weights && probe.epoch % superEpoch !== 0) return true;
      const val = probe.val;
      if (!val || val.size === 0) throw new Error('method gblend needs validation clips held out of the training split: set valSplit (e.g. 0.1)');
      const total = probeBatches(probe.train.size, val.size, config.batch, superEpoch);
      let done = 0;
      const onBatch = () => probe.onProgress(++done, total);
      probe.onProgress(0, total);
      const rng = new Rng((((config.seed ^ PROBE_SALT) >>> 0) + probe.epoch) >>> 0);
      const measured: Partial<Record<BlendHead, ProbeLosses>> = {};
      for (const head of BLEND_HEADS) {
        const l = await probeHead(head, superEpoch, probe, val, rng, onBatch);
        if (!l) return false;
        measured[head] = l;
      }
      probes = measured as Record<BlendHead, ProbeLosses>;
      weights = blendWeights(probes);
      return true;
    },
    batchLoss(model, batch, _rng, forward) {
      if (!weights) throw new Error('gblend: the loss weights were not measured before the epoch');
      const out = model.forward(batch.audio, batch.visual, forward);
      const u = model.unimodal(out.za, out.zv);
      const loss = tf.addN([
        tf.mul(weights.audio, softCrossEntropy(u.audio, batch.oneHot)),
        tf.mul(weights.visual, softCrossEntropy(u.visual, batch.oneHot)),
        tf.mul(weights.fused, softCrossEntropy(out.logits, batch.oneHot)),
      ]) as tf.Scalar;
      return { loss, logits: out.logits };
    },
    batchMix: () => null,
    stepBlend: () => weights,
    epochReport() {
      return { mix: null, ...(weights ? { coefficients: { audio: weights.audio, visual: weights.visual } } : {}) };
    },
    async saveState() {
      return weights ? { method: 'gblend', values: { ...weights } } : null;
    },
    loadState(state) {
      weights = { audio: stateNumber(state, 'audio'), visual: stateNumber(state, 'visual'), fused: stateNumber(state, 'fused') };
    },
  };
}
