import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import type { Embedding } from '../worker/protocol';
import type { RunRecord } from './run';
import { isQuotaError, RunStore, StorageGuard } from './runStore';

let dbCount = 0;
const opened: RunStore[] = [];
async function openFresh(): Promise<RunStore> {
  const store = await RunStore.open(`test-${++dbCount}`);
  opened.push(store);
  return store;
}
afterEach(() => {
  while (opened.length) opened.pop()!.close();
});

function record(id: string, createdAt: number): RunRecord {
  return {
    id,
    createdAt,
    updatedAt: createdAt,
    config: makeConfig({ seed: createdAt }),
    datasetId: 'demo',
    datasetName: 'demo',
    classNames: ['a', 'b'],
    trainSize: 10,
    testSize: 2,
    backend: 'cpu',
    status: 'done',
    epochs: [],
    batches: [{ x: 0.5, loss: 1, acc: 0.5, mix: null }],
    summary: null,
    checkpointEpoch: null,
    embeddingEpochs: [],
    error: null,
  };
}

function embedding(epoch: number): Embedding {
  return {
    epoch,
    labels: new Int32Array([0, 1]),
    split: new Uint8Array([0, 1]),
    audio: new Float32Array([epoch, 0, 1, 1]),
    visual: new Float32Array(4),
    fused: new Float32Array(4),
  };
}

describe('RunStore', () => {
  it('stores, lists (oldest first), updates and reads runs', async () => {
    const s = await openFresh();
    await s.putRun(record('b', 2));
    await s.putRun(record('a', 1));
    await s.putRun({ ...record('b', 2), status: 'stopped' });
    const runs = await s.listRuns();
    expect(runs.map((r) => r.id)).toEqual(['a', 'b']);
    expect(runs[1].status).toBe('stopped');
    expect(runs[1].config).toEqual(makeConfig({ seed: 2 }));
    expect(await s.getRun('missing')).toBeNull();
  });

  it('keeps embeddings per epoch and typed arrays intact', async () => {
    const s = await openFresh();
    await s.putEmbedding('r', embedding(3));
    await s.putEmbedding('r', embedding(1));
    await s.putEmbedding('other', embedding(1));
    const got = await s.getEmbeddings('r');
    expect(got.map((e) => e.epoch)).toEqual([1, 3]);
    expect(got[1].audio).toBeInstanceOf(Float32Array);
    expect(Array.from(got[1].audio)).toEqual([3, 0, 1, 1]);
  });

  it('keeps only the latest checkpoint of a run', async () => {
    const s = await openFresh();
    await s.putCheckpoint('r', 1, { w: [1] });
    await s.putCheckpoint('r', 2, { w: [2] });
    expect(await s.getCheckpoint('r')).toEqual({ epoch: 2, checkpoint: { w: [2] } });
    expect(await s.getCheckpoint('none')).toBeNull();
  });

  it('deletes a run with its embeddings and checkpoint, leaving others', async () => {
    const s = await openFresh();
    await s.putRun(record('r', 1));
    await s.putRun(record('keep', 2));
    await s.putEmbedding('r', embedding(1));
    await s.putEmbedding('keep', embedding(1));
    await s.putCheckpoint('r', 1, {});
    await s.deleteRun('r');
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['keep']);
    expect(await s.getEmbeddings('r')).toEqual([]);
    expect(await s.getEmbeddings('keep')).toHaveLength(1);
    expect(await s.getCheckpoint('r')).toBeNull();
  });

  it('stores an imported run\'s weights and deletes them with the run', async () => {
    const s = await openFresh();
    await s.putRun(record('imp', 1));
    await s.putWeights('imp', Uint8Array.from([1, 2, 3]));
    expect(Array.from((await s.getWeights('imp')) ?? [])).toEqual([1, 2, 3]);
    expect(await s.getWeights('other')).toBeNull();
    await s.deleteRun('imp');
    expect(await s.getWeights('imp')).toBeNull();
  });

  it('upgrades a version-1 database, keeping its runs', async () => {
    const name = `test-upgrade-${++dbCount}`;
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('runs', { keyPath: 'id' }).put(record('old', 1));
        req.result.createObjectStore('embeddings', { keyPath: ['runId', 'epoch'] });
        req.result.createObjectStore('checkpoints', { keyPath: 'runId' });
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const s = await RunStore.open(name);
    opened.push(s);
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['old']);
    await s.putWeights('old', Uint8Array.from([9]));
    expect(Array.from((await s.getWeights('old')) ?? [])).toEqual([9]);
  });

  it('survives reopening the database', async () => {
    const name = `test-reopen-${++dbCount}`;
    const first = await RunStore.open(name);
    await first.putRun(record('x', 1));
    first.close();
    const second = await RunStore.open(name);
    opened.push(second);
    expect((await second.listRuns()).map((r) => r.id)).toEqual(['x']);
  });
});

describe('StorageGuard', () => {
  const quota = () => Promise.reject(new DOMException('full', 'QuotaExceededError'));

  it('recognises quota errors from several browsers', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError({ code: 22 })).toBe(true);
    expect(isQuotaError(new Error('other'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });

  it('turns checkpoints off after a quota error, reports once, and keeps saving the rest', async () => {
    const messages: string[] = [];
    const guard = new StorageGuard((m) => messages.push(m));
    let saves = 0;
    const ok = async () => {
      saves++;
    };
    expect(await guard.saveCheckpoint(ok)).toBe('saved');
    expect(await guard.saveCheckpoint(quota)).toBe('quota');
    expect(guard.checkpointsDisabled).toBe(true);
    expect(await guard.saveCheckpoint(ok)).toBe('skipped');
    expect(saves).toBe(1);
    expect(await guard.save(ok, 'run')).toBe('saved');
    expect(await guard.save(quota, 'run')).toBe('quota');
    expect(saves).toBe(2);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/storage is full.*checkpoint/i);
  });

  it('a quota error on a run record also stops checkpoints; other errors are reported and retried', async () => {
    const messages: string[] = [];
    const guard = new StorageGuard((m) => messages.push(m));
    expect(await guard.save(() => Promise.reject(new Error('disk on fire')), 'run')).toBe('failed');
    expect(guard.checkpointsDisabled).toBe(false);
    expect(messages[0]).toBe('Could not save the run: disk on fire');
    expect(await guard.save(quota, 'UMAP embedding')).toBe('quota');
    expect(guard.checkpointsDisabled).toBe(true);
    expect(await guard.saveCheckpoint(async () => {})).toBe('skipped');
  });
});
