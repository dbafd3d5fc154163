/**
 * Decoded clips cached on disk, one file per clip, under the page's cache key (decode/cacheKey.ts: every input
 * file's path, size and modification time, the preset's sizes and the frame cap), so a second run on the same folder
 * reads instead of decoding, and a clip whose file changed is decoded again. Like the page's IndexedDB cache it also
 * remembers files that failed for a reason inherent to the file. Node only.
 *
 * A cache file: the 8 bytes `BMMCLIP1`, a uint32 (little-endian) length, that many bytes of JSON (the key and the
 * fields of CachedClip without the tensors), then the spectrogram codes (uint16, little-endian) and the frames
 * (uint8). The file name is a hash of the key; the key inside is compared on reading, so a collision is a miss.
 */
import { access, constants, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hash53 } from '../decode/cacheKey';
import type { CachedClip } from '../decode/clipCache';

const MAGIC = 'BMMCLIP1';

interface Header {
  key: string;
  ok: boolean;
  storedAt: number;
  frameCount?: number;
  frameChannels?: 2 | 3;
  decoder?: string;
  warnings?: string[];
  path?: string;
  reason?: string;
  spectrogramBytes?: number;
  frameBytes?: number;
}

/** The bytes of a cache file. */
export function encodeCacheEntry(entry: CachedClip): Uint8Array {
  const header: Header = entry.ok
    ? {
        key: entry.key,
        ok: true,
        storedAt: entry.storedAt,
        frameCount: entry.frameCount,
        frameChannels: entry.frameChannels,
        decoder: entry.decoder,
        ...(entry.warnings?.length ? { warnings: entry.warnings } : {}),
        spectrogramBytes: entry.spectrogram.byteLength,
        frameBytes: entry.frames.byteLength,
      }
    : { key: entry.key, ok: false, storedAt: entry.storedAt, path: entry.path, reason: entry.reason };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const tensors = entry.ok ? entry.spectrogram.byteLength + entry.frames.byteLength : 0;
  const out = new Uint8Array(12 + json.length + tensors);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  if (entry.ok) {
    const at = 12 + json.length;
    const view = new DataView(out.buffer);
    entry.spectrogram.forEach((code, i) => view.setUint16(at + 2 * i, code, true));
    out.set(entry.frames, at + entry.spectrogram.byteLength);
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
  const at = 12 + length;
  const specBytes = h.spectrogramBytes ?? -1;
  const frameBytes = h.frameBytes ?? -1;
  if (specBytes < 0 || specBytes % 2 !== 0 || frameBytes < 0 || at + specBytes + frameBytes !== bytes.length) return null;
  const spectrogram = new Uint16Array(specBytes / 2);
  for (let i = 0; i < spectrogram.length; i++) spectrogram[i] = view.getUint16(at + 2 * i, true);
  return {
    key: h.key,
    ok: true,
    spectrogram,
    frames: new Uint8Array(bytes.subarray(at + specBytes, at + specBytes + frameBytes)),
    frameCount: h.frameCount ?? 0,
    frameChannels: h.frameChannels === 2 ? 2 : 3,
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
