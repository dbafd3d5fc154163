import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { makeConfig, setSetting, type TrainConfig } from '../core/config';
import type { UmapIn, UmapOut } from '../worker/protocol';
import type { WorkerLike } from '../worker/umapClient';
import { ArrayClipStore, type Dataset } from '../core/dataset';
import { datasetEntry } from './datasetEntry';
import { FakeTrainWorker, type FakeTrainerOptions } from '../../test/support/fakeTrainer';
import { selectConfigError } from './configCheck';
import { LabController, type ControllerDeps } from './labController';
import { groupRuns } from './runStats';
import { RunStore } from './runStore';
import { chartedRunIds, createStore, initialState, type LabState } from './store';
import { AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { table2Queue } from './reproduceQueue';
import { newRunRecord } from './run';

/** Answers every embed request on the next macrotask with a trivial embedding. */
class InstantUmapWorker implements WorkerLike {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  postMessage(message: unknown): void {
    const msg = message as UmapIn;
    const n = msg.features.labels.length;
    setTimeout(() => {
      const reply: UmapOut = {
        type: 'embedding',
        key: msg.key,
        seconds: 0,
        embedding: { epoch: msg.features.epoch, labels: msg.features.labels, split: msg.features.split, audio: new Float32Array(2 * n), visual: new Float32Array(2 * n), fused: new Float32Array(2 * n) },
      };
      this.onmessage?.({ data: reply } as MessageEvent);
    }, 0);
  }
  terminate(): void {}
}

let dbCount = 0;

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function setup(config: TrainConfig = makeConfig({ preset: 'tiny', epochs: 2 }), options: FakeTrainerOptions = {}, extra: Partial<ControllerDeps> = {}) {
  const store = createStore(initialState(config), (f) => setTimeout(f, 0));
  const workers: FakeTrainWorker[] = [];
  const downloads: { filename: string; size: number }[] = [];
  let ids = 0;
  let clock = 1_000_000;
  const dbName = `controller-${++dbCount}`;
  let runStore: RunStore | null = null;
  const controller = new LabController(store, {
    createTrainWorker: () => {
      const w = new FakeTrainWorker(options);
      workers.push(w);
      return w;
    },
    createUmapWorker: () => new InstantUmapWorker(),
    openRunStore: async () => (runStore = await RunStore.open(dbName)),
    download: (filename, blob) => downloads.push({ filename, size: blob.size }),
    now: () => (clock += 10),
    newRunId: () => `run-${++ids}`,
    ...extra,
  });
  await controller.boot();
  await until('ready', () => store.getState().session.state === 'idle');
  const state = (): LabState => store.getState();
  const stored = () => runStore!;
  return { store, controller, workers, downloads, state, stored, dbName };
}

describe('LabController', () => {
  it('prepares a session at boot and reports backend and dataset', async () => {
    const { workers, state } = await setup();
    expect(workers).toHaveLength(1);
    expect(workers[0].received).toEqual([{ type: 'init', config: state().config, dataset: { kind: 'demo' }, checkpointEvery: 1 }, { type: 'estimate' }]);
    // The prepared session's timed step: the time per epoch and for the run before Train.
    await until('estimate', () => !!state().session.estimate);
    expect(state().session.estimate?.epochSeconds).toBeCloseTo(4 * 0.5 + 3 * 0.1, 9);
    expect(state().session.backend?.name).toBe('cpu');
    expect(state().session.dataset?.trainSize).toBe(120);
  });

  it('UMT: Train is refused until both teachers are picked; then the init carries their bytes', async () => {
    const { controller, workers, state } = await setup();
    controller.setConfig(makeConfig({ preset: 'tiny', epochs: 1, method: 'umt' }));
    expect(selectConfigError(state())?.message).toBe(
      'UMT needs its teachers: pick the exported weights (.safetensors) of an audio-only run and of a visual-only run on this dataset under "UMT teachers"',
    );
    await controller.setTeacher('audio', new File([Uint8Array.from([1, 2, 3])], 'a.safetensors'));
    expect(selectConfigError(state())?.message).toMatch(/of a visual-only run on this dataset/);
    controller.train();
    expect(workers.flatMap((w) => w.received).filter((m) => m.type === 'init' && m.teachers)).toEqual([]);
    await controller.setTeacher('visual', new File([Uint8Array.from([4, 5])], 'v.safetensors'));
    expect(state().teachers).toEqual({ audio: 'a.safetensors', visual: 'v.safetensors' });
    expect(selectConfigError(state())).toBeNull();
    controller.train();
    await until('init with teachers', () => workers.some((w) => w.received.some((m) => m.type === 'init' && m.teachers !== undefined)));
    const init = workers.flatMap((w) => w.received).find((m) => m.type === 'init' && m.teachers !== undefined);
    expect(init?.type === 'init' && init.teachers && [init.teachers.audio.name, [...init.teachers.audio.bytes], init.teachers.visual.name, [...init.teachers.visual.bytes]]).toEqual([
      'a.safetensors', [1, 2, 3], 'v.safetensors', [4, 5],
    ]);
  });

  it('records the dataset\'s pair with a run (RGB + flow), in memory and in storage', async () => {
    const { controller, state, stored } = await setup(undefined, { modalities: RGB_FLOW });
    expect(state().session.dataset?.modalities).toEqual(RGB_FLOW);
    controller.train();
    await until('done', () => state().session.state === 'done');
    expect(state().runs['run-1'].modalities).toEqual(RGB_FLOW);
    await until('stored', () => state().runs['run-1'].checkpointEpoch === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect((await stored().getRun('run-1'))?.modalities).toEqual(RGB_FLOW);
  });

  it('trains a run to the end, saving run, checkpoint and embeddings', async () => {
    const { controller, workers, state, stored } = await setup();
    controller.train();
    await until('done', () => state().session.state === 'done');
    // The prepared session was reused: one init, then start.
    expect(workers[0].received.map((m) => m.type)).toEqual(['init', 'estimate', 'start']);
    const run = state().runs['run-1'];
    expect(run.status).toBe('done');
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(run.batches).toHaveLength(8);
    expect(run.datasetName).toBe('fake');
    expect(run.classNames).toHaveLength(6);
    await until('embeddings', () => Object.keys(state().embeddings['run-1'] ?? {}).length === 2);
    await until('checkpoint', () => state().runs['run-1'].checkpointEpoch === 2);
    await new Promise((r) => setTimeout(r, 20));
    const saved = await stored().getRun('run-1');
    expect(saved?.status).toBe('done');
    expect(saved?.epochs).toHaveLength(2);
    expect(saved?.checkpointEpoch).toBe(2);
    expect(saved?.embeddingEpochs).toEqual([1, 2]);
    expect(await stored().getCheckpoint('run-1')).toEqual({ epoch: 2, checkpoint: { epoch: 2, weights: [2] } });
    expect((await stored().getEmbeddings('run-1')).map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('pauses, resumes, steps and stops', async () => {
    const { controller, workers, state } = await setup(makeConfig({ preset: 'tiny', epochs: 4 }));
    controller.stepEpoch();
    await until('paused after one epoch', () => state().session.state === 'paused');
    expect(state().runs['run-1'].epochs).toHaveLength(1);
    controller.stepEpoch();
    await until('second epoch', () => state().runs['run-1'].epochs.length === 2 && state().session.state === 'paused');
    controller.resume();
    await until('running', () => state().session.state === 'running');
    controller.pause();
    await until('paused', () => state().session.state === 'paused');
    controller.stop();
    await until('stopped', () => state().session.state === 'stopped');
    expect(state().runs['run-1'].status).toBe('stopped');
    expect(workers[0].received.map((m) => m.type)).toEqual(['init', 'estimate', 'step', 'step', 'resume', 'pause', 'stop']);
  });

  it('downloads exported weights', async () => {
    const { controller, downloads, state } = await setup();
    controller.train();
    await until('done', () => state().session.state === 'done');
    controller.exportWeights('safetensors');
    controller.exportWeights('tfjs');
    await until('downloads', () => downloads.length === 2);
    expect(downloads).toEqual([
      // The weights under the lab's file-name pattern; TF.js files keep the names model.json refers to.
      { filename: expect.stringMatching(/^bmm-lab_[a-z0-9-]+_weights\.safetensors$/), size: 3 },
      { filename: 'fake.json', size: 3 },
    ]);
  });

  it('imports weights into the prepared model and reports the evaluation, or why the file was refused', async () => {
    const { controller, state } = await setup();
    const file = (name: string, bytes: number[]) => Object.assign(new Blob([new Uint8Array(bytes)]), { name });
    await controller.importWeights(file('model.safetensors', [1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await until('imported', () => state().notices.some((n) => n.text.startsWith('Loaded 3 tensors from model.safetensors')));
    expect(state().notices.find((n) => n.text.startsWith('Loaded'))!.text).toContain('Test accuracy 25.0% (Audio 25.0%, RGB 25.0%), rho 2.00 (Audio stronger)');
    // The file became a run: in the list (marked as a weights import), viewed, with the evaluation as its one entry.
    const imported = Object.values(state().runs).find((r) => r.source === 'weights')!;
    expect(imported).toMatchObject({ name: 'model', importedFrom: 'model.safetensors', status: 'done', datasetName: 'fake', weightsStored: true });
    // A file without metadata was loaded into the dataset's model: the dataset's pair.
    expect(imported.modalities).toEqual(AUDIO_RGB);
    expect(imported.epochs.map((e) => [e.epoch, e.testAcc, e.rho])).toEqual([[0, 0.25, 2]]);
    expect(state().viewRunId).toBe(imported.id);
    // Its maps: the features the evaluation produced, embedded under the new run at epoch 0.
    await until('maps of the imported file', () => Object.keys(state().embeddings[imported.id] ?? {}).includes('0'));
    // The notice names the data and the splits it was evaluated on.
    expect(state().notices.find((n) => n.text.startsWith('Loaded'))!.text).toContain('evaluated on dataset "fake": test accuracy over its test split (30 clips), rho over its training split (120 clips)');
    await controller.importWeights(file('broken.safetensors', [1]));
    await until('refused', () => state().notices.some((n) => n.level === 'error' && n.text === 'Could not load broken.safetensors: file is shorter than its 8-byte header length'));
    expect(Object.values(state().runs).filter((r) => r.source === 'weights')).toHaveLength(1);
  });

  it('imports a trainer folder as a PyTorch run, stores its weights and opens them on its dataset', async () => {
    const { controller, workers, state, stored } = await setup();
    const config = { ...state().config, seed: 3, epochs: 2 };
    const enc = new TextEncoder();
    const file = (path: string, content: string | Uint8Array) => {
      const bytes = typeof content === 'string' ? enc.encode(content) : content;
      return { path, text: async () => new TextDecoder().decode(bytes), bytes: async () => bytes };
    };
    const line = (epoch: number) =>
      JSON.stringify({ epoch, loss: 1, trainAcc: 0.5, testAcc: epoch === 1 ? 0.5 : 0.6, audio: { trainAcc: 0.5, testAcc: 0.5 }, visual: { trainAcc: 0.2, testAcc: 0.2 }, rho: 2, mix: null, samplesPerSec: 9, seconds: 1 });
    const summary = JSON.stringify({ summary: { config, backend: 'pytorch-cuda', dataset: 'my-pack', classNames: ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'] } });
    await controller.importRun([
      file('run-a/metrics.jsonl', `${line(1)}\n${line(2)}\n${summary}\n`),
      file('run-a/config.json', JSON.stringify({ format: 'bmm-lab-run', version: 1, config })),
      file('run-a/model.safetensors', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
    ]);
    const run = state().runs['run-1'];
    expect(run.source).toBe('pytorch');
    expect(run.weightsStored).toBe(true);
    expect(run.epochs.map((e) => e.testAcc)).toEqual([0.5, 0.6]);
    expect(state().notices.at(-1)?.text).toMatch(/^Imported 2 epochs from run-a \(final test accuracy 60\.0%\); press "Open weights"/);
    await until('stored', () => true);
    expect(Array.from((await stored().getWeights('run-1')) ?? [])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await stored().getRun('run-1'))?.source).toBe('pytorch');

    // "my-pack" is not a dataset of the page, but the selected one has the run's classes.
    await controller.openRunWeights('run-1');
    await until('evaluated', () => state().runs['run-1'].epochs[1].confusion.fused.length === 1);
    const sent = workers[0].received.map((m) => m.type);
    expect(sent.slice(-2)).toEqual(['init', 'importWeights']);
    const init = workers[0].received.filter((m) => m.type === 'init').at(-1);
    expect(init?.type === 'init' && init.config.seed).toBe(3);
    expect(state().runs['run-1'].epochs[0].confusion.fused).toEqual([]);
    expect(state().viewRunId).toBe('run-1');

    await controller.importRun([file('bad/config.json', '{}')]);
    expect(state().notices.at(-1)?.text).toBe('Could not import the run: the folder has no metrics.jsonl (a trainer output folder holds metrics.jsonl, config.json and model.safetensors)');
    expect(state().runOrder).toEqual(['run-1']);
  });

  it('re-initialises when the config changed since the prepared session', async () => {
    const { controller, workers, state } = await setup();
    controller.setConfig({ ...state().config, seed: 5 });
    controller.train();
    await until('done', () => state().session.state === 'done');
    const inits = workers[0].received.filter((m) => m.type === 'init');
    expect(inits).toHaveLength(2);
    expect(inits[1].type === 'init' && inits[1].config.seed).toBe(5);
    expect(state().runs['run-1'].config.seed).toBe(5);
  });

  it('refuses a batch larger than the training set', async () => {
    const { controller, workers, state } = await setup(makeConfig({ preset: 'tiny', epochs: 1 }), { trainSize: 8 });
    controller.setConfig({ ...state().config, batch: 16 });
    controller.train();
    await new Promise((r) => setTimeout(r, 10));
    expect(state().notices.at(-1)?.text).toMatch(/batch 16 is larger than the training set \(8 clips\)/);
    expect(workers[0].received.map((m) => m.type)).toEqual(['init', 'estimate']);
    expect(state().runOrder).toEqual([]);
  });

  it('runs a seed sweep one run after another and groups the results', async () => {
    const { controller, state } = await setup();
    const base = state().config;
    controller.runSweep([0, 1, 2].map((seed) => ({ ...base, seed })));
    await until('sweep finished', () => state().sweep === null && state().runOrder.length === 3 && state().session.state === 'done', 10_000);
    expect(state().runOrder).toEqual(['run-1', 'run-2', 'run-3']);
    expect(state().runOrder.map((id) => state().runs[id].config.seed)).toEqual([0, 1, 2]);
    const groups = groupRuns(state().runOrder.map((id) => state().runs[id]));
    expect(groups).toHaveLength(1);
    expect(groups[0].seeds).toEqual([0, 1, 2]);
    expect(state().notices.at(-1)?.text).toBe('Sweep finished: 3 runs.');
  });

  it('skips the runs of a sweep already done, puts the form back when it ends, and survives a reload', async () => {
    const saved: { value: string | null } = { value: null };
    const sweepStorage = { load: () => saved.value, save: (v: string | null) => (saved.value = v) };
    const { controller, state } = await setup(undefined, {}, { sweepStorage });
    const base = state().config;
    controller.runSweep([0, 1].map((seed) => ({ ...base, seed })));
    // Kept in storage while it runs.
    expect(JSON.parse(saved.value!).configs).toHaveLength(2);
    await until('first sweep', () => state().sweep === null && state().session.state === 'done', 10_000);
    expect(saved.value).toBeNull();
    // The form is back on its own config (seed 0, not the sweep's last seed 1).
    expect(state().config).toEqual(base);
    controller.runSweep([0, 1, 2].map((seed) => ({ ...base, seed })));
    expect(state().notices.some((n) => n.text === 'Sweep: 2 of 3 runs are already done on this dataset and are skipped.')).toBe(true);
    await until('second sweep', () => state().sweep === null && state().session.state === 'done', 10_000);
    expect(state().runOrder.map((id) => state().runs[id].config.seed)).toEqual([0, 1, 2]);
    controller.runSweep([0, 1].map((seed) => ({ ...base, seed })));
    expect(state().notices.at(-1)?.text).toBe('All 2 runs of this sweep are already done on this dataset; nothing to train.');
    expect(state().sweep).toBeNull();
    // A reload in the middle of a sweep: the next page offers the rest.
    saved.value = JSON.stringify({ configs: [5, 6].map((seed) => ({ ...base, seed })), index: 1, baseConfig: base, datasetId: 'demo' });
    controller.dispose();
    const next = await setup(undefined, {}, { sweepStorage });
    expect(next.state().interruptedSweep?.index).toBe(1);
    expect(next.state().notices.some((n) => /A sweep was interrupted by a reload at run 2 of 2/.test(n.text))).toBe(true);
    next.controller.resumeSweep();
    await until('resumed sweep', () => next.state().sweep === null && next.state().session.state === 'done', 10_000);
    expect(next.state().runOrder.map((id) => next.state().runs[id].config.seed)).toEqual([6]);
    expect(next.state().interruptedSweep).toBeNull();
  });

  it('renames, tags and annotates a run, stored with it; delete asks nothing of the store until Undo has passed', async () => {
    const { controller, state, stored } = await setup(undefined, {}, { undoMs: 50 });
    controller.train();
    await until('done', () => state().session.state === 'done');
    controller.annotateRun('run-1', { name: '  first try ', tags: ['baseline'], note: 'lr 1e-3' });
    expect(state().runs['run-1']).toMatchObject({ name: 'first try', tags: ['baseline'], note: 'lr 1e-3' });
    await new Promise((r) => setTimeout(r, 20));
    expect((await stored().getRun('run-1'))?.name).toBe('first try');
    controller.annotateRun('run-1', { name: '', tags: [], note: '' });
    expect(state().runs['run-1'].name).toBeUndefined();
    // A second run, so the first is not the live one.
    controller.train();
    await until('second run', () => state().runOrder.length === 2 && state().session.state === 'done');
    controller.deleteRun('run-1');
    expect(state().runOrder).toEqual(['run-2']);
    expect(state().deleted).toEqual([{ id: 'run-1', name: state().runs['run-1']?.name ?? expect.any(String) }]);
    controller.undoDelete('run-1');
    expect(state().runOrder).toEqual(['run-1', 'run-2']);
    expect(state().deleted).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(await stored().getRun('run-1')).not.toBeNull();
    // Without Undo the deletion becomes final.
    controller.deleteRun('run-1');
    await until('final', () => (state().deleted ?? []).length === 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await stored().getRun('run-1')).toBeNull();
  });

  it('compares ERM and B-MM in one click: same seed and settings, both overlaid', async () => {
    const { controller, state } = await setup(makeConfig({ preset: 'tiny', epochs: 2, seed: 4, method: 'mm' }));
    controller.compareErmBmm();
    await until('comparison finished', () => state().sweep === null && state().runOrder.length === 2 && state().session.state === 'done', 10_000);
    const runs = state().runOrder.map((id) => state().runs[id]);
    expect(runs.map((r) => r.config.method)).toEqual(['erm', 'bmm']);
    expect(runs.map((r) => r.config.seed)).toEqual([4, 4]);
    expect({ ...runs[0].config, method: 'bmm' }).toEqual(runs[1].config);
    expect(chartedRunIds(state())).toEqual(['run-1', 'run-2']);
  });

  it('keeps training without checkpoints when storage is full', async () => {
    const { controller, workers, state, stored } = await setup(makeConfig({ preset: 'tiny', epochs: 3 }));
    const s = stored();
    s.putCheckpoint = () => Promise.reject(new DOMException('full', 'QuotaExceededError'));
    controller.train();
    await until('done', () => state().session.state === 'done');
    await until('notice', () => state().checkpointsDisabled);
    expect(state().notices.filter((n) => /storage is full/i.test(n.text))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    expect((await s.getRun('run-1'))?.status).toBe('done');
    expect(state().runs['run-1'].checkpointEpoch).toBeNull();
    // The next session asks the worker for no checkpoints.
    controller.train();
    await until('second run done', () => state().runs['run-2']?.status === 'done');
    const inits = workers[0].received.filter((m) => m.type === 'init');
    expect(inits.map((m) => m.type === 'init' && m.checkpointEvery)).toEqual([1, 0]);
  });

  it('continues a stopped run from its checkpoint into the same record', async () => {
    const { controller, workers, state } = await setup(makeConfig({ preset: 'tiny', epochs: 3 }));
    controller.stepEpoch();
    await until('paused', () => state().session.state === 'paused');
    await until('checkpoint', () => state().runs['run-1'].checkpointEpoch === 1);
    controller.stop();
    await until('stopped', () => state().session.state === 'stopped');
    await controller.continueRun('run-1');
    await until('done', () => state().session.state === 'done');
    const init = workers[0].received.filter((m) => m.type === 'init').at(-1);
    expect(init && init.type === 'init' && init.resume).toEqual({ epoch: 1, weights: [1] });
    expect(state().runOrder).toEqual(['run-1']);
    expect(state().runs['run-1'].epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(state().runs['run-1'].status).toBe('done');
  });

  it('reloads stored runs in a new page and deletes them', async () => {
    const first = await setup();
    first.controller.train();
    await until('done', () => first.state().session.state === 'done');
    await new Promise((r) => setTimeout(r, 20));
    first.controller.dispose();
    const store = createStore(initialState(), (f) => f());
    const second = new LabController(store, {
      createTrainWorker: () => new FakeTrainWorker(),
      createUmapWorker: () => new InstantUmapWorker(),
      openRunStore: () => RunStore.open(first.dbName),
      download: () => {},
      now: () => 0,
      newRunId: () => 'x',
      undoMs: 0,
    });
    await second.boot();
    expect(store.getState().runOrder).toEqual(['run-1']);
    expect(store.getState().runs['run-1'].epochs).toHaveLength(2);
    await second.viewRun('run-1');
    expect(Object.keys(store.getState().embeddings['run-1'])).toEqual(['1', '2']);
    second.deleteRun('run-1');
    expect(store.getState().runOrder).toEqual([]);
    await until('deletion final', () => (store.getState().deleted ?? []).length === 0);
    await new Promise((r) => setTimeout(r, 20));
    const reopened = await RunStore.open(first.dbName);
    expect(await reopened.listRuns()).toEqual([]);
    reopened.close();
    second.dispose();
  });

  it('sends a decoded dataset once, then lets later sessions reuse the worker copy', async () => {
    const { controller, workers, state } = await setup();
    const toy: Dataset = {
      name: 'clips',
      classNames: ['a', 'b'],
      audioHeight: 2,
      audioWidth: 2,
      frameSize: 1,
      modalities: AUDIO_RGB,
      train: new ArrayClipStore(new Int32Array([0, 1]), { spectrograms: [new Float32Array(4), new Float32Array(4)], rgb: [[new Uint8Array(3)], [new Uint8Array(3)]] }),
      test: new ArrayClipStore(new Int32Array([1]), { spectrograms: [new Float32Array(4)], rgb: [[new Uint8Array(3)]] }),
    };
    controller.addDataset(datasetEntry(toy));
    await until('ready', () => state().session.state === 'idle');
    controller.train();
    await until('done', () => state().session.state === 'done');
    controller.train();
    await until('second done', () => state().runs['run-2']?.status === 'done');
    const kinds = workers[0].received.flatMap((m) => (m.type === 'init' ? [m.dataset.kind] : []));
    expect(kinds).toEqual(['demo', 'transfer', 'current']);
    expect(state().runs['run-1'].datasetId).toBe(state().datasetId);
  });

  it('recovers from a crashed worker with a fresh one', async () => {
    const { controller, workers, state } = await setup();
    workers[0].onerror?.({ message: 'out of memory', preventDefault() {} } as ErrorEvent);
    expect(state().session.state).toBe('none');
    expect(state().notices.at(-1)?.text).toBe('Training worker failed: out of memory');
    controller.train();
    await until('done', () => state().session.state === 'done');
    expect(workers).toHaveLength(2);
    expect(workers[1].received.map((m) => m.type)).toEqual(['init', 'start']);
  });

  it('a queue keeps its unimodal runs\' weights and trains its UMT entry on exactly those as teachers; the form keeps its own', async () => {
    // Each run exports bytes that name its method and seed.
    const exportBytes = (c: TrainConfig) => Uint8Array.from([c.method === 'audio-only' ? 10 : c.method === 'visual-only' ? 20 : 30, c.seed]);
    const { controller, workers, state, stored, downloads, dbName } = await setup(undefined, { exportBytes });
    // Teachers picked by hand in the form: the queue's UMT run does not use them, and they are still there after it.
    await controller.setTeacher('audio', new File([Uint8Array.from([7])], 'mine-a.safetensors'));
    await controller.setTeacher('visual', new File([Uint8Array.from([8])], 'mine-v.safetensors'));
    const queue = table2Queue(state().config);
    const entry = (method: string, seed: number) => queue.find((c) => c.method === method && c.seed === seed)!;
    controller.runSweep([entry('audio-only', 0), entry('visual-only', 0), entry('umt', 0)], { teachersFromRuns: true });
    await until('queue finished', () => state().sweep === null && state().session.state === 'done', 10_000);
    expect(state().notices.at(-1)?.text).toBe('Sweep finished: 3 runs.');

    const runOf = (method: string, seed: number) => Object.values(state().runs).find((r) => r.config.method === method && r.config.seed === seed)!;
    const [audio, visual, umt] = [runOf('audio-only', 0), runOf('visual-only', 0), runOf('umt', 0)];
    expect(umt.status).toBe('done');
    // The unimodal runs' exported weights are stored with them (not downloaded), in memory and in browser storage.
    expect(downloads).toEqual([]);
    expect([audio.weightsStored, visual.weightsStored, umt.weightsStored]).toEqual([true, true, undefined]);
    await new Promise((r) => setTimeout(r, 20));
    expect((await stored().getRun(audio.id))?.weightsStored).toBe(true);
    expect([...((await stored().getWeights(audio.id)) ?? [])]).toEqual([10, 0]);
    expect([...((await stored().getWeights(visual.id)) ?? [])]).toEqual([20, 0]);
    const received = workers.flatMap((w) => w.received);
    expect(received.filter((m) => m.type === 'export')).toEqual([
      { type: 'export', format: 'safetensors' },
      { type: 'export', format: 'safetensors' },
    ]);
    // The UMT entry's init carries exactly those bytes as its teachers.
    const inits = received.filter((m) => m.type === 'init' && m.config.method === 'umt');
    expect(inits).toHaveLength(1);
    const init = inits[0];
    expect(init.type === 'init' && init.teachers && [[...init.teachers.audio.bytes], [...init.teachers.visual.bytes]]).toEqual([
      [10, 0],
      [20, 0],
    ]);
    expect(init.type === 'init' && init.teachers?.audio.name).toMatch(/weights\.safetensors$/);
    // The form's own picks are back, and a UMT run from the form still gets them.
    expect(state().teachers).toEqual({ audio: 'mine-a.safetensors', visual: 'mine-v.safetensors' });
    controller.setConfig({ ...entry('umt', 0), seed: 5 });
    controller.train();
    await until('form umt', () => workers.some((w) => w.received.some((m) => m.type === 'init' && m.config.seed === 5 && m.teachers !== undefined)));
    const formInit = workers.flatMap((w) => w.received).find((m) => m.type === 'init' && m.config.seed === 5 && m.teachers !== undefined);
    expect(formInit?.type === 'init' && formInit.teachers && [[...formInit.teachers.audio.bytes], [...formInit.teachers.visual.bytes]]).toEqual([[7], [8]]);
    await until('form umt done', () => state().session.state === 'done');

    // After a reload (a new page on the same browser storage, nothing in memory), a queue's UMT entry of seed 0
    // (another alpha) finds the same teachers' weights in storage.
    const next = await setup(undefined, { exportBytes }, { openRunStore: () => RunStore.open(dbName) });
    expect(next.state().runs[audio.id]?.weightsStored).toBe(true);
    next.controller.runSweep([setSetting(entry('umt', 0), 'umt.alpha', 0.5)], { teachersFromRuns: true });
    await until('reloaded queue', () => next.state().sweep === null && next.state().session.state === 'done', 10_000);
    const again = next.workers.flatMap((w) => w.received).find((m) => m.type === 'init' && m.config.method === 'umt');
    expect(again?.type === 'init' && again.teachers && [[...again.teachers.audio.bytes], [...again.teachers.visual.bytes]]).toEqual([
      [10, 0],
      [20, 0],
    ]);
    expect(next.state().teachers).toEqual({ audio: null, visual: null });
  });

  it('skips a queue\'s UMT entry whose teacher run is missing or has no stored weights, naming it, and goes on', async () => {
    const { store, controller, workers, state } = await setup();
    const queue = table2Queue(state().config);
    const entry = (method: string, seed: number) => queue.find((c) => c.method === method && c.seed === seed)!;
    // Seed 1: a visual-only run trained before weights were kept (none stored).
    const old = { ...newRunRecord({ id: 'old-visual', config: entry('visual-only', 1), datasetId: state().datasetId, datasetName: 'Demo', classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: 'cpu' }, 0), status: 'done' as const };
    store.dispatch({ type: 'runs/loaded', runs: [old] });
    controller.runSweep([entry('audio-only', 1), entry('umt', 1), entry('erm', 1)], { teachersFromRuns: true });
    await until('queue finished', () => state().sweep === null && state().session.state === 'done' && Object.values(state().runs).some((r) => r.config.method === 'erm'), 10_000);
    const texts = state().notices.map((n) => n.text);
    expect(texts).toContain(
      "UMT seed 1 skipped: no finished visual-only run of seed 1 with stored weights on this dataset; run the queue's visual-only entry first.",
    );
    expect(texts.at(-1)).toBe('Sweep finished: 2 of 3 runs trained, 1 skipped.');
    expect(Object.values(state().runs).filter((r) => r.config.method === 'umt')).toEqual([]);
    expect(workers.flatMap((w) => w.received).filter((m) => m.type === 'init' && m.config.method === 'umt')).toEqual([]);
    // With neither teacher run: both named.
    controller.runSweep([entry('umt', 2)], { teachersFromRuns: true });
    await until('skipped', () => state().notices.some((n) => n.text.startsWith('UMT seed 2 skipped')));
    expect(state().notices.find((n) => n.text.startsWith('UMT seed 2 skipped'))?.text).toBe(
      "UMT seed 2 skipped: no finished audio-only or visual-only run of seed 2 with stored weights on this dataset; run the queue's audio-only and visual-only entries first.",
    );
    await until('sweep ended', () => state().sweep === null);
  });
});
