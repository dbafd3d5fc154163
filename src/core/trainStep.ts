/**
 * One optimisation step: the method's loss under the gradient tape, optional gradient modulation, Adam, then the
 * BatchNorm running averages. Reads back one small tensor per step (loss, correct count, method scalars).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, GradientPass, StepMixing, TrainingMethod } from './methods/method';
import type { AVModel } from './model';
import type { Adam } from './optimizer';
import type { Rng } from './random';
import { applyBnUpdates, type BnUpdate } from './resnet';
import { disposeBatch } from './batches';

export interface StepResult {
  loss: number;
  /** Fused predictions equal to the (unmixed) labels. */
  correct: number;
  mix: number | null;
  /** The method's per-batch scalars (OGM-GE: coefAudio, coefVisual). */
  aux: Record<string, number>;
  /** The batch's random mixing choices (for the step trace). */
  mixing: StepMixing;
}

/** Maps TF.js variable names back to parameter names. */
export function variableNameMap(model: AVModel): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, v] of model.params.vars) m.set(v.name, name);
  return m;
}

/** A step's result from its one read-back tensor [loss, correct, ...aux] (disposed here). */
async function readStep(report: tf.Tensor, auxKeys: string[], method: TrainingMethod, mixing: Partial<StepMixing>): Promise<StepResult> {
  const values = (await report.data()) as Float32Array;
  report.dispose();
  const auxValues: Record<string, number> = {};
  auxKeys.forEach((k, i) => (auxValues[k] = values[2 + i]));
  method.endStep?.(auxValues);
  return {
    loss: values[0],
    correct: values[1],
    mix: method.batchMix(auxValues),
    aux: auxValues,
    mixing: { perm: mixing.perm ?? null, lambda: mixing.lambda ?? null, m: mixing.m ?? null, weak: mixing.weak ?? null },
  };
}

export async function trainStep(model: AVModel, optimizer: Adam, method: TrainingMethod, batch: Batch, rng: Rng, names: Map<string, string>): Promise<StepResult> {
  if (method.stepGradients) return passesStep(model, optimizer, method, batch, rng, names);
  const bnUpdates: BnUpdate[] = [];
  let aux: Record<string, tf.Tensor> = {};
  let logits: tf.Tensor2D | null = null;
  let mixing: Partial<StepMixing> = {};
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => {
    const r = method.batchLoss(model, batch, rng, { training: true, bnUpdates });
    logits = tf.keep(r.logits);
    aux = r.aux ?? {};
    mixing = r.mixing ?? {};
    for (const t of Object.values(aux)) tf.keep(t);
    return r.loss;
  }, variables);

  const byName = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) byName.set(names.get(varName) ?? varName, g);

  const auxKeys = Object.keys(aux);
  const report = tf.tidy(() => {
    let modulated = byName;
    if (method.modulateGradients) modulated = method.modulateGradients(byName, aux, rng);
    optimizer.apply(modulated);
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), batch.labels), 'float32'));
    return tf.stack([value, correct, ...auxKeys.map((k) => tf.reshape(aux[k], []))]);
  });
  applyBnUpdates(model.params, bnUpdates);
  tf.dispose([value, logits!, ...Object.values(grads), ...Object.values(aux)]);
  return readStep(report, auxKeys, method, mixing);
}

/**
 * The gradient passes of one step (`GradientPass`): each under its own tape, the first one recording BatchNorm batch
 * statistics and applying them to the running averages as it returns.
 */
function gradientPasses(model: AVModel, names: Map<string, string>): GradientPass {
  const variables = model.trainableVariables();
  let first = true;
  return (f) => {
    const bnUpdates: BnUpdate[] = [];
    const record = first;
    first = false;
    const { value, grads } = tf.variableGrads(() => f({ training: true, bnUpdates: record ? bnUpdates : [] }), variables);
    if (record) applyBnUpdates(model.params, bnUpdates);
    const byName = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) byName.set(names.get(varName) ?? varName, g);
    return { value, grads: byName };
  };
}

/** A step of a method that computes its gradients itself (`stepGradients`): its passes, Adam, the report. */
async function passesStep(model: AVModel, optimizer: Adam, method: TrainingMethod, batch: Batch, rng: Rng, names: Map<string, string>): Promise<StepResult> {
  const pass = gradientPasses(model, names);
  let mixing: Partial<StepMixing> = {};
  let auxKeys: string[] = [];
  const report = tf.tidy(() => {
    const r = method.stepGradients!(model, batch, rng, pass);
    mixing = r.mixing ?? {};
    const aux = r.aux ?? {};
    auxKeys = Object.keys(aux);
    optimizer.apply(r.grads);
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(r.logits, 1), batch.labels), 'float32'));
    return tf.stack([r.loss, correct, ...auxKeys.map((k) => tf.reshape(aux[k], []))]);
  });
  return readStep(report, auxKeys, method, mixing);
}

/** One micro-batch of a step: its size and how to build it (built when its turn comes, so one is held at a time). */
export interface MicroBatch {
  size: number;
  build(): Batch;
}

/**
 * Splits `n` batch positions into micro-batches of `size` clips, as [start, end) ranges; a last piece of one clip
 * joins the one before (BatchNorm needs two clips for its batch statistics).
 */
export function microBatchRanges(n: number, size: number): [number, number][] {
  if (!(size > 0) || size >= n) return [[0, n]];
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  const last = out[out.length - 1];
  if (out.length > 1 && last[1] - last[0] < 2) {
    out.pop();
    out[out.length - 1][1] = n;
  }
  return out;
}

/**
 * One optimisation step over a batch too large to hold at once (`microBatch`): each micro-batch gets the method's
 * loss and gradients as if it were the batch (its own mixing permutation, B-MM draw, OGM coefficients and noise,
 * and its own BatchNorm batch statistics, which update the running averages once per micro-batch), the gradients
 * are summed weighted by size (the mean over the whole batch for a loss that averages over clips), and Adam steps
 * once. The reported loss and the method's values are the size-weighted means; the permutation is the micro-batches'
 * side by side (offset to batch positions), lambda, m and the modality mixed are the first micro-batch's.
 */
export async function accumulatedStep(model: AVModel, optimizer: Adam, method: TrainingMethod, pieces: readonly MicroBatch[], rng: Rng, names: Map<string, string>): Promise<StepResult> {
  const total = pieces.reduce((a, p) => a + p.size, 0);
  const variables = model.trainableVariables();
  let acc: Map<string, tf.Tensor> | null = null;
  // Size-weighted loss and method values and the correct count, summed on the device and read back once.
  const sums = new Map<string, tf.Tensor>();
  const addSum = (key: string, t: tf.Tensor) => {
    const prev = sums.get(key);
    sums.set(key, tf.keep(prev ? tf.add(prev, t) : t));
    if (prev) prev.dispose();
  };
  const perm: number[] = [];
  let anyPerm = false;
  let first: Partial<StepMixing> | null = null;
  let offset = 0;
  for (const piece of pieces) {
    const batch = piece.build();
    const w = piece.size / total;
    let mixing: Partial<StepMixing> = {};
    try {
      let grads: Map<string, tf.Tensor>;
      let value: tf.Scalar;
      let logits: tf.Tensor2D;
      let aux: Record<string, tf.Tensor> = {};
      const kept: tf.Tensor[] = [];
      if (method.stepGradients) {
        const pass = gradientPasses(model, names);
        let gradNames: string[] = [];
        let auxNames: string[] = [];
        const flat = tf.tidy(() => {
          const r = method.stepGradients!(model, batch, rng, pass);
          mixing = r.mixing ?? {};
          gradNames = [...r.grads.keys()];
          const a = r.aux ?? {};
          auxNames = Object.keys(a);
          return [r.loss, r.logits, ...gradNames.map((n) => r.grads.get(n)!), ...auxNames.map((k) => a[k])];
        });
        value = flat[0] as tf.Scalar;
        logits = flat[1] as tf.Tensor2D;
        grads = new Map(gradNames.map((n, i) => [n, flat[2 + i]]));
        aux = Object.fromEntries(auxNames.map((k, i) => [k, flat[2 + gradNames.length + i]]));
      } else {
        const bnUpdates: BnUpdate[] = [];
        let l: tf.Tensor2D | null = null;
        const r = tf.variableGrads(() => {
          const b = method.batchLoss(model, batch, rng, { training: true, bnUpdates });
          l = tf.keep(b.logits);
          aux = b.aux ?? {};
          mixing = b.mixing ?? {};
          for (const t of Object.values(aux)) tf.keep(t);
          return b.loss;
        }, variables);
        applyBnUpdates(model.params, bnUpdates);
        const byName = new Map<string, tf.Tensor>();
        for (const [varName, g] of Object.entries(r.grads)) byName.set(names.get(varName) ?? varName, g);
        grads = method.modulateGradients
          ? new Map(Object.entries(tf.tidy(() => Object.fromEntries(method.modulateGradients!(byName, aux, rng)) as Record<string, tf.Tensor>)))
          : byName;
        if (grads !== byName) kept.push(...byName.values());
        value = r.value;
        logits = l!;
      }
      const gradSums: Record<string, tf.Tensor> = tf.tidy(() => {
        const m: Record<string, tf.Tensor> = {};
        for (const [name, g] of grads) {
          const scaled = tf.mul(g, w);
          const prev = acc?.get(name);
          m[name] = prev ? tf.add(prev, scaled) : scaled;
        }
        if (acc) for (const [name, g] of acc) if (!(name in m)) m[name] = tf.clone(g);
        return m;
      });
      const next = new Map(Object.entries(gradSums));
      if (acc) tf.dispose([...acc.values()]);
      acc = next;
      tf.tidy(() => {
        addSum('loss', tf.mul(value, w));
        addSum('correct', tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), batch.labels), 'float32')));
        for (const [k, t] of Object.entries(aux)) addSum(`aux:${k}`, tf.mul(tf.reshape(t, []), w));
      });
      tf.dispose([value, logits, ...grads.values(), ...Object.values(aux), ...kept]);
    } finally {
      disposeBatch(batch);
    }
    if (mixing.perm) {
      anyPerm = true;
      perm.push(...mixing.perm.map((p) => p + offset));
    } else perm.push(...Array.from({ length: piece.size }, (_, i) => offset + i));
    first ??= mixing;
    offset += piece.size;
  }
  tf.tidy(() => optimizer.apply(acc!));
  tf.dispose([...acc!.values()]);
  const auxKeys = [...sums.keys()].filter((k) => k.startsWith('aux:'));
  const report = tf.stack([sums.get('loss')!, sums.get('correct')!, ...auxKeys.map((k) => sums.get(k)!)]);
  tf.dispose([...sums.values()]);
  const mixingOfStep = { perm: anyPerm ? perm : null, lambda: first?.lambda ?? null, m: first?.m ?? null, weak: first?.weak ?? null };
  return readStep(report, auxKeys.map((k) => k.slice('aux:'.length)), method, mixingOfStep);
}
