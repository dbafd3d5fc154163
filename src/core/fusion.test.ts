import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/testBackend';
import type { FusionName } from './config';
import { fusionParamSpecs, unimodalLogits } from './fusion';
import { ParamStore } from './params';
import { Rng } from './random';

/** A fusion module with weights set to small integers, d = 2, C = 2. */
function store(fusion: FusionName, values: Record<string, number[]>): ParamStore {
  const p = new ParamStore(fusionParamSpecs(fusion, 2, 2), new Rng(0));
  for (const [name, v] of Object.entries(values)) p.get(`fusion_module.${name}`).assign(tf.tensor(v, p.get(`fusion_module.${name}`).shape));
  return p;
}

async function logits(fusion: FusionName, values: Record<string, number[]>, mode: 'zero' | 'mean' | 'half-bias', means = false) {
  const p = store(fusion, values);
  const za = tf.tensor2d([[1, 2]]);
  const zv = tf.tensor2d([[3, 4]]);
  const m = means ? { audio: tf.tensor2d([[10, 20]]), visual: tf.tensor2d([[30, 40]]) } : null;
  const u = unimodalLogits(fusion, p, za, zv, mode, m);
  const out = { audio: Array.from(await u.audio.data()), visual: Array.from(await u.visual.data()) };
  p.dispose();
  return out;
}

describe('unimodal scores', () => {
  // concat: fc_out weight [2d, C] (TF layout: in x out) rows for z_a (1, 2) then z_v (3, 4); bias (10, 20).
  const concat = { 'fc_out.weight': [1, 0, 0, 1, 1, 1, 2, 0], 'fc_out.bias': [10, 20] };

  it('zero masks the other feature: u_a = W_a z_a + b', async () => {
    await useBackend('cpu');
    // W_a^T z_a = (1*1 + 2*0, 1*0 + 2*1) = (1, 2); W_v^T z_v = (3*1 + 4*2, 3*1 + 4*0) = (11, 3).
    expect(await logits('concat', concat, 'zero')).toEqual({ audio: [11, 22], visual: [21, 23] });
  });

  it('mean puts the other modality’s training-set mean in its place', async () => {
    await useBackend('cpu');
    // u_a = W_a z_a + W_v E[z_v] + b: W_v^T (30, 40) = (110, 30); u_v = W_a^T (10, 20) + W_v z_v + b = (10, 20) + (11, 3) + b.
    expect(await logits('concat', concat, 'mean', true)).toEqual({ audio: [1 + 110 + 10, 2 + 30 + 20], visual: [10 + 11 + 10, 20 + 3 + 20] });
  });

  it('half-bias is OGM-GE code’s W_m z_m + b/2 for concat and each own head for sum and decision', async () => {
    await useBackend('cpu');
    expect(await logits('concat', concat, 'half-bias')).toEqual({ audio: [6, 12], visual: [16, 13] });
    const sum = { 'fc_x.weight': [1, 0, 0, 1], 'fc_x.bias': [1, 1], 'fc_y.weight': [1, 1, 1, 1], 'fc_y.bias': [100, 100] };
    expect(await logits('sum', sum, 'half-bias')).toEqual({ audio: [2, 3], visual: [107, 107] });
    expect(await logits('sum', sum, 'zero')).toEqual({ audio: [102, 103], visual: [108, 108] });
    const decision = { 'head_a.weight': [1, 0, 0, 1], 'head_a.bias': [0, 0], 'head_v.weight': [1, 0, 0, 1], 'head_v.bias': [2, 2] };
    expect(await logits('decision', decision, 'half-bias')).toEqual({ audio: [1, 2], visual: [5, 6] });
    await expect(logits('film', {}, 'half-bias')).rejects.toThrow('unimodal = half-bias is defined for concat, sum, decision fusion, not film');
  });
});
