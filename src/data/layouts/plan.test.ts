import { describe, expect, it } from 'vitest';
import { planDataset } from './plan';
import { reader, refs } from '../../../test/support/layoutFiles';
import { DatasetLayoutError } from './types';

describe('planDataset', () => {
  it('hands back the caller’s own file objects', async () => {
    const files = refs(['a/1.mp4', 'b/2.mp4']).map((f) => ({ ...f, handle: Symbol(f.path) }));
    const plan = await planDataset(files, reader({}));
    expect(plan.clips.map((c) => c.video)).toEqual(expect.arrayContaining(files));
    expect(plan.clips[0].video).toBe(files[0]);
  });

  it('throws a DatasetLayoutError that says what it found', async () => {
    const files = refs(['docs/a.pdf', 'notes.txt']);
    await expect(planDataset(files, reader({}))).rejects.toThrow(DatasetLayoutError);
    await expect(planDataset(files, reader({}))).rejects.toThrow(/0 videos, 0 audio, 0 images, 1 text files/);
  });
});
