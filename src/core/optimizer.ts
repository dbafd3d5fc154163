/**
 * Adam exactly as PyTorch's `torch.optim.Adam` with `weight_decay` (L2 added to the gradient, not AdamW):
 * g += wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 * As PyTorch, t counts each parameter's own updates: a parameter without a gradient in a step (Greedy's held MMTM
 * gates) is skipped, m and v untouched, and its t does not advance. Its state (step count, m and v per parameter,
 * and the parameters whose t differs from the step count) is plain data for checkpoints. Plus PyTorch's StepLR schedule.
 */
import * as tf from '@tensorflow/tfjs';
import type { StepLrOptions } from './config';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamState {
  step: number;
  /** Each parameter's own update count where it differs from `step` (absent: every one's is `step`). */
  paramSteps?: Record<string, number>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class Adam {
  private step = 0;
  /** Each parameter's updates so far (PyTorch's per-parameter `step`). */
  private readonly counts = new Map<string, number>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  lr: number;

  constructor(
    /** Parameters by name (the ParamStore's trainable variables). */
    private readonly params: Map<string, tf.Variable>,
    readonly options: AdamOptions,
  ) {
    this.lr = options.lr;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  get steps(): number {
    return this.step;
  }

  /** One update from gradients keyed by parameter name; disposes nothing it did not create. */
  apply(grads: Map<string, tf.Tensor>): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        let g = grads.get(name);
        if (!g) continue;
        const t = (this.counts.get(name) ?? 0) + 1;
        this.counts.set(name, t);
        const bc1 = 1 - Math.pow(beta1, t);
        const bc2 = 1 - Math.pow(beta2, t);
        const stepSize = this.lr / bc1;
        if (weightDecay !== 0) g = tf.add(g, tf.mul(p, weightDecay));
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.sqrt(tf.div(vNew, bc2)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(mNew, denom), stepSize)));
      }
    });
  }

  async getState(): Promise<AdamState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of this.params.keys()) {
      m[name] = (await this.m.get(name)!.data()) as Float32Array;
      v[name] = (await this.v.get(name)!.data()) as Float32Array;
    }
    const differing = [...this.params.keys()].filter((n) => (this.counts.get(n) ?? 0) !== this.step);
    return { step: this.step, m, v, ...(differing.length ? { paramSteps: Object.fromEntries(differing.map((n) => [n, this.counts.get(n) ?? 0])) } : {}) };
  }

  setState(state: AdamState): void {
    this.step = state.step;
    for (const name of this.params.keys()) this.counts.set(name, state.paramSteps?.[name] ?? state.step);
    for (const [name, p] of this.params) {
      const m = state.m[name];
      const v = state.v[name];
      if (!m || !v || m.length !== p.size || v.length !== p.size) throw new Error(`optimizer state for ${name} is missing or has the wrong size`);
      tf.tidy(() => {
        this.m.get(name)!.assign(tf.tensor(m, p.shape));
        this.v.get(name)!.assign(tf.tensor(v, p.shape));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** PyTorch StepLR: lr0 * gamma^floor(epoch / step) for the 0-based epoch. */
export function stepLr(baseLr: number, epoch: number, schedule: StepLrOptions | null): number {
  if (!schedule) return baseLr;
  return baseLr * Math.pow(schedule.gamma, Math.floor(epoch / schedule.step));
}
