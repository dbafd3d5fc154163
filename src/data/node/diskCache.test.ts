import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CachedClip } from '../decode/clipCache';
import { decodeCacheEntry, DiskClipCache, encodeCacheEntry } from './diskCache';

const ok: CachedClip = {
  key: 'v1/tiny/32/33x24/k3/video/abc/set/a/clip.mp4',
  ok: true,
  spectrogram: Uint16Array.from([0, 1, 65535, 258, 4660]),
  frames: Uint8Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256),
  frameCount: 2,
  frameChannels: 3,
  decoder: 'ffmpeg+ffmpeg',
  storedAt: 1_700_000_000_000,
};
const failed: CachedClip = { key: 'v1/tiny/x/bad.mp4', ok: false, path: 'set/a/bad.mp4', reason: 'not a media file', storedAt: 5 };

describe('disk clip cache', () => {
  it('round-trips decoded and failed entries, with little-endian spectrogram codes', () => {
    const bytes = encodeCacheEntry(ok);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('BMMCLIP1');
    // The codes follow the header, low byte first: 258 = 0x0102 -> 02 01.
    const at = bytes.length - ok.frames.length - 2 * ok.spectrogram.length;
    expect([...bytes.subarray(at + 6, at + 8)]).toEqual([0x02, 0x01]);
    expect(decodeCacheEntry(bytes)).toEqual(ok);
    expect(decodeCacheEntry(encodeCacheEntry(failed))).toEqual(failed);
  });

  it('treats damaged files as misses and keeps entries under their own key', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bmm-cache-')), 'cache');
    const cache = await DiskClipCache.open(dir);
    await cache.putMany([ok, failed]);
    expect(readdirSync(dir).sort()).toEqual([cache.fileOf(ok.key), cache.fileOf(failed.key)].map((p) => p.slice(dir.length + 1)).sort());
    const got = await cache.getMany([ok.key, failed.key, 'v1/other']);
    expect([...got.keys()].sort()).toEqual([failed.key, ok.key].sort());
    expect(got.get(ok.key)).toEqual(ok);
    // Cut short: a miss, not an error.
    writeFileSync(cache.fileOf(ok.key), encodeCacheEntry(ok).subarray(0, 30));
    expect((await cache.getMany([ok.key])).size).toBe(0);
    // Another key's entry under this key's file name (a hash collision): a miss.
    writeFileSync(cache.fileOf(ok.key), encodeCacheEntry(failed));
    expect((await cache.getMany([ok.key])).size).toBe(0);
  });
});
