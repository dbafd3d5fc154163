import { describe, expect, it } from 'vitest';
import { checkCheckpoint, CHECKPOINT_VERSION, type Checkpoint } from './checkpoint';
import { makeConfig } from './config';

const dataset = { name: 'demo', classNames: ['a', 'b'] };

function checkpointOf(method: 'agm' | 'pmr', stateOf: 'agm' | 'pmr' | null): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    config: makeConfig({ method, preset: 'tiny' }),
    dataset: { ...dataset, trainSize: 4, testSize: 2 },
    epoch: 1,
    weights: {},
    bnBatchesTracked: {},
    optimizer: { step: 0, m: {}, v: {} } as unknown as Checkpoint['optimizer'],
    rng: {} as Checkpoint['rng'],
    metrics: [],
    ...(stateOf ? { method: { method: stateOf, values: { steps: 3 } } } : {}),
  };
}

describe('checkCheckpoint', () => {
  const config = makeConfig({ method: 'agm', preset: 'tiny' });

  it("accepts a checkpoint of the config's method, with its method state or without one", () => {
    expect(() => checkCheckpoint(checkpointOf('agm', 'agm'), config, dataset)).not.toThrow();
    expect(() => checkCheckpoint(checkpointOf('agm', null), config, dataset)).not.toThrow();
  });

  it("refuses a method state that is not the config's method's, and a checkpoint of another method", () => {
    expect(() => checkCheckpoint(checkpointOf('agm', 'pmr'), config, dataset)).toThrow('checkpoint holds the state of method pmr, but the config has agm');
    expect(() => checkCheckpoint(checkpointOf('pmr', 'pmr'), config, dataset)).toThrow('checkpoint was made with method = pmr, but the config has agm');
  });

  it('refuses other classes', () => {
    expect(() => checkCheckpoint(checkpointOf('agm', 'agm'), config, { name: 'demo', classNames: ['a', 'c'] })).toThrow('checkpoint classes (a, b) differ from the dataset\'s (a, c)');
  });
});
