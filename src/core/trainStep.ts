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
  const values = (await report.data()) as Float32Array;
  report.dispose();
  const auxValues: Record<string, number> = {};
  auxKeys.forEach((k, i) => (auxValues[k] = values[2 + i]));
  return {
    loss: values[0],
    correct: values[1],
    mix: method.batchMix(auxValues),
    aux: auxValues,
    mixing: { perm: mixing.perm ?? null, lambda: mixing.lambda ?? null, m: mixing.m ?? null, weak: mixing.weak ?? null },
  };
}

/** A step of a method that computes its gradients itself (`stepGradients`): its passes, Adam, the report. */
async function passesStep(model: AVModel, optimizer: Adam, method: TrainingMethod, batch: Batch, rng: Rng, names: Map<string, string>): Promise<StepResult> {
  const variables = model.trainableVariables();
  let first = true;
  const pass: GradientPass = (f) => {
    const bnUpdates: BnUpdate[] = [];
    const record = first;
    first = false;
    const { value, grads } = tf.variableGrads(() => f({ training: true, bnUpdates: record ? bnUpdates : [] }), variables);
    if (record) applyBnUpdates(model.params, bnUpdates);
    const byName = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) byName.set(names.get(varName) ?? varName, g);
    return { value, grads: byName };
  };
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
  const values = (await report.data()) as Float32Array;
  report.dispose();
  const auxValues: Record<string, number> = {};
  auxKeys.forEach((k, i) => (auxValues[k] = values[2 + i]));
  return {
    loss: values[0],
    correct: values[1],
    mix: method.batchMix(auxValues),
    aux: auxValues,
    mixing: { perm: mixing.perm ?? null, lambda: mixing.lambda ?? null, m: mixing.m ?? null, weak: mixing.weak ?? null },
  };
}
