import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { encodeSafetensors } from '../core/safetensors';
import { importedConfig, importMismatches, importNotice, weightsFacts } from './importedWeights';

const evaluation = {
  fused: { trainAcc: 0.9, testAcc: 0.625 },
  audio: { trainAcc: 0.8, testAcc: 0.5 },
  visual: { trainAcc: 0.4, testAcc: 0.25 },
  rho: 1.75,
  confusion: { fused: [[1]], audio: [[1]], visual: [[1]] },
};

describe('imported weights', () => {
  const file = encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: Float32Array.of(1) }], {
    method: 'bmm',
    fusion: 'film',
    preset: 'paper',
    width: '1',
    audio_shape: '[1,257,188]',
    visual_shape: '[3,1,224,224]',
    class_names: '["a","b"]',
  });

  it('reads what the file was trained at from its header', () => {
    expect(weightsFacts(file)).toEqual({ method: 'bmm', fusion: 'film', preset: 'paper', width: 1, audioShape: [1, 257, 188], visualShape: [3, 1, 224, 224], classNames: ['a', 'b'] });
    expect(weightsFacts(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('names every difference from the form: preset, spectrogram size, frame size and count', () => {
    const form = makeConfig({ preset: 'fast' });
    expect(importMismatches(weightsFacts(file)!, form)).toEqual([
      'it was trained at preset paper, the form says fast',
      `its spectrogram input was 257 x 188, the form's is ${form.audioHeight} x ${form.audioWidth}`,
      `its frames were 224 px x 1, the form's are ${form.visualSize} px x 1`,
    ]);
    expect(importMismatches(weightsFacts(file)!, makeConfig({ preset: 'paper' }))).toEqual([]);
    expect(importMismatches({}, form)).toEqual([]);
  });

  it('records the run under the file\u2019s method and fusion, and says what it was evaluated on', () => {
    const form = makeConfig({ preset: 'paper', method: 'erm', fusion: 'concat', seed: 4 });
    expect(importedConfig(weightsFacts(file), form)).toMatchObject({ method: 'bmm', fusion: 'film', seed: 4 });
    expect(importedConfig({ method: 'unknown' }, form).method).toBe('erm');
    const text = importNotice('w.safetensors', 62, evaluation, { name: 'demo', classNames: ['a'], trainSize: 240, testSize: 120 }, form, ['it was trained at preset paper, the form says fast']);
    expect(text).toBe(
      'Loaded 62 tensors from w.safetensors, evaluated on the demo dataset generated with seed 4: test accuracy over its test split (120 clips), rho over its training split (240 clips). ' +
        'Test accuracy 62.5% (audio 50.0%, visual 25.0%), rho 1.75. It is in the runs list; Train continues from these weights. ' +
        "Note: it was trained at preset paper, the form says fast; the accuracies are of the weights at the form's input sizes.",
    );
  });
});
