import { describe, expect, it } from 'vitest';
import { planDataset } from './plan';
import { byId, ignoredKinds, reader, refs } from '../../../test/support/layoutFiles';

describe('class folders', () => {
  it('uses train/ and test/ folders at any depth and attaches same-stem audio', async () => {
    const files = refs([
      'kinetics/train/playing drums/a.mp4',
      'kinetics/train/playing drums/a.wav',
      'kinetics/train/playing drums/b.mp4',
      'kinetics/train/abseiling/c.webm',
      'kinetics/test/abseiling/d.mp4',
      'kinetics/test/playing drums/e.mp4',
    ]);
    const plan = await planDataset(files, reader({}));
    expect(plan.layout).toBe('class-folders');
    expect(plan.splitSource).toBe('folders');
    expect(plan.classNames).toEqual(['abseiling', 'playing drums']);
    expect(plan.clips.map((c) => [c.id, c.label, c.split])).toEqual([
      ['kinetics/test/abseiling/d.mp4', 0, 'test'],
      ['kinetics/test/playing drums/e.mp4', 1, 'test'],
      ['kinetics/train/abseiling/c.webm', 0, 'train'],
      ['kinetics/train/playing drums/a.mp4', 1, 'train'],
      ['kinetics/train/playing drums/b.mp4', 1, 'train'],
    ]);
    expect(byId(plan).get('kinetics/train/playing drums/a.mp4')!.audio!.path).toBe('kinetics/train/playing drums/a.wav');
    expect(plan.ignored).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('sorts out a mixed folder with junk files', async () => {
    const files = refs([
      'drop/cat/1.mp4',
      'drop/cat/2.MP4',
      'drop/cat/.DS_Store',
      'drop/cat/cover.jpg',
      'drop/dog/3.avi',
      'drop/dog/4.mkv',
      'drop/dog/notes.txt',
      'drop/dog/stray.wav',
      'drop/dog/thumbs.db',
      'drop/dog/clip.xyz',
      'drop/dog/empty.mp4',
      'loose.mp4',
      '__MACOSX/cat/._1.mp4',
    ]);
    files.find((f) => f.path === 'drop/dog/empty.mp4')!.size = 0;
    const plan = await planDataset(files, reader({}), { seed: 1 });
    expect(plan.layout).toBe('class-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.clips.map((c) => c.id)).toEqual(['drop/cat/1.mp4', 'drop/cat/2.MP4', 'drop/dog/3.avi', 'drop/dog/4.mkv']);
    expect(plan.clips.filter((c) => c.split === 'test')).toHaveLength(2);
    expect(ignoredKinds(plan)).toEqual({
      'drop/cat/.DS_Store': 'hidden',
      'drop/cat/cover.jpg': 'unused-file',
      'drop/dog/notes.txt': 'unused-file',
      'drop/dog/stray.wav': 'no-video',
      'drop/dog/thumbs.db': 'hidden',
      'drop/dog/clip.xyz': 'unknown-extension',
      'drop/dog/empty.mp4': 'empty',
      'loose.mp4': 'no-class-folder',
      '__MACOSX/cat/._1.mp4': 'hidden',
    });
  });

  it('ignores clips outside train/test when other clips use them, and validation folders', async () => {
    const files = refs(['train/a/1.mp4', 'train/b/2.mp4', 'test/a/3.mp4', 'test/b/4.mp4', 'val/a/5.mp4', 'extra/a/6.mp4', 'train/7.mp4']);
    const plan = await planDataset(files, reader({}));
    expect(plan.clips).toHaveLength(4);
    expect(ignoredKinds(plan)).toEqual({
      'val/a/5.mp4': 'unused-split-folder',
      'extra/a/6.mp4': 'not-in-split',
      'train/7.mp4': 'no-class-folder',
    });
  });
});
