/**
 * Per-modality scores, the imbalance ratio rho and accuracies (METHOD.md section 3, the paper's eq. 5-6).
 * Accumulated batch by batch over a whole split from logits already read back from the device.
 */

/** softmax(logits_i)[y_i] for each row of a row-major [n, C] logits array. */
export function probabilityOfLabel(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[i * numClasses + c]);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp(logits[i * numClasses + c] - max);
    out[i] = Math.exp(logits[i * numClasses + labels[i]] - max) / sum;
  }
  return out;
}

/** Index of the largest logit per row (first one on ties). */
export function argmaxRows(logits: ArrayLike<number>, n: number, numClasses: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c] > logits[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** rho = s_a / s_v; rho > 1 means audio is the strong modality. */
export function imbalanceRatio(scoreAudio: number, scoreVisual: number): number {
  if (scoreVisual === 0) return scoreAudio === 0 ? 1 : Infinity;
  return scoreAudio / scoreVisual;
}

export type Head = 'fused' | 'audio' | 'visual';
export const HEADS: readonly Head[] = ['fused', 'audio', 'visual'];

/** Accumulates predictions of the fused and unimodal heads over a split. */
export class SplitEvaluation {
  readonly correct: Record<Head, number> = { fused: 0, audio: 0, visual: 0 };
  /** s_m = sum_i softmax(u_m(x_i))[y_i]. */
  readonly score = { audio: 0, visual: 0 };
  readonly confusion: Record<Head, number[][]>;
  count = 0;

  constructor(readonly numClasses: number) {
    const zero = () => Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
    this.confusion = { fused: zero(), audio: zero(), visual: zero() };
  }

  /** Adds a batch: logits row-major [n, C] for each head. */
  add(labels: ArrayLike<number>, logits: Record<Head, ArrayLike<number>>): void {
    const n = labels.length;
    const C = this.numClasses;
    for (const head of HEADS) {
      const pred = argmaxRows(logits[head], n, C);
      for (let i = 0; i < n; i++) {
        this.confusion[head][labels[i]][pred[i]]++;
        if (pred[i] === labels[i]) this.correct[head]++;
      }
    }
    const pa = probabilityOfLabel(logits.audio, labels, C);
    const pv = probabilityOfLabel(logits.visual, labels, C);
    for (let i = 0; i < n; i++) {
      this.score.audio += pa[i];
      this.score.visual += pv[i];
    }
    this.count += n;
  }

  accuracy(head: Head): number {
    return this.count === 0 ? 0 : this.correct[head] / this.count;
  }

  rho(): number {
    return imbalanceRatio(this.score.audio, this.score.visual);
  }
}
