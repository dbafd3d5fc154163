import { describe, expect, it } from 'vitest';
import { planDataset } from './plan';
import { byId, ignoredKinds, reader, refs } from '../../../test/support/layoutFiles';

describe('frame folders', () => {
  it('groups natural-sorted frames per clip folder with a WAV of the same stem', async () => {
    const frames = (dir: string) => [10, 2, 1].map((k) => `${dir}/img_${k}.png`);
    const files = refs([
      ...frames('set/train/cat/clipA'),
      'set/train/cat/clipA.wav',
      ...frames('set/train/dog/clipB'),
      'set/train/dog/clipB/clipB.wav',
      ...frames('set/test/cat/clipC'),
      'set/test/cat/clipC.wav',
      ...frames('set/test/dog/clipD'),
      'set/test/dog/clipD.wav',
      ...frames('set/test/dog/clipE'),
      'set/test/dog/orphan.wav',
    ]);
    const plan = await planDataset(files, reader({}));
    expect(plan.layout).toBe('frame-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.splitSource).toBe('folders');
    expect(plan.clips.map((c) => [c.id, c.label, c.split])).toEqual([
      ['set/test/cat/clipC', 0, 'test'],
      ['set/test/dog/clipD', 1, 'test'],
      ['set/train/cat/clipA', 0, 'train'],
      ['set/train/dog/clipB', 1, 'train'],
    ]);
    const a = byId(plan).get('set/train/cat/clipA')!;
    expect(a.frames!.map((f) => f.path.split('/').pop())).toEqual(['img_1.png', 'img_2.png', 'img_10.png']);
    expect(a.audio!.path).toBe('set/train/cat/clipA.wav');
    expect(byId(plan).get('set/train/dog/clipB')!.audio!.path).toBe('set/train/dog/clipB/clipB.wav');
    expect(ignoredKinds(plan)).toEqual({ 'set/test/dog/clipE/': 'no-audio', 'set/test/dog/orphan.wav': 'no-video' });
  });
});
