/**
 * A pool of decode workers: jobs are queued and handed to the next idle worker, one at a time each. A worker that
 * crashes fails its job (not as the file's fault) and is replaced. `terminate` stops everything at once (Cancel).
 */
import type { DecodeIn, DecodeJob, DecodeOut, DecodeResult } from './messages';

/** The worker-like object the pool drives (a real Worker, or a fake in tests). */
export interface WorkerLike {
  postMessage(message: DecodeIn): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<DecodeOut>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** Workers to run: hardware threads minus one for the page, between 2 and 4 (each holds its own ffmpeg.wasm). */
export function defaultPoolSize(hardwareConcurrency = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 2): number {
  const n = Number.isFinite(hardwareConcurrency) && hardwareConcurrency > 0 ? hardwareConcurrency : 2;
  return Math.max(2, Math.min(4, n - 1));
}

interface Pending {
  job: DecodeJob;
  resolve: (r: DecodeResult) => void;
}

interface Slot {
  worker: WorkerLike;
  busy: Pending | null;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private stopped = false;

  constructor(
    readonly size: number,
    private readonly createWorker: () => WorkerLike,
  ) {}

  /** Decodes one job; resolves with the worker's result (never rejects; a crash is a failed result). */
  run(job: DecodeJob): Promise<DecodeResult> {
    return new Promise((resolve) => {
      if (this.stopped) {
        resolve({ type: 'result', id: job.id, ok: false, path: job.clipId, reason: 'cancelled', inherent: false, ms: 0 });
        return;
      }
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  private spawn(): Slot {
    const slot: Slot = { worker: this.createWorker(), busy: null };
    slot.worker.onmessage = (e) => {
      const msg = e.data;
      if (msg?.type !== 'result' || !slot.busy || msg.id !== slot.busy.job.id) return;
      const pending = slot.busy;
      slot.busy = null;
      pending.resolve(msg);
      this.pump();
    };
    slot.worker.onerror = (e) => {
      e.preventDefault?.();
      const pending = slot.busy;
      slot.busy = null;
      slot.worker.terminate();
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      pending?.resolve({
        type: 'result',
        id: pending.job.id,
        ok: false,
        path: pending.job.video?.path ?? pending.job.clipId,
        reason: `the decode worker crashed (${e.message || 'no message'})`,
        inherent: false,
        ms: 0,
      });
      this.pump();
    };
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (!this.stopped && this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.worker.postMessage({ type: 'decode', job: pending.job });
    }
  }

  /** Stops every worker; queued and running jobs resolve as cancelled. */
  terminate(): void {
    this.stopped = true;
    for (const slot of this.slots) {
      slot.worker.terminate();
      const p = slot.busy;
      if (p) p.resolve({ type: 'result', id: p.job.id, ok: false, path: p.job.clipId, reason: 'cancelled', inherent: false, ms: 0 });
    }
    this.slots.length = 0;
    for (const p of this.queue.splice(0)) {
      p.resolve({ type: 'result', id: p.job.id, ok: false, path: p.job.clipId, reason: 'cancelled', inherent: false, ms: 0 });
    }
  }
}
