import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { buildResultsTable } from '../core/resultsTable';
import { FakeTrainWorker } from '../../test/support/fakeTrainer';
import { LabController } from './labController';
import { liveProgress } from './progress';
import { queueProgress, storedQueue, table2Queue } from './reproduceQueue';
import { RunStore } from './runStore';
import { createStore, initialState } from './store';

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('the Table 2 queue through the sweep runner', () => {
  it('trains every entry once (UMT on its seed\'s unimodal runs), fills the table with 3 seeds per method, and its progress follows', async () => {
    const store = createStore(initialState(makeConfig({ preset: 'tiny', epochs: 2 })), (f) => setTimeout(f, 0));
    let ids = 0;
    let clock = 1_000_000;
    const controller = new LabController(store, {
      createTrainWorker: () => new FakeTrainWorker(),
      createUmapWorker: () => new FakeTrainWorker(),
      openRunStore: () => RunStore.open('reproduce-queue-sweep'),
      download: () => {},
      now: () => (clock += 10),
      newRunId: () => `run-${++ids}`,
    });
    await controller.boot();
    await until('ready', () => store.getState().session.state === 'idle', 5000);
    const state = () => store.getState();
    const configs = table2Queue(state().config);
    const queue = storedQueue(state().datasetId, 'Demo (synthetic audio-visual)', configs, 0);
    controller.runSweep(configs, { teachersFromRuns: true });
    expect(state().sweep?.configs).toHaveLength(36);

    // Once the first run is done: 1 of 36, and a total ETA from its time.
    await until('first run', () => Object.values(state().runs).some((r) => r.status === 'done'), 20_000);
    const live = liveProgress(state(), Date.now());
    const mid = queueProgress(queue, Object.values(state().runs), { runId: state().session.runId, eta: live?.eta ?? null, epochSeconds: live?.epochSeconds ?? null });
    expect(mid.done).toBeGreaterThanOrEqual(1);
    expect(mid.secondsPerRun).toBeGreaterThan(0);
    expect(mid.eta).toBeGreaterThan(0);

    await until('queue finished', () => state().sweep === null && state().session.state === 'done', 60_000);
    const runs = Object.values(state().runs);
    expect(runs).toHaveLength(36);
    const done = queueProgress(queue, runs);
    expect([done.done, done.total, done.eta]).toEqual([36, 36, 0]);
    expect(state().notices.some((n) => /skipped/.test(n.text))).toBe(false);
    // The unimodal runs kept their weights (UMT's teachers); no other run did.
    expect(runs.filter((r) => r.weightsStored).map((r) => `${r.config.method} ${r.config.seed}`).sort()).toEqual(
      ['audio-only 0', 'audio-only 1', 'audio-only 2', 'visual-only 0', 'visual-only 1', 'visual-only 2'],
    );
    const table = buildResultsTable(runs);
    expect(table.rows.map((r) => [r.label, r.cells[0]?.seeds])).toEqual([
      ['Concat', [0, 1, 2]],
      ['Concat + G-Blending', [0, 1, 2]],
      ['Concat + UMT', [0, 1, 2]],
      ['Concat + PMR', [0, 1, 2]],
      ['Concat + OGM-GE', [0, 1, 2]],
      ['Concat + Greedy', [0, 1, 2]],
      ['Concat + MM', [0, 1, 2]],
      ['Concat + B-MM', [0, 1, 2]],
      ['Concat + AGM', [0, 1, 2]],
      ['Concat + MMPareto', [0, 1, 2]],
      ['Concat + Audio only', [0, 1, 2]],
      ['Concat + RGB only', [0, 1, 2]],
    ]);
    // Pressed again, nothing is left to train.
    controller.runSweep(configs, { teachersFromRuns: true });
    expect(state().notices.at(-1)?.text).toBe('All 36 runs of this sweep are already done on this dataset; nothing to train.');
    controller.dispose();
  }, 90_000);
});
