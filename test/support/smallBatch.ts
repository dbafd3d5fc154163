/** Test helper: a fixed batch of 4 clips (spectrograms 8 x 8, one RGB frame 8 x 8, 3 classes) for the methods' tests. */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../src/core/methods/method';

export function smallBatch(): Batch {
  const labels = tf.tensor1d([0, 1, 2, 1], 'int32');
  return {
    audio: tf.tensor4d(Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i)), [4, 8, 8, 1]),
    visual: tf.tensor5d(Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => Math.cos(i)), [4, 1, 8, 8, 3]),
    labels,
    oneHot: tf.oneHot(labels, 3).toFloat() as tf.Tensor2D,
  };
}
