import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ClipCache, type CachedClip } from './clipCache';

let dbCounter = 0;
const freshName = () => `test-cache-${dbCounter++}`;

const okEntry = (key: string): Extract<CachedClip, { ok: true }> => ({
  key,
  ok: true,
  spectrogram: Uint16Array.from([1, 2, 65535]),
  frames: { rgb: { data: Uint8Array.from([1, 2, 3]), count: 1 }, flow: { data: Uint8Array.from([0, 128, 255, 7]), count: 2 } },
  decoder: 'webcodecs+webcodecs',
  storedAt: 1,
});

describe('ClipCache (IndexedDB)', () => {
  it('stores and returns decoded clips and failures with their typed arrays', async () => {
    const cache = await ClipCache.open(freshName());
    await cache.putMany([okEntry('a'), { key: 'b', ok: false, path: 'x/b.mp4', reason: 'no audio track', storedAt: 2 }]);
    const got = await cache.getMany(['a', 'b', 'missing']);
    expect([...got.keys()].sort()).toEqual(['a', 'b']);
    const a = got.get('a')!;
    expect(a.ok).toBe(true);
    if (a.ok) {
      expect(a.spectrogram).toBeInstanceOf(Uint16Array);
      expect([...a.spectrogram]).toEqual([1, 2, 65535]);
      expect(a.frames.flow!.data).toBeInstanceOf(Uint8Array);
      expect([...a.frames.flow!.data]).toEqual([0, 128, 255, 7]);
      expect([a.frames.flow!.count, a.frames.rgb!.count, [...a.frames.rgb!.data]]).toEqual([2, 1, [1, 2, 3]]);
    }
    expect(got.get('b')).toMatchObject({ ok: false, reason: 'no audio track' });
    expect(await cache.count()).toBe(2);
    cache.close();
  });

  it('survives reopening, overwrites a key, and clears', async () => {
    const name = freshName();
    let cache = await ClipCache.open(name);
    await cache.putMany([okEntry('k')]);
    await cache.putMany([{ ...okEntry('k'), decoder: 'ffmpeg+ffmpeg' }]);
    cache.close();
    cache = await ClipCache.open(name);
    expect((await cache.getMany(['k'])).get('k')).toMatchObject({ decoder: 'ffmpeg+ffmpeg' });
    await cache.clear();
    expect(await cache.count()).toBe(0);
    expect((await cache.getMany(['k'])).size).toBe(0);
    expect((await cache.getMany([])).size).toBe(0);
    cache.close();
  });
});
