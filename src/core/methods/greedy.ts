/**
 * Greedy (Wu et al., ICML 2022, "Characterizing and overcoming the greedy nature of learning in multi-modal deep
 * neural networks"): balanced multi-modal learning through MMTM blocks (mmtm.ts) and re-balancing steps. Written from
 * the authors' code, nyukat/greedy_multimodal_learning (`src/balanced_mmtm.py`, `src/callbacks.py`
 * `Bias_Mitigation_Strong`, `configs/training_guided.gin`), and BalanceBenchmark's trainer, GeWu-Lab/BalanceBenchmark
 * `balancemm/trainer/Greedy_trainer.py`.
 *
 * The loss is the fused cross-entropy with the MMTM forward (BalanceBenchmark; the authors' code has one head per
 * view and sums their cross-entropies). After each step's backward, before Adam, with the loss gradients g and the
 * weights p:
 * - the conditional learning speeds: main_m = sum ||g||^2 / sum ||p||^2 over encoder m's trainable parameters,
 *   bypass_m the same over the blocks' `fc_m` plus the shared `fc_squeeze` (the fusion head counts for neither);
 *   running sums M of the four, and d = log10(M_bypass_a / M_main_a) - log10(M_bypass_v / M_main_v) (0 while a sum
 *   is 0 or d is not finite, e.g. after an infinite gradient);
 * - from epoch `greedy.start` (0-based; the authors' starting_epoch 2 of 1-based epochs) a step that is not
 *   re-balancing and finds |d| > `greedy.epsilon` starts a window: the next `greedy.window` steps hold the gates of
 *   the audio branch (d > 0) or the visual branch (d < 0) at their running means; the speeds are not summed while a
 *   window runs (the authors' code). Before `greedy.start` the speeds are summed and nothing is held.
 * The running mean of each block's gates is the cumulative mean of the batch-mean gates of every training step
 * (the authors' code updates it on every forward, evaluation ones included, and its second modality's mean takes the
 * first modality's gates; the lab uses each modality's own gates, training steps only). Evaluation runs the blocks
 * plainly. Cost per step: one pass over the weights and gradients (their squared norms); the blocks themselves add
 * three small linear layers per layer boundary. Micro-batches are refused (the running means are per step).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import type { GateModality, GateSet } from '../mmtm';
import { MMTM_LAYERS } from '../mmtm';
import { AUDIO_NET, VISUAL_NET, type AVModel } from '../model';
import type { ParamStore } from '../params';
import type { MethodState, StepGreedy, TrainingMethod } from './method';
import { softCrossEntropy, stateNumber, stateTensor } from './method';

export type SpeedGroup = 'mainAudio' | 'mainVisual' | 'bypassAudio' | 'bypassVisual';
export const SPEED_GROUPS: readonly SpeedGroup[] = ['mainAudio', 'mainVisual', 'bypassAudio', 'bypassVisual'];
export type Speeds = Record<SpeedGroup, number>;

/** The groups a parameter's speed counts for (fc_squeeze: both bypasses; the fusion head: none). */
export function speedGroups(name: string): SpeedGroup[] {
  if (name.startsWith(`${AUDIO_NET}.`)) return ['mainAudio'];
  if (name.startsWith(`${VISUAL_NET}.`)) return ['mainVisual'];
  if (/^mmtm\d+\.fc_squeeze\./.test(name)) return ['bypassAudio', 'bypassVisual'];
  if (/^mmtm\d+\.fc_audio\./.test(name)) return ['bypassAudio'];
  if (/^mmtm\d+\.fc_visual\./.test(name)) return ['bypassVisual'];
  return [];
}

/** Each group's sum ||g||^2 / sum ||p||^2 as device scalars (a parameter without a gradient adds 0 to ||g||^2). */
export function speedRatios(params: ParamStore, grads: Map<string, tf.Tensor>): Record<SpeedGroup, tf.Scalar> {
  const g: Record<SpeedGroup, tf.Scalar[]> = { mainAudio: [], mainVisual: [], bypassAudio: [], bypassVisual: [] };
  const w: Record<SpeedGroup, tf.Scalar[]> = { mainAudio: [], mainVisual: [], bypassAudio: [], bypassVisual: [] };
  for (const spec of params.specs) {
    const groups = speedGroups(spec.name);
    const v = params.get(spec.name);
    if (groups.length === 0 || !v.trainable) continue;
    const wn = tf.sum(tf.square(v)) as tf.Scalar;
    const grad = grads.get(spec.name);
    const gn = grad ? (tf.sum(tf.square(grad)) as tf.Scalar) : null;
    for (const k of groups) {
      w[k].push(wn);
      if (gn) g[k].push(gn);
    }
  }
  const total = (xs: tf.Scalar[]) => (xs.length === 0 ? tf.scalar(0) : (tf.addN(xs) as tf.Scalar));
  const out = {} as Record<SpeedGroup, tf.Scalar>;
  for (const k of SPEED_GROUPS) {
    const wn = total(w[k]);
    out[k] = tf.where(tf.greater(wn, 0), tf.div(total(g[k]), tf.maximum(wn, 1e-30)), tf.scalar(0)) as tf.Scalar;
  }
  return out;
}

/** d = log10(M_bypass_a / M_main_a) - log10(M_bypass_v / M_main_v); 0 while any sum is 0 or d is not finite. */
export function dBdr(m: Speeds): number {
  if (SPEED_GROUPS.some((k) => !(m[k] > 0))) return 0;
  const d = Math.log10(m.bypassAudio / m.mainAudio) - Math.log10(m.bypassVisual / m.mainVisual);
  return Number.isFinite(d) ? d : 0;
}

export interface GreedySchedule {
  curation: boolean;
  /** Steps of the current window done. */
  count: number;
  hold: GateModality | null;
  sums: Speeds;
}

export function initialSchedule(): GreedySchedule {
  return { curation: false, count: 0, hold: null, sums: { mainAudio: 0, mainVisual: 0, bypassAudio: 0, bypassVisual: 0 } };
}

/** The schedule after a step of 0-based `epoch` with these speeds, and the d it computed (null in a window). */
export function scheduleAfterStep(s: GreedySchedule, epoch: number, speeds: Speeds, o: TrainConfig['greedy']): { next: GreedySchedule; dBDR: number | null } {
  const unlocked = epoch >= o.start;
  if (unlocked && s.curation) {
    const count = s.count + 1;
    return { next: count === o.window ? { ...s, curation: false, count, hold: null } : { ...s, count }, dBDR: null };
  }
  const sums = { ...s.sums };
  for (const k of SPEED_GROUPS) sums[k] += speeds[k];
  const d = dBdr(sums);
  if (unlocked && Math.abs(d) > o.epsilon) return { next: { curation: true, count: 0, hold: d > 0 ? 'audio' : 'visual', sums }, dBDR: d };
  return { next: { curation: false, count: 0, hold: null, sums }, dBDR: d };
}

/** mean <- (gbar + mean * n) / (n + 1) per block and modality (zeros before the first step). */
export function updateGateMeans(means: GateSet | null, record: GateSet, n: number): GateSet {
  const next = (m: GateModality) => record[m].map((g, i) => tf.div(tf.add(g, tf.mul(means ? means[m][i] : tf.zerosLike(g), n)), n + 1) as tf.Tensor1D);
  return { audio: next('audio'), visual: next('visual') };
}

const HOLD_CODES: readonly (GateModality | null)[] = [null, 'audio', 'visual'];

export function createGreedy(config: TrainConfig): TrainingMethod {
  const options = config.greedy;
  let schedule = initialSchedule();
  let means: GateSet | null = null;
  let steps = 0;
  let epoch = 0;
  let last: StepGreedy | null = null;
  let stepHold: GateModality | null = null;
  const disposeMeans = () => {
    if (means) tf.dispose([...means.audio, ...means.visual]);
    means = null;
  };
  return {
    name: 'greedy',
    beginEpoch(start) {
      epoch = start.epoch;
    },
    batchLoss(model: AVModel, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      return { loss: softCrossEntropy(out.logits, batch.oneHot), logits: out.logits };
    },
    stepGradients(model, batch, _rng, pass) {
      stepHold = schedule.hold;
      const record: GateSet = { audio: [], visual: [] };
      let logits: tf.Tensor2D | null = null;
      const main = pass((forward) => {
        const out = model.forward(batch.audio, batch.visual, { ...forward, mmtm: { hold: stepHold, means, record } });
        logits = tf.keep(out.logits);
        return softCrossEntropy(out.logits, batch.oneHot);
      });
      const full = tf.clone(logits!);
      tf.dispose(logits!);
      const speeds = speedRatios(model.params, main.grads);
      const next = updateGateMeans(means, record, steps);
      for (const t of [...next.audio, ...next.visual]) tf.keep(t);
      tf.dispose([...record.audio, ...record.visual]);
      disposeMeans();
      means = next;
      steps++;
      return { loss: main.value, logits: full, grads: main.grads, aux: { ...speeds } };
    },
    endStep(aux) {
      const speeds = Object.fromEntries(SPEED_GROUPS.map((k) => [k, aux[k]])) as Speeds;
      const { next, dBDR } = scheduleAfterStep(schedule, epoch, speeds, options);
      last = { hold: stepHold, dBDR };
      schedule = next;
    },
    stepGreedy: () => last,
    batchMix: () => null,
    epochReport: () => ({ mix: null }),
    async saveState(): Promise<MethodState | null> {
      if (!means) return null;
      const values: MethodState['values'] = {
        steps,
        curation: schedule.curation ? 1 : 0,
        count: schedule.count,
        hold: HOLD_CODES.indexOf(schedule.hold),
        ...schedule.sums,
      };
      const shapes: Record<string, number[]> = {};
      for (const m of ['audio', 'visual'] as const) {
        for (const [i, k] of MMTM_LAYERS.entries()) {
          const key = `mean_${m}_${k}`;
          values[key] = (await means[m][i].data()) as Float32Array;
          shapes[key] = means[m][i].shape;
        }
      }
      return { method: 'greedy', values, shapes };
    },
    loadState(state) {
      disposeMeans();
      steps = stateNumber(state, 'steps');
      const hold = HOLD_CODES[stateNumber(state, 'hold')];
      if (hold === undefined) throw new Error(`checkpoint: the greedy state has an unknown hold code ${stateNumber(state, 'hold')}`);
      const sums = Object.fromEntries(SPEED_GROUPS.map((k) => [k, stateNumber(state, k)])) as Speeds;
      schedule = { curation: stateNumber(state, 'curation') === 1, count: stateNumber(state, 'count'), hold, sums };
      const load = (m: GateModality) => MMTM_LAYERS.map((k) => tf.keep(stateTensor(state, `mean_${m}_${k}`) as tf.Tensor1D));
      means = { audio: load('audio'), visual: load('visual') };
    },
  };
}
