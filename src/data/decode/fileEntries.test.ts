import { describe, expect, it } from 'vitest';
import {
  filesFromFileList,
  mergeDropped,
  screenNames,
  walkEntries,
  type DroppedFile,
  type FsDirectoryEntryLike,
  type FsEntryLike,
  type FsFileEntryLike,
} from './fileEntries';

/** Fake entries API: a directory's reader hands out its children in batches of at most `batch`, then []. */
interface Tree {
  [name: string]: Tree | string | Error;
}

const calls = { readEntries: 0, maxBatch: 0 };

function makeEntry(name: string, node: Tree | string | Error, parent: string, batch: number): FsEntryLike {
  const fullPath = `${parent}/${name}`;
  if (typeof node === 'string' || node instanceof Error) {
    const entry: FsFileEntryLike = {
      isFile: true,
      isDirectory: false,
      name,
      fullPath,
      file(success, error) {
        if (node instanceof Error) setTimeout(() => error?.(node), 0);
        else setTimeout(() => success(new File([node], name, { lastModified: 1_700_000_000_000 })), 0);
      },
    };
    return entry;
  }
  const entry: FsDirectoryEntryLike = {
    isFile: false,
    isDirectory: true,
    name,
    fullPath,
    createReader() {
      const children = Object.entries(node).map(([n, c]) => makeEntry(n, c, fullPath, batch));
      let at = 0;
      return {
        readEntries(success, error) {
          calls.readEntries++;
          if (name === 'locked') {
            setTimeout(() => error?.(new DOMException('denied', 'NotReadableError')), 0);
            return;
          }
          const out = children.slice(at, at + batch);
          at += out.length;
          calls.maxBatch = Math.max(calls.maxBatch, out.length);
          setTimeout(() => success(out), 0);
        },
      };
    },
  };
  return entry;
}

describe('walkEntries', () => {
  it('reads every batch of a large directory (readEntries returns at most 100 per call) and nested folders', async () => {
    const many: Tree = {};
    for (let i = 0; i < 250; i++) many[`clip${i}.mp4`] = `video ${i}`;
    const tree: Tree = { train: { red: many, green: { 'a.mp4': 'x' } }, 'train.csv': 'a,b' };
    calls.readEntries = 0;
    calls.maxBatch = 0;
    const root = makeEntry('dataset', tree, '', 100);
    const counts: number[] = [];
    const { files, unreadable } = await walkEntries([root], (n) => counts.push(n));
    expect(unreadable).toEqual([]);
    expect(files).toHaveLength(252);
    expect(calls.maxBatch).toBe(100);
    // red: 3 full/partial batches + the empty one; the others: 1 batch + the empty one.
    expect(calls.readEntries).toBe(4 + 2 + 2 + 2);
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dataset/train/red/clip249.mp4');
    expect(paths).toContain('dataset/train/green/a.mp4');
    expect(paths).toContain('dataset/train.csv');
    expect(new Set(paths).size).toBe(252);
    const csv = files.find((f) => f.path === 'dataset/train.csv')!;
    expect(csv.size).toBe(3);
    expect(csv.lastModified).toBe(1_700_000_000_000);
    expect(await csv.file.text()).toBe('a,b');
    expect(counts[counts.length - 1]).toBe(252);
  });

  it('keeps going past unreadable files and folders, listing them with the reason', async () => {
    const tree: Tree = { 'ok.mp4': 'x', 'gone.mp4': new Error('file was moved'), locked: { 'x.mp4': 'x' } };
    const { files, unreadable } = await walkEntries([makeEntry('d', tree, '', 100)]);
    expect(files.map((f) => f.path)).toEqual(['d/ok.mp4']);
    expect(unreadable).toEqual([
      { path: 'd/gone.mp4', reason: 'could not read the file: file was moved' },
      { path: 'd/locked/', reason: expect.stringContaining('could not list the folder') },
    ]);
  });

  it('handles several dropped roots and small batches', async () => {
    const a = makeEntry('A', { 'x.mp4': '1', 'y.mp4': '2', 'z.mp4': '3' }, '', 1);
    const b = makeEntry('B', { 'w.wav': '4' }, '', 1);
    const { files } = await walkEntries([a, b]);
    expect(files.map((f) => f.path)).toEqual(['A/x.mp4', 'A/y.mp4', 'A/z.mp4', 'B/w.wav']);
  });
});

function fakeInputFile(relativePath: string, content = 'x'): File {
  const f = new File([content], relativePath.split('/').pop()!, { lastModified: 5 });
  Object.defineProperty(f, 'webkitRelativePath', { value: relativePath });
  return f;
}

describe('files from <input webkitdirectory>, merging and names', () => {
  it('uses webkitRelativePath', () => {
    const list = [fakeInputFile('crema/VideoFlash/1001_DFA_ANG_XX.flv', 'abc'), fakeInputFile('crema/train.csv')];
    const files = filesFromFileList(list);
    expect(files.map((f) => [f.path, f.size, f.lastModified])).toEqual([
      ['crema/VideoFlash/1001_DFA_ANG_XX.flv', 3, 5],
      ['crema/train.csv', 1, 5],
    ]);
  });

  it('merges several folders and replaces a path dropped again', () => {
    const one = filesFromFileList([fakeInputFile('a/x.mp4', '1'), fakeInputFile('a/y.mp4', '1')]);
    const two = filesFromFileList([fakeInputFile('b/x.mp4'), fakeInputFile('a/y.mp4', '22')]);
    const merged = mergeDropped(one, two);
    expect(merged.map((f) => [f.path, f.size])).toEqual([
      ['a/x.mp4', 1],
      ['a/y.mp4', 2],
      ['b/x.mp4', 1],
    ]);
  });

  it('sets aside names with undecodable or control characters', () => {
    const files: DroppedFile[] = ['ok/a.mp4', 'ok/b\uFFFD.mp4', 'ok/c\u0007.mp4'].map((path) => ({ path, size: 1, lastModified: 0, file: new File(['x'], 'x') }));
    const { usable, unreadable } = screenNames(files);
    expect(usable.map((f) => f.path)).toEqual(['ok/a.mp4']);
    expect(unreadable.map((u) => u.path)).toEqual(['ok/b\uFFFD.mp4', 'ok/c\u0007.mp4']);
    expect(unreadable[0].reason).toMatch(/unreadable file name/);
  });
});
