/**
 * Page side of the UMAP worker: a queue that sends one snapshot at a time. When snapshots arrive faster than
 * UMAP can embed them, the oldest waiting ones are dropped (the newest epoch matters most; raw features are
 * large), and the caller is told which.
 */
import type { FeatureSnapshot } from '../core/events';
import { assertNever, snapshotTransferables, type Embedding, type UmapIn, type UmapOut } from './protocol';

/** The part of `Worker` the client uses (a fake in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
  terminate(): void;
}

export interface UmapJob {
  runId: string;
  epoch: number;
  seed: number;
  features: FeatureSnapshot;
}

export interface UmapCallbacks {
  onEmbedding(job: { runId: string; epoch: number }, embedding: Embedding, seconds: number): void;
  onError(job: { runId: string; epoch: number }, message: string): void;
  /** A waiting job was dropped because newer snapshots queued up. */
  onDrop?(job: { runId: string; epoch: number }): void;
}

export function umapKey(runId: string, epoch: number): string {
  return `${runId}#${epoch}`;
}

export class UmapClient {
  private worker: WorkerLike | null = null;
  private waiting: UmapJob[] = [];
  private inFlight: UmapJob | null = null;

  constructor(
    private readonly createWorker: () => WorkerLike,
    private readonly callbacks: UmapCallbacks,
    private readonly maxWaiting = 3,
  ) {}

  /** Queue a snapshot; it is sent when the worker is free. */
  enqueue(job: UmapJob): void {
    this.waiting.push(job);
    while (this.waiting.length > this.maxWaiting) {
      const dropped = this.waiting.shift()!;
      this.callbacks.onDrop?.({ runId: dropped.runId, epoch: dropped.epoch });
    }
    this.pump();
  }

  /** Jobs not yet finished (in flight first), as (runId, epoch). */
  pending(): { runId: string; epoch: number }[] {
    const jobs = this.inFlight ? [this.inFlight, ...this.waiting] : this.waiting;
    return jobs.map((j) => ({ runId: j.runId, epoch: j.epoch }));
  }

  /** Forget waiting jobs of a run (e.g. deleted); an in-flight one still reports. */
  cancelRun(runId: string): void {
    this.waiting = this.waiting.filter((j) => j.runId !== runId);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.waiting = [];
    this.inFlight = null;
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (e: MessageEvent) => this.handle(e.data as UmapOut);
    worker.onerror = (e: ErrorEvent) => {
      // The worker itself failed (e.g. it could not load): report the job and start a fresh worker next time.
      e.preventDefault?.();
      const job = this.inFlight;
      this.inFlight = null;
      this.worker?.terminate();
      this.worker = null;
      if (job) this.callbacks.onError({ runId: job.runId, epoch: job.epoch }, e.message || 'UMAP worker failed');
      this.pump();
    };
    this.worker = worker;
    return worker;
  }

  private pump(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const job = this.waiting.shift()!;
    this.inFlight = job;
    const message: UmapIn = { type: 'embed', key: umapKey(job.runId, job.epoch), seed: job.seed, features: job.features };
    this.ensureWorker().postMessage(message, snapshotTransferables(job.features));
  }

  private handle(msg: UmapOut): void {
    const job = this.inFlight;
    if (!job || umapKey(job.runId, job.epoch) !== msg.key) return;
    this.inFlight = null;
    switch (msg.type) {
      case 'embedding':
        this.callbacks.onEmbedding({ runId: job.runId, epoch: job.epoch }, msg.embedding, msg.seconds);
        break;
      case 'error':
        this.callbacks.onError({ runId: job.runId, epoch: job.epoch }, msg.message);
        break;
      default:
        assertNever(msg);
    }
    this.pump();
  }
}
