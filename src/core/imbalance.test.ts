import { describe, expect, it } from 'vitest';
import { argmaxRows, imbalanceRatio, probabilityOfLabel, SplitEvaluation } from './imbalance';

describe('imbalance ratio and unimodal accuracy on fixed logits', () => {
  // Two classes, three clips with labels 0, 1, 1.
  const labels = [0, 1, 1];
  // Audio logits: softmax of [ln 3, 0] = [3/4, 1/4]; of [0, ln 3] = [1/4, 3/4]; of [0, 0] = [1/2, 1/2].
  const audio = [Math.log(3), 0, 0, Math.log(3), 0, 0];
  // Visual logits: [0, ln 4] -> [1/5, 4/5]; [ln 4, 0] -> [4/5, 1/5]; [0, ln 4] -> [1/5, 4/5].
  const visual = [0, Math.log(4), Math.log(4), 0, 0, Math.log(4)];
  const fused = [1, 0, 0, 1, 1, 0];

  it('probability of the true label', () => {
    expect(Array.from(probabilityOfLabel(audio, labels, 2)).map((x) => +x.toFixed(10))).toEqual([0.75, 0.75, 0.5]);
    expect(Array.from(probabilityOfLabel(visual, labels, 2)).map((x) => +x.toFixed(10))).toEqual([0.2, 0.2, 0.8]);
  });

  it('s_a = 2, s_v = 1.2, rho = 5/3; accuracies by head; confusion matrices', () => {
    const ev = new SplitEvaluation(2);
    ev.add(labels, { fused, audio, visual });
    expect(ev.score.audio).toBeCloseTo(2, 12);
    expect(ev.score.visual).toBeCloseTo(1.2, 12);
    expect(ev.rho()).toBeCloseTo(5 / 3, 12);
    // fused predicts 0, 1, 0 -> 2/3; audio 0, 1, 0 (tie -> first) -> 2/3; visual 1, 0, 1 -> 1/3.
    expect(ev.accuracy('fused')).toBeCloseTo(2 / 3, 12);
    expect(ev.accuracy('audio')).toBeCloseTo(2 / 3, 12);
    expect(ev.accuracy('visual')).toBeCloseTo(1 / 3, 12);
    expect(ev.confusion.visual).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('accumulates across batches exactly as one pass', () => {
    const one = new SplitEvaluation(2);
    one.add(labels, { fused, audio, visual });
    const two = new SplitEvaluation(2);
    two.add(labels.slice(0, 1), { fused: fused.slice(0, 2), audio: audio.slice(0, 2), visual: visual.slice(0, 2) });
    two.add(labels.slice(1), { fused: fused.slice(2), audio: audio.slice(2), visual: visual.slice(2) });
    expect(two.rho()).toBeCloseTo(one.rho(), 12);
    expect(two.confusion).toEqual(one.confusion);
  });

  it('argmax takes the first of ties; rho of zero scores is 1', () => {
    expect(Array.from(argmaxRows([1, 1, 0, 0, 2, 2], 2, 3))).toEqual([0, 1]);
    expect(imbalanceRatio(0, 0)).toBe(1);
    expect(imbalanceRatio(2, 0)).toBe(Infinity);
  });
});
