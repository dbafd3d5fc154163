/**
 * Decoded clips cached in IndexedDB under their cache key (cacheKey.ts), so dropping the same folder again loads in
 * seconds instead of decoding. Also remembers files that failed to decode for a reason inherent to the file
 * (corrupt, no audio track ...), so they are not retried. Raw IndexedDB (no wrapper library); a failure to store
 * (quota, private mode) never fails the decode, it only disables the cache.
 */
import type { DecodedTensors } from '../decodedDataset';
import { done, request } from '../idb';

export const CACHE_DB_NAME = 'bmm-lab-decoded';
const STORE = 'clips';
const DB_VERSION = 1;

export type CachedClip =
  | ({
      key: string;
      ok: true;
      /** Which decoder produced it, e.g. 'webcodecs+webcodecs' (video+audio). */
      decoder: string;
      /** Why the clip may be damaged (decoding errors, duration shortfall); kept so a cached clip warns again. */
      warnings?: string[];
      storedAt: number;
    } & DecodedTensors)
  | { key: string; ok: false; path: string; reason: string; storedAt: number };

export class ClipCache {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating if needed) the cache database. `factory` defaults to the global indexedDB. */
  static async open(name = CACHE_DB_NAME, factory: IDBFactory = indexedDB): Promise<ClipCache> {
    const req = factory.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'key' });
    };
    const db = await request(req);
    return new ClipCache(db);
  }

  /** The cached entries among `keys` (one read transaction). */
  async getMany(keys: readonly string[]): Promise<Map<string, CachedClip>> {
    const out = new Map<string, CachedClip>();
    if (keys.length === 0) return out;
    const tx = this.db.transaction(STORE, 'readonly');
    const store = tx.objectStore(STORE);
    const finished = done(tx);
    await Promise.all(
      keys.map(async (key) => {
        const value = (await request(store.get(key))) as CachedClip | undefined;
        if (value) out.set(key, value);
      }),
    );
    await finished;
    return out;
  }

  /** Stores entries in one transaction. */
  async putMany(entries: readonly CachedClip[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const e of entries) store.put(e);
    await done(tx);
  }

  async count(): Promise<number> {
    const tx = this.db.transaction(STORE, 'readonly');
    return request(tx.objectStore(STORE).count());
  }

  /** Removes every cached clip. */
  async clear(): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).clear();
    await done(tx);
  }

  close(): void {
    this.db.close();
  }
}
