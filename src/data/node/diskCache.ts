/**
 * Decoded clips cached on disk, one file per clip, under the page's cache key (decode/cacheKey.ts: every input
 * file's path, size and modification time, the preset's sizes and the frame cap), so a second run on the same folder
 * reads instead of decoding, and a clip whose file changed is decoded again. Like the page's IndexedDB cache it also
 * remembers files that failed for a reason inherent to the file. Node only.
 *
 * A cache file: the 8 bytes `BMMCLIP2`, a uint32 (little-endian) length, that many bytes of JSON (the key and the
 * fields of CachedClip without the tensors, and each frame kind's count and bytes), then the spectrogram codes
 * (uint16, little-endian; none without a spectrogram) and the frames of each kind in the header's order (uint8). The file name is a hash of the key; the key inside is compared on reading, so a collision is a miss.
 */
import { access, constants, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hash53 } from '../decode/cacheKey';
import type { FrameKind } from '../../core/modalities';
import type { CachedClip } from '../decode/clipCache';
import type { FrameRun } from '../decodedDataset';

const MAGIC = 'BMMCLIP2';

interface Header {
  key: string;
  ok: boolean;
  storedAt: number;
  decoder?: string;
  warnings?: string[];
  path?: string;
  reason?: string;
  spectrogramBytes?: number;
  /** Per frame kind, in this order after the spectrogram: frames and bytes. */
  frames?: { kind: FrameKind; count: number; bytes: number }[];
}

/** The bytes of a cache file. */
export function encodeCacheEntry(entry: CachedClip): Uint8Array {
  const runs = entry.ok ? (Object.entries(entry.frames) as [FrameKind, FrameRun][]) : [];
  const header: Header = entry.ok
    ? {
        key: entry.key,
        ok: true,
        storedAt: entry.storedAt,
        decoder: entry.decoder,
        ...(entry.warnings?.length ? { warnings: entry.warnings } : {}),
        spectrogramBytes: entry.spectrogram.byteLength,
        frames: runs.map(([kind, r]) => ({ kind, count: r.count, bytes: r.data.byteLength })),
      }
    : { key: entry.key, ok: false, storedAt: entry.storedAt, path: entry.path, reason: entry.reason };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const tensors = entry.ok ? entry.spectrogram.byteLength + runs.reduce((sum, [, r]) => sum + r.data.byteLength, 0) : 0;
  const out = new Uint8Array(12 + json.length + tensors);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  if (entry.ok) {
    let at = 12 + json.length;
    const view = new DataView(out.buffer);
    entry.spectrogram.forEach((code, i) => view.setUint16(at + 2 * i, code, true));
    at += entry.spectrogram.byteLength;
    for (const [, r] of runs) {
      out.set(r.data, at);
      at += r.data.byteLength;
    }
  }
  return out;
}

/** A cache file's entry, or null when the bytes are not one (damaged, or another format). */
export function decodeCacheEntry(bytes: Uint8Array): CachedClip | null {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  if (12 + length > bytes.length) return null;
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Header;
  } catch {
    return null;
  }
  if (typeof h.key !== 'string') return null;
  if (!h.ok) return { key: h.key, ok: false, path: String(h.path), reason: String(h.reason), storedAt: h.storedAt };
  let at = 12 + length;
  const specBytes = h.spectrogramBytes ?? -1;
  const runs = Array.isArray(h.frames) ? h.frames : null;
  if (specBytes < 0 || specBytes % 2 !== 0 || !runs) return null;
  if (runs.some((r) => !(r.bytes >= 0) || !(r.kind === 'rgb' || r.kind === 'flow'))) return null;
  if (at + specBytes + runs.reduce((sum, r) => sum + r.bytes, 0) !== bytes.length) return null;
  const spectrogram = new Uint16Array(specBytes / 2);
  for (let i = 0; i < spectrogram.length; i++) spectrogram[i] = view.getUint16(at + 2 * i, true);
  at += specBytes;
  const frames: Partial<Record<FrameKind, FrameRun>> = {};
  for (const r of runs) {
    frames[r.kind] = { data: new Uint8Array(bytes.subarray(at, at + r.bytes)), count: r.count };
    at += r.bytes;
  }
  return {
    key: h.key,
    ok: true,
    spectrogram,
    frames,
    decoder: h.decoder ?? '?',
    ...(Array.isArray(h.warnings) && h.warnings.length ? { warnings: h.warnings.map(String) } : {}),
    storedAt: h.storedAt,
  };
}

/** The decode cache in a folder (created when missing); decodePlan reads and writes it. */
export class DiskClipCache {
  private writes = 0;

  private constructor(readonly dir: string) {}

  /** Opens the cache folder, creating it; throws when it cannot be created or written. */
  static async open(dir: string): Promise<DiskClipCache> {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return new DiskClipCache(dir);
  }

  /** The cache file of a key. */
  fileOf(key: string): string {
    return join(this.dir, `${hash53(key).toString(36)}-${hash53(key, 1).toString(36)}.clip`);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, CachedClip>> {
    const out = new Map<string, CachedClip>();
    await Promise.all(
      keys.map(async (key) => {
        let bytes: Uint8Array;
        try {
          bytes = await readFile(this.fileOf(key));
        } catch {
          return;
        }
        const entry = decodeCacheEntry(bytes);
        if (entry && entry.key === key) out.set(key, entry);
      }),
    );
    return out;
  }

  /** Writes each entry to a temporary file, then renames it into place (a reader never sees half a file). */
  async putMany(entries: readonly CachedClip[]): Promise<void> {
    await Promise.all(
      entries.map(async (entry) => {
        const file = this.fileOf(entry.key);
        const tmp = `${file}.${process.pid}.${this.writes++}.tmp`;
        await writeFile(tmp, encodeCacheEntry(entry));
        await rename(tmp, file);
      }),
    );
  }
}
