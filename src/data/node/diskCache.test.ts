import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CachedClip } from '../decode/clipCache';
import { decodeCacheEntry, DiskClipCache, encodeCacheEntry } from './diskCache';

const ok: CachedClip = {
  key: 'v3/tiny/32/33x24/k3/spectrogram+rgb/abc/set/a/clip.mp4',
  ok: true,
  spectrogram: Uint16Array.from([0, 1, 65535, 258, 4660]),
  frames: { rgb: { data: Uint8Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256), count: 2 } },
  decoder: 'ffmpeg+ffmpeg',
  storedAt: 1_700_000_000_000,
};
const failed: CachedClip = { key: 'v1/tiny/x/bad.mp4', ok: false, path: 'set/a/bad.mp4', reason: 'not a media file', storedAt: 5 };

describe('disk clip cache', () => {
  it('round-trips decoded and failed entries, with little-endian spectrogram codes', () => {
    const bytes = encodeCacheEntry(ok);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('BMMCLIP2');
    // The codes follow the header, low byte first: 258 = 0x0102 -> 02 01.
    const at = bytes.length - (ok.ok ? ok.frames.rgb!.data.length : 0) - 2 * (ok.ok ? ok.spectrogram.length : 0);
    expect([...bytes.subarray(at + 6, at + 8)]).toEqual([0x02, 0x01]);
    expect(decodeCacheEntry(bytes)).toEqual(ok);
    expect(decodeCacheEntry(encodeCacheEntry(failed))).toEqual(failed);
    // RGB + flow: no spectrogram, two frame kinds one after the other.
    const rgbFlow: CachedClip = {
      ...ok,
      key: 'v3/tiny/32/33x24/k3/rgb+flow/abc/set/a/clip.avi',
      spectrogram: new Uint16Array(0),
      frames: { rgb: { data: Uint8Array.from([1, 2, 3]), count: 1 }, flow: { data: Uint8Array.from([9, 8, 7, 6]), count: 2 } },
    };
    const two = encodeCacheEntry(rgbFlow);
    expect([...two.subarray(two.length - 7)]).toEqual([1, 2, 3, 9, 8, 7, 6]);
    expect(decodeCacheEntry(two)).toEqual(rgbFlow);
    expect(decodeCacheEntry(two.subarray(0, two.length - 1)), 'one byte short').toBeNull();
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
