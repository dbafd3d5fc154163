import { describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/testBackend';
import { initBackend } from '../core/backend';
import { makeConfig } from '../core/config';
import { decodeSafetensors } from '../core/safetensors';
import { TrainingSession } from '../core/session';
import { resumeOnBackend } from './deviceLoss';
import type { TrainIn, TrainOut } from './protocol';
import { TrainHost } from './trainHost';

const config = makeConfig({ preset: 'tiny', width: 0.0625, batch: 4, epochs: 2, method: 'bmm', bmm: { warmup: 1 }, audioHeight: 16, audioWidth: 16, visualSize: 16, featuresMax: 8 });
const demo = { kind: 'demo' as const, options: { numClasses: 3, trainPerClass: 4, testPerClass: 2 } };

function realHost() {
  const out: TrainOut[] = [];
  const host = new TrainHost({
    post: (m) => out.push(m),
    startBackend: (choice) => initBackend(choice),
    createSession: (options) => TrainingSession.create({ ...options, keepCurrentBackend: true }),
    resumeOnBackend: (failed, backend, start) => resumeOnBackend(failed as TrainingSession, backend, start),
  });
  const send = async (m: TrainIn) => {
    const from = out.length;
    await host.handle(m);
    return out.slice(from);
  };
  return { out, send };
}

const types = (ms: TrainOut[]) => ms.map((m) => (m.type === 'event' ? `event:${m.event.type}` : m.type === 'state' ? `state:${m.state}` : m.type));

describe('TrainHost with the real session', () => {
  it('speaks the protocol: init, step, export, checkpoint, start to the end, import', async () => {
    await useBackend('wasm');
    const { send } = realHost();
    expect(types(await send({ type: 'start' }))).toEqual(['error']);

    const init = await send({ type: 'init', config: { ...config, backend: 'wasm' }, dataset: demo, checkpointEvery: 1 });
    expect(types(init)).toEqual(['backend', 'dataset', 'state:idle']);
    const info = init[1].type === 'dataset' ? init[1].info : null;
    expect(info).toMatchObject({ trainSize: 12, testSize: 6, modalities: ['spectrogram', 'rgb'] });

    // The timed step: an estimate of 3 training batches (12 clips, batch 4) and the evaluation batches.
    const est = await send({ type: 'estimate' });
    expect(types(est)).toEqual(['estimate']);
    const e = est[0].type === 'estimate' ? est[0].estimate : null;
    expect(e?.work.trainBatches).toBe(3);
    expect(e!.epochSeconds).toBeGreaterThan(0);

    const step = await send({ type: 'step' });
    const stepTypes = types(step);
    // The epoch's evaluation is reported batch by batch before its metrics.
    expect(stepTypes.indexOf('event:evaluating')).toBeGreaterThan(stepTypes.lastIndexOf('event:batch'));
    expect(stepTypes.indexOf('event:evaluating')).toBeLessThan(stepTypes.indexOf('event:epoch'));
    expect(stepTypes[0]).toBe('state:running');
    expect(stepTypes.filter((t) => t === 'event:batch')).toHaveLength(3);
    expect(stepTypes).toContain('event:epoch');
    expect(stepTypes).toContain('event:features');
    expect(stepTypes).toContain('checkpoint');
    expect(stepTypes.at(-1)).toBe('state:paused');

    const exported = await send({ type: 'export', format: 'safetensors' });
    expect(exported).toHaveLength(1);
    const file = exported[0].type === 'exported' ? exported[0] : null;
    expect(file?.filename).toBe('bmm-lab-bmm-concat-epoch1.safetensors');
    const tensors = decodeSafetensors(new Uint8Array(file!.bytes)).tensors;
    expect(tensors.has('audio_net.conv1.weight')).toBe(true);

    const ckpt = await send({ type: 'checkpoint' });
    expect(ckpt[0].type === 'checkpoint' && ckpt[0].epoch).toBe(1);

    // Not while paused: the estimate is for a session that has not trained.
    const late = await send({ type: 'estimate' });
    expect(late).toEqual([{ type: 'estimate', estimate: null, message: 'the session is paused' }]);
    const rest = await send({ type: 'start' });
    expect(types(rest).slice(-2)).toEqual(['event:done', 'state:done']);
    const epochs = rest.flatMap((m) => (m.type === 'event' && m.event.type === 'epoch' ? [m.event.metrics] : []));
    expect(epochs.map((e) => e.epoch)).toEqual([2]);
    // Epoch 2 is after the warm-up: B-MM reports its m.
    expect(epochs[0].mix).toBeGreaterThan(0);

    const imported = await send({ type: 'importWeights', filename: 'w.safetensors', bytes: file!.bytes });
    expect(types(imported)).toEqual(['event:features', 'imported']);
    expect(imported[1].type === 'imported' && imported[1].tensors).toBe(tensors.size);

    const refused = await send({ type: 'importWeights', filename: 'bad.safetensors', bytes: new Uint8Array([1, 2, 3]).buffer });
    expect(refused).toEqual([{ type: 'importFailed', filename: 'bad.safetensors', message: expect.stringMatching(/file too short: 3 bytes/) }]);
  });

  it('reports a bad init as an error state, and a session error as a fatal event', async () => {
    await useBackend('wasm');
    const { send } = realHost();
    const bad = await send({ type: 'init', config: { ...config, backend: 'wasm', epochs: 0 }, dataset: demo });
    expect(types(bad)).toEqual(['backend', 'dataset', 'error', 'state:error']);
    expect(bad[2].type === 'error' && bad[2].message).toMatch(/epochs must be an integer >= 1, got 0/);
    const nan = await send({ type: 'init', config: { ...config, backend: 'wasm', lr: 1e38, epochs: 1 }, dataset: demo });
    expect(types(nan).at(-1)).toBe('state:idle');
    const run = await send({ type: 'start' });
    expect(types(run).at(-1)).toBe('state:error');
    const fatal = run.find((m) => m.type === 'event' && m.event.type === 'error');
    expect(fatal?.type === 'event' && fatal.event.type === 'error' && fatal.event.fatal).toBe(true);
  });
});

describe('TrainHost when a step runs out of WebAssembly memory', () => {
  it('names the batch that fits at the preset and what to change', async () => {
    const listeners: Array<(e: import('../core/events').SessionEvent) => void> = [];
    const paper = makeConfig({ preset: 'paper', backend: 'wasm', batch: 64 });
    const session = {
      state: 'idle',
      epoch: 0,
      config: paper,
      on: (l: (e: import('../core/events').SessionEvent) => void) => (listeners.push(l), () => {}),
      run: async () => {
        for (const l of listeners) l({ type: 'error', message: 'training ran out of memory (memory access out of bounds) at batch 64, preset paper', fatal: true });
      },
      runEpoch: async () => null,
      pause() {},
      stop: async () => {},
      checkpoint: async () => ({ epoch: 0 }),
      exportFiles: async () => [],
      importWeights: () => 0,
      evaluate: async () => ({}) as never,
      dispose() {},
    };
    const out: TrainOut[] = [];
    const host = new TrainHost({
      post: (m) => out.push(m),
      startBackend: async () => ({ name: 'wasm', reason: 'wasm' }) as never,
      createSession: async () => session as never,
      resumeOnBackend: async () => session as never,
      loadDataset: () => ({ name: 'd', classNames: ['a'], train: { size: 1 }, test: { size: 1 } }) as never,
    });
    await host.handle({ type: 'init', config: paper, dataset: { kind: 'demo' } });
    await host.handle({ type: 'start' });
    const fatal = out.find((m) => m.type === 'event' && m.event.type === 'error');
    expect(fatal?.type === 'event' && fatal.event.type === 'error' && fatal.event.message).toBe(
      'training ran out of memory (memory access out of bounds) at batch 64, preset paper. Batch 64 does not fit in WebAssembly\'s 4 GB: ' +
        'the largest batch measured to fit at preset paper (width 1) is 9. Set Batch to 9 or lower or set Micro-batch to 8 (the same batch, its gradients ' +
        'accumulated; BatchNorm statistics then per micro-batch) (or pick the fast preset, or use a browser with WebGPU) ' +
        'and train again; this run keeps its last checkpoint.',
    );
  });
});

describe('TrainHost hands UMT its teachers', () => {
  it('passes the init message’s teacher files to the session it creates', async () => {
    const seen: unknown[] = [];
    const session = { state: 'idle', epoch: 0, on: () => () => {}, dispose() {} };
    const host = new TrainHost({
      post: () => {},
      startBackend: async () => ({ name: 'wasm', reason: 'wasm' }) as never,
      createSession: async (options) => (seen.push(options.teachers), session as never),
      resumeOnBackend: async () => session as never,
      loadDataset: () => ({ name: 'd', classNames: ['a'], train: { size: 1 }, test: { size: 1 } }) as never,
    });
    const teachers = { audio: { name: 'a.safetensors', bytes: Uint8Array.of(1) }, visual: { name: 'v.safetensors', bytes: Uint8Array.of(2) } };
    await host.handle({ type: 'init', config: makeConfig({ method: 'umt' }), dataset: { kind: 'demo' }, teachers });
    expect(seen).toEqual([teachers]);
  });
});
