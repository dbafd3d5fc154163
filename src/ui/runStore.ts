/**
 * Runs kept in IndexedDB: the run records, their UMAP embeddings per epoch and the latest checkpoint of each
 * run (an opaque object from the worker). When storage is full, `StorageGuard` stops saving checkpoints (the
 * large part) and says so once, and everything else keeps working.
 */
import type { CheckpointData, Embedding } from '../worker/protocol';
import { done, request } from '../data/idb';
import type { RunRecord } from './run';

const DB_VERSION = 2;
const RUNS = 'runs';
const EMBEDDINGS = 'embeddings';
const CHECKPOINTS = 'checkpoints';
/** Final weights of imported runs (safetensors bytes), to open them for the maps and the matrices. */
const WEIGHTS = 'weights';

interface StoredEmbedding {
  runId: string;
  epoch: number;
  embedding: Embedding;
}

interface StoredCheckpoint {
  runId: string;
  epoch: number;
  checkpoint: CheckpointData;
}



export class RunStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating if needed) the lab's database. */
  static async open(name = 'bmm-lab', factory: IDBFactory = indexedDB): Promise<RunStore> {
    const req = factory.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(EMBEDDINGS)) db.createObjectStore(EMBEDDINGS, { keyPath: ['runId', 'epoch'] });
      if (!db.objectStoreNames.contains(CHECKPOINTS)) db.createObjectStore(CHECKPOINTS, { keyPath: 'runId' });
      if (!db.objectStoreNames.contains(WEIGHTS)) db.createObjectStore(WEIGHTS, { keyPath: 'runId' });
    };
    return new RunStore(await request(req));
  }

  /** All runs, oldest first. */
  async listRuns(): Promise<RunRecord[]> {
    const tx = this.db.transaction(RUNS, 'readonly');
    const runs = await request(tx.objectStore(RUNS).getAll() as IDBRequest<RunRecord[]>);
    return runs.sort((a, b) => a.createdAt - b.createdAt);
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const tx = this.db.transaction(RUNS, 'readonly');
    return ((await request(tx.objectStore(RUNS).get(id))) as RunRecord | undefined) ?? null;
  }

  async putRun(run: RunRecord): Promise<void> {
    const tx = this.db.transaction(RUNS, 'readwrite');
    tx.objectStore(RUNS).put(run);
    await done(tx);
  }

  /** Deletes a run with its embeddings, checkpoint and stored weights. */
  async deleteRun(id: string): Promise<void> {
    const tx = this.db.transaction([RUNS, EMBEDDINGS, CHECKPOINTS, WEIGHTS], 'readwrite');
    tx.objectStore(RUNS).delete(id);
    tx.objectStore(EMBEDDINGS).delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
    tx.objectStore(CHECKPOINTS).delete(id);
    tx.objectStore(WEIGHTS).delete(id);
    await done(tx);
  }

  async putEmbedding(runId: string, embedding: Embedding): Promise<void> {
    const tx = this.db.transaction(EMBEDDINGS, 'readwrite');
    const row: StoredEmbedding = { runId, epoch: embedding.epoch, embedding };
    tx.objectStore(EMBEDDINGS).put(row);
    await done(tx);
  }

  /** A run's embeddings, by epoch ascending. */
  async getEmbeddings(runId: string): Promise<Embedding[]> {
    const tx = this.db.transaction(EMBEDDINGS, 'readonly');
    const rows = (await request(tx.objectStore(EMBEDDINGS).getAll(IDBKeyRange.bound([runId, -Infinity], [runId, Infinity])))) as StoredEmbedding[];
    return rows.sort((a, b) => a.epoch - b.epoch).map((r) => r.embedding);
  }

  /** Replaces the run's checkpoint (only the latest is kept). */
  async putCheckpoint(runId: string, epoch: number, checkpoint: CheckpointData): Promise<void> {
    const tx = this.db.transaction(CHECKPOINTS, 'readwrite');
    const row: StoredCheckpoint = { runId, epoch, checkpoint };
    tx.objectStore(CHECKPOINTS).put(row);
    await done(tx);
  }

  async getCheckpoint(runId: string): Promise<{ epoch: number; checkpoint: CheckpointData } | null> {
    const tx = this.db.transaction(CHECKPOINTS, 'readonly');
    const row = (await request(tx.objectStore(CHECKPOINTS).get(runId))) as StoredCheckpoint | undefined;
    return row ? { epoch: row.epoch, checkpoint: row.checkpoint } : null;
  }

  /** Stores an imported run's final weights (safetensors bytes). */
  async putWeights(runId: string, bytes: Uint8Array): Promise<void> {
    const tx = this.db.transaction(WEIGHTS, 'readwrite');
    tx.objectStore(WEIGHTS).put({ runId, bytes });
    await done(tx);
  }

  async getWeights(runId: string): Promise<Uint8Array | null> {
    const tx = this.db.transaction(WEIGHTS, 'readonly');
    const row = (await request(tx.objectStore(WEIGHTS).get(runId))) as { bytes: Uint8Array } | undefined;
    return row ? row.bytes : null;
  }

  close(): void {
    this.db.close();
  }
}

/** True for the errors browsers raise when storage is full. */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

export type SaveOutcome = 'saved' | 'skipped' | 'quota' | 'failed';

/**
 * Wraps saves so storage trouble never stops training. The first quota error turns checkpoint saving off for
 * the rest of the page's life (checkpoints are the bulk of the data) and reports one message; other failures
 * are reported and the next save is tried again.
 */
export class StorageGuard {
  private checkpointsOff = false;
  private quotaReported = false;

  constructor(private readonly report: (message: string) => void) {}

  get checkpointsDisabled(): boolean {
    return this.checkpointsOff;
  }

  /** Saves a checkpoint unless checkpoints are off. Never throws. */
  async saveCheckpoint(save: () => Promise<void>): Promise<SaveOutcome> {
    if (this.checkpointsOff) return 'skipped';
    return this.run(save, 'checkpoint');
  }

  /** Saves a run record or an embedding. Never throws. */
  async save(save: () => Promise<void>, what: string): Promise<SaveOutcome> {
    return this.run(save, what);
  }

  private async run(save: () => Promise<void>, what: string): Promise<SaveOutcome> {
    try {
      await save();
      return 'saved';
    } catch (err) {
      if (isQuotaError(err)) {
        this.checkpointsOff = true;
        if (!this.quotaReported) {
          this.quotaReported = true;
          this.report(
            `Browser storage is full (saving the ${what} failed): checkpoints are no longer saved; training goes on. ` +
              'Delete old runs to free space.',
          );
        }
        return 'quota';
      }
      this.report(`Could not save the ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return 'failed';
    }
  }
}
