/// <reference lib="webworker" />
/**
 * The training worker: holds one TrainingSession (src/core/session.ts) and speaks the protocol of ./protocol.ts.
 * Backend: WebGPU where the browser has it, else WebAssembly (which trains through the custom gradients of
 * src/core/ops.ts), else the cpu backend; the `backend` message says which and why. If the GPU device is lost
 * mid-run, the worker says so, switches to WebAssembly and resumes from the last completed epoch.
 */
import * as tf from '@tensorflow/tfjs';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend, type BackendInfo } from '../core/backend';
import type { Checkpoint } from '../core/checkpoint';
import type { BackendChoice, TrainConfig } from '../core/config';
import type { Dataset } from '../core/dataset';
import { exportSafetensors, exportTfjs, importSafetensors } from '../core/export';
import { TrainingSession } from '../core/session';
import { demoOptionsFor, makeDemoDataset } from '../data/demo';
import { unpackDataset } from './datasetTransfer';
import { isDeviceLoss, resumeOnBackend } from './deviceLoss';
import { assertNever, snapshotTransferables, type DatasetSource, type ExportFormat, type TrainIn, type TrainOut } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};

let session: TrainingSession | null = null;
let dataset: Dataset | null = null;
let checkpointEvery = 0;
let checkpointRequested = false;
let pendingExports: ExportFormat[] = [];
let backendInfo: BackendInfo | null = null;

function post(message: TrainOut, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function setState(state: TrainOut & { type: 'state' }): void {
  post(state);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function loadDataset(source: DatasetSource, config: TrainConfig): Dataset {
  switch (source.kind) {
    case 'demo':
      return makeDemoDataset(demoOptionsFor(config, source.options));
    case 'transfer':
      return unpackDataset(source);
    case 'current':
      if (!dataset) throw new Error('no dataset is loaded yet; send a demo or transferred dataset first');
      return dataset;
    default:
      return assertNever(source, 'dataset source');
  }
}

async function startBackend(choice: BackendChoice): Promise<BackendInfo> {
  const info = await initBackend(choice, { wasmPaths: WASM_PATHS });
  backendInfo = info;
  post({ type: 'backend', name: info.name, reason: info.reason });
  return info;
}

async function sendCheckpoint(s: TrainingSession): Promise<void> {
  const checkpoint = await s.checkpoint();
  post({ type: 'checkpoint', checkpoint, epoch: checkpoint.epoch });
}

async function sendExport(s: TrainingSession, format: ExportFormat): Promise<void> {
  const { weights, bnBatchesTracked, specs } = await s.weights();
  const meta = s.weightsMetadata();
  const base = `bmm-lab-${s.config.method}-${s.config.fusion}-epoch${s.epoch}`;
  if (format === 'safetensors') {
    const bytes = exportSafetensors(specs, weights, bnBatchesTracked, meta);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    post({ type: 'exported', filename: `${base}.safetensors`, bytes: buffer }, [buffer]);
  } else {
    const { modelJson, weightsBin } = await exportTfjs(specs, weights, meta);
    const json = new TextEncoder().encode(modelJson).buffer as ArrayBuffer;
    const bin = weightsBin.buffer.slice(weightsBin.byteOffset, weightsBin.byteOffset + weightsBin.byteLength) as ArrayBuffer;
    post({ type: 'exported', filename: 'model.json', bytes: json }, [json]);
    post({ type: 'exported', filename: 'weights.bin', bytes: bin }, [bin]);
  }
}

/** Work that must happen between batches or epochs (exports, requested checkpoints). */
async function serviceRequests(s: TrainingSession): Promise<void> {
  while (pendingExports.length) {
    const format = pendingExports.shift()!;
    try {
      await sendExport(s, format);
    } catch (e) {
      post({ type: 'error', message: `export failed: ${errorText(e)}` });
    }
  }
  if (checkpointRequested) {
    checkpointRequested = false;
    await sendCheckpoint(s);
  }
}

function attach(s: TrainingSession): void {
  s.on((event) => {
    if (event.type === 'features') post({ type: 'event', event }, snapshotTransferables(event.features));
    else if (event.type === 'error') void onSessionError(s, event.message);
    else post({ type: 'event', event });
    if (event.type === 'epoch' && (checkpointRequested || (checkpointEvery > 0 && event.metrics.epoch % checkpointEvery === 0))) {
      checkpointRequested = false;
      void sendCheckpoint(s);
    }
    if (event.type === 'batch' && pendingExports.length) void serviceRequests(s);
  });
}

/** A lost GPU device: fall back to WebAssembly and resume from the last completed epoch; other errors are final. */
async function onSessionError(s: TrainingSession, message: string): Promise<void> {
  if (!isDeviceLoss(message, backendInfo?.name)) {
    post({ type: 'event', event: { type: 'error', message, fatal: true } });
    return;
  }
  post({ type: 'event', event: { type: 'error', message: `the GPU device was lost (${message}); continuing on WebAssembly from epoch ${s.epoch}`, fatal: false } });
  try {
    session = await resumeOnBackend(s, 'wasm', (b) => startBackend(b));
    attach(session);
    setState({ type: 'state', state: 'running' });
    await runAndReport(session, 'run');
  } catch (e) {
    post({ type: 'error', message: `could not resume after losing the GPU: ${errorText(e)}` });
    setState({ type: 'state', state: 'error' });
  }
}

async function runAndReport(s: TrainingSession, how: 'run' | 'step'): Promise<void> {
  if (how === 'run') await s.run();
  else await s.runEpoch();
  if (s !== session) return; // replaced (device loss recovery) while running
  await serviceRequests(s);
  setState({ type: 'state', state: s.state });
}

async function init(message: Extract<TrainIn, { type: 'init' }>): Promise<void> {
  if (session) {
    session.dispose();
    session = null;
  }
  checkpointEvery = message.checkpointEvery ?? 0;
  checkpointRequested = false;
  pendingExports = [];
  await startBackend(message.config.backend);
  dataset = loadDataset(message.dataset, message.config);
  post({ type: 'dataset', info: { name: dataset.name, classNames: dataset.classNames, trainSize: dataset.train.size, testSize: dataset.test.size } });
  session = await TrainingSession.create({
    config: message.config,
    dataset,
    checkpoint: message.resume as Checkpoint | undefined,
    keepCurrentBackend: true,
  });
  attach(session);
  setState({ type: 'state', state: session.state === 'done' ? 'done' : 'idle' });
}

async function handle(message: TrainIn): Promise<void> {
  switch (message.type) {
    case 'init':
      try {
        await init(message);
      } catch (e) {
        post({ type: 'error', message: errorText(e) });
        setState({ type: 'state', state: 'error' });
      }
      return;
    case 'start':
    case 'resume':
    case 'step': {
      const s = session;
      if (!s) return post({ type: 'error', message: `"${message.type}" before "init"` });
      setState({ type: 'state', state: 'running' });
      await runAndReport(s, message.type === 'step' ? 'step' : 'run');
      return;
    }
    case 'pause':
      session?.pause();
      return;
    case 'stop':
      if (session) {
        await session.stop();
        setState({ type: 'state', state: session.state });
      }
      return;
    case 'export':
      if (!session) return post({ type: 'error', message: 'nothing to export before "init"' });
      if (session.state === 'running') pendingExports.push(message.format);
      else await sendExport(session, message.format).catch((e) => post({ type: 'error', message: `export failed: ${errorText(e)}` }));
      return;
    case 'importWeights': {
      const s = session;
      const refuse = (why: string) => post({ type: 'importFailed', filename: message.filename, message: why });
      if (!s) return refuse('no model to load the weights into yet');
      if (s.state === 'running') return refuse('pause or stop training before importing weights');
      try {
        const imported = importSafetensors(new Uint8Array(message.bytes), s.avModel.options);
        s.loadWeights(imported.weights, imported.bnBatchesTracked);
        const evaluation = await s.evaluate();
        post({ type: 'imported', filename: message.filename, tensors: imported.weights.size + imported.bnBatchesTracked.size, evaluation });
      } catch (e) {
        refuse(errorText(e));
      }
      return;
    }
    case 'checkpoint':
      if (!session) return post({ type: 'error', message: 'no session to checkpoint before "init"' });
      if (session.state === 'running') checkpointRequested = true;
      else await sendCheckpoint(session);
      return;
    default:
      assertNever(message, 'training message');
  }
}

scope.onmessage = (e: MessageEvent<TrainIn>) => {
  void handle(e.data).catch((err) => post({ type: 'error', message: errorText(err) }));
};

// Keep TF.js quiet about its Node banner and debug checks in the page's console.
tf.env().set('PROD', true);
