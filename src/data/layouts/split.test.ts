import { describe, expect, it } from 'vitest';
import { Collector, toEntries } from './entries';
import { splitFromLists, stratifiedSplit, type SplitLists } from './split';
import { reader, refs } from '../../../test/support/layoutFiles';
import type { FileRef, RawClip } from './types';

describe('splitFromLists', () => {
  const [a, b, c, cWav] = refs(['v/a.mp4', 'v/b.mp4', 'v/c.mp4', 'w/c.wav']);
  const clips = () =>
    new Map<string, RawClip<FileRef>>([
      ['a', { id: 'a', label: 0, video: a }],
      ['b', { id: 'b', label: 1, video: b }],
      ['c', { id: 'c', label: 1, video: c, audio: cWav }],
    ]);
  const [trainList, testList] = toEntries(refs(['lists/train.txt', 'lists/test.txt']), new Collector());
  const texts = { 'lists/train.txt': 'a\r\nx\n\n  a  \n# note\n', 'lists/test.txt': '\uFEFFb\na\n' };
  const lists = (files: SplitLists<FileRef>['files']): SplitLists<FileRef> => ({
    files,
    names: { train: 'train.txt', test: 'test.txt' },
    parseLine: (line) => (line.startsWith('#') ? null : { key: line, name: line }),
  });

  it('with both lists: first list wins, unlisted clips are ignored with all their files, missing names warned', async () => {
    const out = new Collector();
    const r = await splitFromLists(clips(), lists({ train: trainList, test: testList }), reader(texts), out);
    expect(r.splitSource).toBe('files');
    expect(r.clips.map((k) => [k.id, k.split])).toEqual([
      ['a', 'train'],
      ['b', 'test'],
    ]);
    expect(out.warnings).toEqual([
      "train.txt: 1 listed clips not found among the dropped files: 'x'",
      'a is listed in both train.txt and test.txt; kept in train',
    ]);
    expect(out.ignored).toEqual([
      { path: 'v/c.mp4', kind: 'not-in-split', reason: 'not listed in train.txt or test.txt' },
      { path: 'w/c.wav', kind: 'not-in-split', reason: 'not listed in train.txt or test.txt' },
    ]);
  });

  it('with one list, the unlisted clips go to the other split', async () => {
    const out = new Collector();
    const r = await splitFromLists(clips(), lists({ test: testList }), reader(texts), out);
    expect(r.clips.map((k) => [k.id, k.split])).toEqual([
      ['a', 'test'],
      ['b', 'test'],
      ['c', 'train'],
    ]);
    expect(out.warnings).toEqual(['only test.txt found: 1 clips not listed in it are used as train']);
    expect(out.ignored).toEqual([]);
  });

  it('without lists, hands the clips back unsplit', async () => {
    const out = new Collector();
    const r = await splitFromLists(clips(), lists({}), reader({}), out);
    expect(r.splitSource).toBeNull();
    expect(r.clips.map((k) => [k.id, k.split])).toEqual([
      ['a', undefined],
      ['b', undefined],
      ['c', undefined],
    ]);
    expect(out.warnings).toEqual([]);
  });
});

describe('stratifiedSplit', () => {
  const labels = [...Array(10).fill(0), ...Array(15).fill(1), 2, ...Array(2).fill(3), ...Array(25).fill(4)];
  const testCount = (s: string[], c: number) => s.filter((x, i) => x === 'test' && labels[i] === c).length;

  it('puts round(n * 0.1) per class in test, at least 1 for classes of 2 or more', () => {
    const s = stratifiedSplit(labels, 0.1, 3);
    expect([0, 1, 2, 3, 4].map((c) => testCount(s, c))).toEqual([1, 2, 0, 1, 3]);
  });

  it('is deterministic for a seed and different for another', () => {
    expect(stratifiedSplit(labels, 0.1, 3)).toEqual(stratifiedSplit(labels, 0.1, 3));
    expect(stratifiedSplit(labels, 0.1, 4)).not.toEqual(stratifiedSplit(labels, 0.1, 3));
  });

  it("reproduces CREMA-D's 6698 / 744 from its class sizes", () => {
    const crema = [1087, 1271, 1271, 1271, 1271, 1271].flatMap((n, c) => Array<number>(n).fill(c));
    const s = stratifiedSplit(crema, 0.1, 0);
    expect(s.filter((x) => x === 'test')).toHaveLength(744);
  });

  it('handles other fractions and rejects bad ones', () => {
    expect(stratifiedSplit([0, 0, 0, 0], 0.5, 1).filter((x) => x === 'test')).toHaveLength(2);
    expect(stratifiedSplit([0, 0, 0], 0, 1)).toEqual(['train', 'train', 'train']);
    expect(() => stratifiedSplit([0], 1)).toThrow(/\[0, 1\)/);
  });
});