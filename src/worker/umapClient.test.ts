import { describe, expect, it } from 'vitest';
import type { FeatureSnapshot } from '../core/events';
import type { Embedding, UmapIn, UmapOut } from './protocol';
import { UmapClient, umapKey, type WorkerLike } from './umapClient';

class FakeUmapWorker implements WorkerLike {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  received: UmapIn[] = [];
  terminated = false;
  postMessage(message: unknown): void {
    this.received.push(message as UmapIn);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(msg: UmapOut): void {
    this.onmessage?.({ data: msg } as MessageEvent);
  }
}

function snapshot(epoch: number): FeatureSnapshot {
  return { epoch, labels: new Int32Array(1), split: new Uint8Array(1), audio: new Float32Array(1), visual: new Float32Array(1), fused: new Float32Array(1), dims: { audio: 1, visual: 1, fused: 1 } };
}

function embedding(epoch: number): Embedding {
  return { epoch, labels: new Int32Array(1), split: new Uint8Array(1), audio: new Float32Array(2), visual: new Float32Array(2), fused: new Float32Array(2) };
}

function setup(maxWaiting = 2) {
  const workers: FakeUmapWorker[] = [];
  const log: string[] = [];
  const client = new UmapClient(
    () => {
      const w = new FakeUmapWorker();
      workers.push(w);
      return w;
    },
    {
      onEmbedding: (job, e) => log.push(`ok ${job.runId} ${job.epoch} ${e.epoch}`),
      onError: (job, m) => log.push(`error ${job.runId} ${job.epoch} ${m}`),
      onDrop: (job) => log.push(`drop ${job.runId} ${job.epoch}`),
    },
    maxWaiting,
  );
  return { client, workers, log };
}

describe('UmapClient', () => {
  it('sends one job at a time, in order, and reports results', () => {
    const { client, workers, log } = setup();
    client.enqueue({ runId: 'r', epoch: 1, seed: 3, features: snapshot(1) });
    client.enqueue({ runId: 'r', epoch: 2, seed: 3, features: snapshot(2) });
    expect(workers).toHaveLength(1);
    expect(workers[0].received.map((m) => m.key)).toEqual([umapKey('r', 1)]);
    expect(workers[0].received[0].seed).toBe(3);
    expect(client.pending()).toEqual([
      { runId: 'r', epoch: 1 },
      { runId: 'r', epoch: 2 },
    ]);
    workers[0].reply({ type: 'embedding', key: umapKey('r', 1), embedding: embedding(1), seconds: 0.1 });
    expect(workers[0].received.map((m) => m.key)).toEqual([umapKey('r', 1), umapKey('r', 2)]);
    workers[0].reply({ type: 'error', key: umapKey('r', 2), message: 'boom' });
    expect(log).toEqual(['ok r 1 1', 'error r 2 boom']);
    expect(client.pending()).toEqual([]);
  });

  it('drops the oldest waiting job when too many queue up', () => {
    const { client, workers, log } = setup(2);
    for (let e = 1; e <= 5; e++) client.enqueue({ runId: 'r', epoch: e, seed: 0, features: snapshot(e) });
    // 1 in flight; waiting 2..5 capped at 2 -> 2 and 3 dropped.
    expect(log).toEqual(['drop r 2', 'drop r 3']);
    expect(client.pending().map((j) => j.epoch)).toEqual([1, 4, 5]);
    workers[0].reply({ type: 'embedding', key: umapKey('r', 1), embedding: embedding(1), seconds: 0 });
    expect(workers[0].received.map((m) => m.key)).toEqual([umapKey('r', 1), umapKey('r', 4)]);
  });

  it('ignores replies for other keys, cancels a run, and restarts after a worker crash', () => {
    const { client, workers, log } = setup(5);
    client.enqueue({ runId: 'a', epoch: 1, seed: 0, features: snapshot(1) });
    client.enqueue({ runId: 'b', epoch: 1, seed: 0, features: snapshot(1) });
    client.enqueue({ runId: 'a', epoch: 2, seed: 0, features: snapshot(2) });
    workers[0].reply({ type: 'embedding', key: 'stale#9', embedding: embedding(9), seconds: 0 });
    expect(log).toEqual([]);
    client.cancelRun('a');
    expect(client.pending()).toEqual([
      { runId: 'a', epoch: 1 },
      { runId: 'b', epoch: 1 },
    ]);
    workers[0].onerror?.({ message: 'crashed', preventDefault() {} } as ErrorEvent);
    expect(workers[0].terminated).toBe(true);
    expect(log).toEqual(['error a 1 crashed']);
    expect(workers).toHaveLength(2);
    expect(workers[1].received.map((m) => m.key)).toEqual([umapKey('b', 1)]);
    client.dispose();
    expect(workers[1].terminated).toBe(true);
  });
});
