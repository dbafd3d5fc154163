import { describe, expect, it } from 'vitest';
import { planDataset } from './plan';
import { summarizePlan } from './summary';
import { reader, refs } from '../../../test/support/layoutFiles';

describe('summarizePlan', () => {
  it('summarises clips per class per split', async () => {
    const files = refs(['train/a/1.mp4', 'train/a/2.mp4', 'train/b/3.mp4', 'test/a/4.mp4', 'x/.DS_Store']);
    const plan = await planDataset(files, reader({}));
    const summary = summarizePlan(plan);
    expect(summary).toMatchObject({
      layout: 'class-folders',
      train: 3,
      test: 1,
      ignored: 1,
      ignoredByKind: { hidden: 1 },
      classes: [
        { label: 0, name: 'a', train: 2, test: 1 },
        { label: 1, name: 'b', train: 1, test: 0 },
      ],
    });
    expect(plan.warnings).toEqual(["class 'b' has no test clips"]);
  });
});
