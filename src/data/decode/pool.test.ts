import { describe, expect, it } from 'vitest';
import type { DecodeIn, DecodeJob, DecodeOut } from './messages';
import { DecodePool, defaultPoolSize, type WorkerLike } from './pool';
import { AUDIO_RGB } from '../../core/modalities';

class FakeWorker implements WorkerLike {
  static live = 0;
  static maxLive = 0;
  static created = 0;
  onmessage: ((e: MessageEvent<DecodeOut>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  busy = 0;

  constructor() {
    FakeWorker.created++;
  }

  postMessage(msg: DecodeIn): void {
    const { job } = msg;
    this.busy++;
    FakeWorker.live++;
    FakeWorker.maxLive = Math.max(FakeWorker.maxLive, FakeWorker.live);
    setTimeout(() => {
      FakeWorker.live--;
      this.busy--;
      if (this.terminated) return;
      if (job.clipId === 'crash') {
        this.onerror?.({ message: 'out of memory', preventDefault() {} } as ErrorEvent);
        return;
      }
      const reply: DecodeOut = { type: 'result', id: job.id, ok: false, path: job.clipId, reason: `done ${job.clipId}`, inherent: true, ms: 1 };
      this.onmessage?.({ data: reply } as MessageEvent<DecodeOut>);
    }, 2);
  }

  terminate(): void {
    this.terminated = true;
  }
}

const job = (id: number, clipId = `c${id}`): DecodeJob => ({ id, clipId, modalities: AUDIO_RGB, frameSize: 8, audioHeight: 8, audioWidth: 8, maxFrames: 1 });

describe('DecodePool', () => {
  it('sizes from the hardware threads, between 2 and 4', () => {
    expect(defaultPoolSize(1)).toBe(2);
    expect(defaultPoolSize(2)).toBe(2);
    expect(defaultPoolSize(4)).toBe(3);
    expect(defaultPoolSize(16)).toBe(4);
    expect(defaultPoolSize(NaN)).toBe(2);
  });

  it('runs at most `size` jobs at once and answers every job', async () => {
    FakeWorker.maxLive = 0;
    FakeWorker.created = 0;
    const pool = new DecodePool(3, () => new FakeWorker());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(job(i))));
    expect(results.map((r) => (r.ok ? '' : r.reason))).toEqual(Array.from({ length: 20 }, (_, i) => `done c${i}`));
    expect(FakeWorker.maxLive).toBe(3);
    expect(FakeWorker.created).toBe(3);
    pool.terminate();
  });

  it('replaces a crashed worker and reports the crash as not the file’s fault', async () => {
    FakeWorker.created = 0;
    const pool = new DecodePool(1, () => new FakeWorker());
    const [a, b, c] = await Promise.all([pool.run(job(0)), pool.run(job(1, 'crash')), pool.run(job(2))]);
    expect(a.ok).toBe(false);
    expect(b).toMatchObject({ ok: false, inherent: false, reason: expect.stringContaining('crashed (out of memory)') });
    expect(c).toMatchObject({ reason: 'done c2' });
    expect(FakeWorker.created).toBe(2);
    pool.terminate();
  });

  it('cancels queued and running jobs on terminate', async () => {
    const pool = new DecodePool(2, () => new FakeWorker());
    const all = Array.from({ length: 6 }, (_, i) => pool.run(job(i)));
    pool.terminate();
    const results = await Promise.all(all);
    expect(results.every((r) => !r.ok && r.reason === 'cancelled')).toBe(true);
    expect(await pool.run(job(9))).toMatchObject({ reason: 'cancelled' });
  });
});
