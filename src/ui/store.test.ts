import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import type { TrainOut } from '../worker/protocol';
import { fakeFeatures, fakeRunMessages } from '../../test/support/fakeTrainer';
import { newRunRecord, type RunRecord } from './run';
import { chartedRunIds, createStore, initialState, labReducer, liveRunId, selectStableRuns, viewedRunId, type LabAction, type LabState } from './store';
import { statusText } from './statusText';
import { AUDIO_RGB } from '../core/modalities';

const config = makeConfig({ preset: 'tiny', epochs: 3 });

function newRun(id: string, createdAt = 1): RunRecord {
  return newRunRecord({ id, config, datasetId: 'demo', datasetName: 'fake', classNames: ['a', 'b'], trainSize: 10, testSize: 4, modalities: AUDIO_RGB, backend: null }, createdAt);
}

function apply(state: LabState, actions: LabAction[]): LabState {
  return actions.reduce(labReducer, state);
}

const worker = (message: TrainOut, at = 0): LabAction => ({ type: 'worker', message, at });

function readySession(): LabState {
  return apply(initialState(config), [
    { type: 'session/init', config, datasetId: 'demo' },
    worker({ type: 'backend', name: 'wasm', reason: 'WebGPU not available: navigator.gpu missing; using wasm' }),
    worker({ type: 'dataset', info: { name: 'fake', classNames: ['a', 'b'], trainSize: 10, testSize: 4, modalities: AUDIO_RGB } }),
    worker({ type: 'state', state: 'idle' }),
  ]);
}

describe('labReducer', () => {
  it('records the backend, the dataset and the ready state after init', () => {
    const s = readySession();
    expect(s.session.state).toBe('idle');
    expect(s.session.backend).toEqual({ name: 'wasm', reason: 'WebGPU not available: navigator.gpu missing; using wasm' });
    expect(statusText(s)).toBe('Ready: fake, 10 train / 4 test clips, 2 classes');
  });

  it('follows a whole run: batches, epochs, done', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    const messages = fakeRunMessages(config, { batchesPerEpoch: 2, classNames: ['a', 'b'] });
    s = labReducer(s, worker(messages[0], 1000)); // running
    expect(statusText(s)).toBe('Training: epoch 1 of 3');
    s = labReducer(s, worker(messages[1], 1500)); // first batch
    expect(statusText(s)).toBe('Training: epoch 1 of 3, batch 1 of 2');
    for (const m of messages.slice(2)) s = labReducer(s, worker(m, 5000));
    const run = s.runs.r1;
    expect(run.status).toBe('done');
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(run.batches).toHaveLength(6);
    expect(run.batches.map((b) => b.x)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(run.backend).toBe('wasm');
    expect(run.summary?.epochs).toBe(3);
    expect(s.progress?.activeMs).toBe(4000);
    expect(s.progress?.runningSince).toBeNull();
    expect(statusText(s)).toMatch(/^Done: 3 epochs; best test accuracy 50\.0%, final 50\.0%$/);
  });

  it('says when G-Blending probes before an epoch, with the probe’s batches', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [
      worker({ type: 'state', state: 'running' }, 0),
      worker({ type: 'event', event: { type: 'evaluating', progress: { epoch: 1, phase: 'blend', batch: 7, batches: 24 } } }, 1000),
    ]);
    expect(statusText(s)).toBe('G-Blending before epoch 1 of 3: measuring the loss weights (each head probe-trained on a copy of the model), batch 7 of 24');
    // Its first batch: training, no longer the probe.
    s = labReducer(s, worker({ type: 'event', event: { type: 'batch', progress: { epoch: 1, batch: 1, batches: 2, loss: 1, acc: 0.5, mix: null, samplesPerSec: 4, seconds: 1 } } }, 2000));
    expect(statusText(s)).toBe('Training: epoch 1 of 3, batch 1 of 2');
  });

  it('says the evaluation phase with its progress, then Stopping… until the worker stops', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [
      worker({ type: 'state', state: 'running' }, 0),
      worker({ type: 'event', event: { type: 'batch', progress: { epoch: 1, batch: 2, batches: 2, loss: 1, acc: 0.5, mix: null, samplesPerSec: 4, seconds: 1 } } }, 2000),
      worker({ type: 'event', event: { type: 'evaluating', progress: { epoch: 1, phase: 'bn', batch: 0, batches: 6 } } }, 2000),
      worker({ type: 'event', event: { type: 'evaluating', progress: { epoch: 1, phase: 'train', batch: 3, batches: 6 } } }, 3000),
    ]);
    expect(statusText(s)).toBe('Evaluating epoch 1 of 3 (BN statistics, train pass for rho, test pass): train pass for rho, batch 3 of 6');
    expect(s.progress?.evalSince).toBe(2000);
    expect(s.progress?.evalAt).toBe(3000);
    s = labReducer(s, { type: 'session/stopping' });
    expect(statusText(s)).toBe('Stopping… (the batch or evaluation pass in hand finishes first)');
    s = labReducer(s, worker({ type: 'state', state: 'stopped' }, 4000));
    expect(s.session.stopping).toBe(false);
    expect(statusText(s)).toBe('Stopped after epoch 0 of 3');
  });

  it('shows the timed step as time per epoch and for the run while ready', () => {
    const estimate = { trainBatchSeconds: 2, evalBatchSeconds: 1, work: { trainBatches: 5, evalBatches: 5 }, epochSeconds: 15, runSeconds: 45, epochs: 3 };
    const s = labReducer(readySession(), worker({ type: 'estimate', estimate }));
    expect(statusText(s)).toBe('Ready: fake, 10 train / 4 test clips, 2 classes; about 15s an epoch, 45s for 3 epochs (one step timed)');
    // The run's length follows the form's epochs without timing again.
    expect(statusText({ ...s, config: { ...s.config, epochs: 8 } })).toMatch(/about 15s an epoch, 2m 00s for 8 epochs/);
    const failed = labReducer(readySession(), worker({ type: 'estimate', estimate: null, message: 'out of memory' }));
    expect(failed.notices.map((n) => n.text)).toContain('Could not time a training step: out of memory');
  });

  it('counts only running time, across a pause', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [worker({ type: 'state', state: 'running' }, 1000), worker({ type: 'state', state: 'paused' }, 3000)]);
    expect(s.runs.r1.status).toBe('paused');
    expect(s.progress?.activeMs).toBe(2000);
    s = apply(s, [worker({ type: 'state', state: 'running' }, 10_000), worker({ type: 'state', state: 'stopped' }, 11_000)]);
    expect(s.progress?.activeMs).toBe(3000);
    expect(s.runs.r1.status).toBe('stopped');
    expect(statusText(s)).toBe('Stopped after epoch 0 of 3');
  });

  it('says where a run paused inside an epoch', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [
      worker({ type: 'state', state: 'running' }),
      worker({ type: 'event', event: { type: 'batch', progress: { epoch: 1, batch: 2, batches: 5, loss: 1, acc: 0.5, mix: null, samplesPerSec: 10 } } }),
      worker({ type: 'state', state: 'paused' }),
    ]);
    expect(statusText(s)).toBe('Paused in epoch 1 of 3, after batch 2 of 5');
  });

  it('appends batch points in place but replaces the run object', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    const before = s.runs.r1;
    s = labReducer(s, worker({ type: 'event', event: { type: 'batch', progress: { epoch: 1, batch: 1, batches: 4, loss: 1, acc: 0.5, mix: 0.2, samplesPerSec: 50 } } }));
    expect(s.runs.r1).not.toBe(before);
    expect(s.runs.r1.batches).toBe(before.batches);
    expect(s.runs.r1.batches[0]).toEqual({ x: 0.25, loss: 1, acc: 0.5, mix: 0.2 });
    expect(s.progress).toMatchObject({ epoch: 1, batch: 1, batches: 4, samplesPerSec: 50 });
  });

  it('selectStableRuns keeps its answer through batch events and follows every other change', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    const first = selectStableRuns(s);
    expect(first).toBe(s.runs);
    const batch = worker({ type: 'event', event: { type: 'batch', progress: { epoch: 1, batch: 1, batches: 4, loss: 1, acc: 0.5, mix: 0.2, samplesPerSec: 50 } } });
    s = labReducer(s, batch);
    s = labReducer(s, batch);
    expect(selectStableRuns(s)).toBe(first);
    expect(selectStableRuns(s).r1.batches).toHaveLength(2);
    s = labReducer(s, worker({ type: 'state', state: 'paused' }));
    expect(selectStableRuns(s)).toBe(s.runs);
    expect(selectStableRuns(s).r1.status).toBe('paused');
    s = labReducer(s, { type: 'run/begin', run: newRun('r2'), at: 0 });
    expect(Object.keys(selectStableRuns(s))).toEqual(['r1', 'r2']);
  });

  it('replaces a repeated epoch (after a resume) instead of duplicating it', () => {
    const [, , , epoch1] = fakeRunMessages(config, { batchesPerEpoch: 2 });
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [worker(epoch1), worker(epoch1)]);
    expect(s.runs.r1.epochs).toHaveLength(1);
  });

  it('marks features pending until their embedding arrives', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = labReducer(s, worker({ type: 'event', event: { type: 'features', features: fakeFeatures(2, 4, 2) } }));
    expect(s.umapPending.r1).toEqual([2]);
    const f = fakeFeatures(2, 4, 2);
    s = labReducer(s, { type: 'embeddings/set', runId: 'r1', embedding: { epoch: 2, labels: f.labels, split: f.split, audio: new Float32Array(8), visual: new Float32Array(8), fused: new Float32Array(8) } });
    expect(s.umapPending.r1).toEqual([]);
    expect(s.runs.r1.embeddingEpochs).toEqual([2]);
    expect(Object.keys(s.embeddings.r1)).toEqual(['2']);
  });

  it('turns errors into notices; a fatal one fails the run', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [
      worker({ type: 'event', event: { type: 'error', message: 'slow backend', fatal: false } }),
      worker({ type: 'event', event: { type: 'error', message: 'NaN loss', fatal: true } }),
      worker({ type: 'state', state: 'error' }),
    ]);
    expect(s.notices.map((n) => [n.level, n.text])).toEqual([
      ['warning', 'slow backend'],
      ['error', 'NaN loss'],
    ]);
    expect(s.runs.r1.status).toBe('error');
    expect(statusText(s)).toBe('Error: NaN loss');
    s = labReducer(s, { type: 'notice/dismiss', id: s.notices[0].id });
    expect(s.notices).toHaveLength(1);
  });

  it('loads stored runs in creation order and marks interrupted ones stopped', () => {
    const s = labReducer(initialState(), { type: 'runs/loaded', runs: [newRun('late', 5), { ...newRun('early', 2), status: 'done' }] });
    expect(s.runOrder).toEqual(['early', 'late']);
    expect(s.runs.late.status).toBe('stopped');
    expect(liveRunId(s)).toBe('late');
  });

  it('chooses charted and viewed runs, and deletes runs (not the live one)', () => {
    let s = labReducer(initialState(), { type: 'runs/loaded', runs: [newRun('a', 1), newRun('b', 2), newRun('c', 3)] });
    s = labReducer(s, { type: 'run/begin', run: newRun('d', 4), at: 0 });
    expect(chartedRunIds(s)).toEqual(['d']);
    s = apply(s, [
      { type: 'runs/overlay', id: 'a', on: true },
      { type: 'runs/overlay', id: 'c', on: true },
      { type: 'runs/overlay', id: 'c', on: false },
      { type: 'runs/view', id: 'b' },
    ]);
    expect(chartedRunIds(s)).toEqual(['a', 'd']);
    expect(viewedRunId(s)).toBe('b');
    s = apply(s, [{ type: 'runs/delete', id: 'b' }, { type: 'runs/delete', id: 'd' }]);
    expect(s.runOrder).toEqual(['a', 'c', 'd']);
    expect(viewedRunId(s)).toBe('d');
  });

  it('loses the session when the worker dies', () => {
    let s = labReducer(readySession(), { type: 'run/begin', run: newRun('r1'), at: 0 });
    s = apply(s, [worker({ type: 'state', state: 'running' }), { type: 'session/lost', message: 'Training worker failed: out of memory' }]);
    expect(s.session.state).toBe('none');
    expect(s.runs.r1.status).toBe('error');
    expect(s.notices[0].text).toBe('Training worker failed: out of memory');
    expect(statusText(s)).toBe('Stopped: Training worker failed: out of memory. Train or Continue starts a new training worker.');
    s = labReducer(s, { type: 'session/init', config: s.config, datasetId: 'demo' });
    expect(statusText(s)).toMatch(/^Loading the dataset/);
  });
});

describe('createStore', () => {
  it('notifies at once, or once per flush for deferred actions', () => {
    const flushes: (() => void)[] = [];
    const store = createStore(initialState(), (f) => flushes.push(f));
    let heard = 0;
    const unsubscribe = store.subscribe(() => heard++);
    store.dispatch({ type: 'smoothing/set', value: 0.3 });
    expect(heard).toBe(1);
    store.dispatch({ type: 'smoothing/set', value: 0.4 }, true);
    store.dispatch({ type: 'smoothing/set', value: 0.5 }, true);
    expect(heard).toBe(1);
    expect(flushes).toHaveLength(1);
    expect(store.getState().smoothing).toBe(0.5);
    flushes[0]();
    expect(heard).toBe(2);
    unsubscribe();
    store.dispatch({ type: 'smoothing/set', value: 2 });
    expect(heard).toBe(2);
    expect(store.getState().smoothing).toBe(0.99);
  });
});
