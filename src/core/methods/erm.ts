/** Plain training (ERM): L = CE(fusion(z_a, z_v), y). */
import type { TrainingMethod } from './method';
import { softCrossEntropy } from './method';

export function createErm(): TrainingMethod {
  return {
    name: 'erm',
    beginEpoch() {},
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      return { loss: softCrossEntropy(out.logits, batch.oneHot), logits: out.logits };
    },
    batchMix: () => null,
  };
}
