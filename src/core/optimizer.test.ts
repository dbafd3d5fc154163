/** Adam's per-parameter step count (PyTorch's), against hand-computed updates. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/testBackend';
import { Adam } from './optimizer';

const opts = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

describe('Adam', () => {
  it('a parameter skipped in a step starts its bias correction at its own first update', async () => {
    await useBackend('cpu');
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    const adam = new Adam(new Map([['a', a], ['b', b]]), opts);
    adam.apply(new Map([['a', tf.tensor1d([2])]]));
    expect((await b.data())[0]).toBe(1);
    adam.apply(new Map([['a', tf.tensor1d([2])], ['b', tf.tensor1d([2])]]));
    // b's first update: m / (1 - b1) = g, v / (1 - b2) = g^2, so it moves by lr * g / (|g| + eps) = 0.1 (with t = 2 it would be 0.0744).
    expect((await b.data())[0]).toBeCloseTo(0.9, 6);
    // a's second: m = 0.19 * 2, v = 0.001999 * 4, corrected by 1 - 0.9^2 and 1 - 0.999^2: again 0.1 for a constant gradient.
    expect((await a.data())[0]).toBeCloseTo(0.8, 6);
    const state = await adam.getState();
    expect([state.step, state.paramSteps]).toEqual([2, { b: 1 }]);
    // The counts survive a checkpoint: restored, b's next update is its second.
    const again = new Adam(new Map([['a', tf.variable(tf.tensor1d([0.8]))], ['b', tf.variable(tf.tensor1d([0.9]))]]), opts);
    again.setState(state);
    expect((await again.getState()).paramSteps).toEqual({ b: 1 });
    const full = await new Adam(new Map([['a', a]]), opts).getState();
    expect(full.paramSteps).toBeUndefined();
  });
});
