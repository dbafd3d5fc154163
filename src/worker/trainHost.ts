/**
 * The training worker's message handling as a headless object: it holds one session and speaks the protocol of
 * ./protocol.ts through the `post` function it is given, so it runs (and is tested) in Node as it runs in the
 * worker. The worker file only supplies `post`, the backend starter and the session factory.
 *
 * A lost GPU device mid-run is recovered here: the host says so, switches to WebAssembly and resumes from the
 * last completed epoch (`deviceLoss.ts`). A step that runs out of WebAssembly memory is reported with the largest
 * batch measured to fit at the preset (`wasmMemory.ts`).
 */
import type { BackendInfo } from '../core/backend';
import type { Checkpoint } from '../core/checkpoint';
import type { BackendChoice, BackendName, TrainConfig } from '../core/config';
import type { Dataset } from '../core/dataset';
import type { EvaluationReport, SessionEvent, StepEstimate } from '../core/events';
import type { ExportedFile, ExportFormat, TeacherFile, TrainState } from '../core/session';
import { demoOptionsFor, makeDemoDataset } from '../data/demo';
import { unpackDataset } from './datasetTransfer';
import { isDeviceLoss } from './deviceLoss';
import { isOutOfMemory, pageMemoryAdvice } from './wasmMemory';
import { assertNever, snapshotTransferables, type DatasetSource, type TrainIn, type TrainOut } from './protocol';

/** What the host needs of a session: `TrainingSession` (src/core/session.ts) is one. */
export interface HostSession {
  readonly state: TrainState;
  /** Completed epochs. */
  readonly epoch: number;
  readonly config: TrainConfig;
  on(listener: (event: SessionEvent) => void): () => void;
  run(): Promise<void>;
  runEpoch(): Promise<unknown>;
  pause(): void;
  stop(): Promise<void>;
  checkpoint(): Promise<{ epoch: number }>;
  exportFiles(format: ExportFormat): Promise<ExportedFile[]>;
  /** Loads a .safetensors into the model; returns the number of tensors. */
  importWeights(bytes: Uint8Array): number;
  evaluate(): Promise<EvaluationReport>;
  /** Times a training and an evaluation batch without changing the model. */
  estimate(): Promise<StepEstimate>;
  dispose(): void;
}

export interface TrainHostDeps {
  post(message: TrainOut, transfer?: Transferable[]): void;
  /** Switches TF.js to a backend (or the best available for `auto`). */
  startBackend(choice: BackendChoice): Promise<BackendInfo>;
  /** Builds a session on the backend already started. */
  createSession(options: { config: TrainConfig; dataset: Dataset; checkpoint?: Checkpoint; teachers?: { audio: TeacherFile; visual: TeacherFile } }): Promise<HostSession>;
  /** Carries a failed session over to another backend from its last completed epoch (device loss). */
  resumeOnBackend(failed: HostSession, backend: BackendName, startBackend: (b: BackendName) => Promise<BackendInfo>): Promise<HostSession>;
  /** Builds the dataset an `init` names (default: `loadDatasetSource`). */
  loadDataset?(source: Exclude<DatasetSource, { kind: 'current' }>, config: TrainConfig): Dataset;
}

/** The demo dataset generated for the config, or a dataset transferred from the page. */
export function loadDatasetSource(source: Exclude<DatasetSource, { kind: 'current' }>, config: TrainConfig): Dataset {
  switch (source.kind) {
    case 'demo':
      return makeDemoDataset(demoOptionsFor(config, source.options));
    case 'transfer':
      return unpackDataset(source);
    default:
      return assertNever(source, 'dataset source');
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A file's bytes as a transferable ArrayBuffer of exactly its length. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

export class TrainHost {
  private session: HostSession | null = null;
  private dataset: Dataset | null = null;
  private checkpointEvery = 0;
  private checkpointRequested = false;
  private pendingExports: ExportFormat[] = [];
  private backend: BackendInfo | null = null;
  private estimating: Promise<StepEstimate> | null = null;

  constructor(private readonly deps: TrainHostDeps) {}

  /** Handles one message from the page; never throws (failures are posted as `error`). */
  async handle(message: TrainIn): Promise<void> {
    try {
      await this.dispatch(message);
    } catch (e) {
      this.post({ type: 'error', message: errorText(e) });
    }
  }

  private post(message: TrainOut, transfer: Transferable[] = []): void {
    this.deps.post(message, transfer);
  }

  private setState(state: TrainState): void {
    this.post({ type: 'state', state });
  }

  private async startBackend(choice: BackendChoice): Promise<BackendInfo> {
    const info = await this.deps.startBackend(choice);
    this.backend = info;
    this.post({ type: 'backend', name: info.name, reason: info.reason });
    return info;
  }

  private loadDataset(source: DatasetSource, config: TrainConfig): Dataset {
    if (source.kind !== 'current') return (this.deps.loadDataset ?? loadDatasetSource)(source, config);
    if (!this.dataset) throw new Error('no dataset is loaded yet; send a demo or transferred dataset first');
    return this.dataset;
  }

  private async sendCheckpoint(s: HostSession): Promise<void> {
    const checkpoint = await s.checkpoint();
    this.post({ type: 'checkpoint', checkpoint, epoch: checkpoint.epoch });
  }

  private async sendExport(s: HostSession, format: ExportFormat): Promise<void> {
    try {
      for (const file of await s.exportFiles(format)) {
        const bytes = ownBuffer(file.bytes);
        this.post({ type: 'exported', filename: file.filename, bytes }, [bytes]);
      }
    } catch (e) {
      this.post({ type: 'error', message: `export failed: ${errorText(e)}` });
    }
  }

  /** Work that must happen between batches or epochs (exports, requested checkpoints). */
  private async serviceRequests(s: HostSession): Promise<void> {
    while (this.pendingExports.length) await this.sendExport(s, this.pendingExports.shift()!);
    if (this.checkpointRequested) {
      this.checkpointRequested = false;
      await this.sendCheckpoint(s);
    }
  }

  private attach(s: HostSession): void {
    s.on((event) => {
      if (event.type === 'features') this.post({ type: 'event', event }, snapshotTransferables(event.features));
      else if (event.type === 'error') void this.onSessionError(s, event.message);
      else this.post({ type: 'event', event });
      if (event.type === 'epoch' && (this.checkpointRequested || (this.checkpointEvery > 0 && event.metrics.epoch % this.checkpointEvery === 0))) {
        this.checkpointRequested = false;
        void this.sendCheckpoint(s);
      }
      if (event.type === 'batch' && this.pendingExports.length) void this.serviceRequests(s);
    });
  }

  /** A lost GPU device: fall back to WebAssembly and resume from the last completed epoch; other errors are final. */
  private async onSessionError(s: HostSession, message: string): Promise<void> {
    if (!isDeviceLoss(message, this.backend?.name)) {
      // Out of WebAssembly memory: say which batch fits (measured per preset) and what to change.
      const text = this.backend?.name === 'wasm' && isOutOfMemory(message) ? `${message}. ${pageMemoryAdvice(s.config)}.` : message;
      this.post({ type: 'event', event: { type: 'error', message: text, fatal: true } });
      return;
    }
    this.post({ type: 'event', event: { type: 'error', message: `the GPU device was lost (${message}); continuing on WebAssembly from epoch ${s.epoch}`, fatal: false } });
    try {
      const next = await this.deps.resumeOnBackend(s, 'wasm', (b) => this.startBackend(b));
      this.session = next;
      this.attach(next);
      this.setState('running');
      await this.runAndReport(next, 'run');
    } catch (e) {
      this.post({ type: 'error', message: `could not resume after losing the GPU: ${errorText(e)}` });
      this.setState('error');
    }
  }

  private async runAndReport(s: HostSession, how: 'run' | 'step'): Promise<void> {
    if (how === 'run') await s.run();
    else await s.runEpoch();
    if (s !== this.session) return; // replaced (device-loss recovery) while running
    await this.serviceRequests(s);
    this.setState(s.state);
  }

  private async init(message: Extract<TrainIn, { type: 'init' }>): Promise<void> {
    if (this.session) {
      this.session.dispose();
      this.session = null;
    }
    this.checkpointEvery = message.checkpointEvery ?? 0;
    this.checkpointRequested = false;
    this.pendingExports = [];
    await this.startBackend(message.config.backend);
    const dataset = this.loadDataset(message.dataset, message.config);
    this.dataset = dataset;
    this.post({ type: 'dataset', info: { name: dataset.name, classNames: dataset.classNames, trainSize: dataset.train.size, testSize: dataset.test.size, modalities: dataset.modalities } });
    const session = await this.deps.createSession({ config: message.config, dataset, checkpoint: message.resume as Checkpoint | undefined, teachers: message.teachers });
    this.session = session;
    this.attach(session);
    this.setState(session.state === 'done' ? 'done' : 'idle');
  }

  private async dispatch(message: TrainIn): Promise<void> {
    const s = this.session;
    switch (message.type) {
      case 'init':
        try {
          await this.init(message);
        } catch (e) {
          this.post({ type: 'error', message: errorText(e) });
          this.setState('error');
        }
        return;
      case 'start':
      case 'resume':
      case 'step':
        if (!s) return this.post({ type: 'error', message: `"${message.type}" before "init"` });
        // A timed step still running finishes first (it shares the model).
        if (this.estimating) await this.estimating.catch(() => undefined);
        this.setState('running');
        await this.runAndReport(s, message.type === 'step' ? 'step' : 'run');
        return;
      case 'estimate':
        if (!s) return this.post({ type: 'estimate', estimate: null, message: 'no session yet' });
        if (s.state !== 'idle') return this.post({ type: 'estimate', estimate: null, message: `the session is ${s.state}` });
        try {
          this.estimating = s.estimate();
          this.post({ type: 'estimate', estimate: await this.estimating });
        } catch (e) {
          this.post({ type: 'estimate', estimate: null, message: errorText(e) });
        } finally {
          this.estimating = null;
        }
        return;
      case 'pause':
        s?.pause();
        return;
      case 'stop':
        if (s) {
          await s.stop();
          this.setState(s.state);
        }
        return;
      case 'export':
        if (!s) return this.post({ type: 'error', message: 'nothing to export before "init"' });
        if (s.state === 'running') this.pendingExports.push(message.format);
        else await this.sendExport(s, message.format);
        return;
      case 'importWeights': {
        const refuse = (why: string) => this.post({ type: 'importFailed', filename: message.filename, message: why });
        if (!s) return refuse('no model to load the weights into yet');
        if (s.state === 'running') return refuse('pause or stop training before importing weights');
        try {
          const tensors = s.importWeights(new Uint8Array(message.bytes));
          const evaluation = await s.evaluate();
          this.post({ type: 'imported', filename: message.filename, tensors, evaluation });
        } catch (e) {
          refuse(errorText(e));
        }
        return;
      }
      case 'checkpoint':
        if (!s) return this.post({ type: 'error', message: 'no session to checkpoint before "init"' });
        if (s.state === 'running') this.checkpointRequested = true;
        else await this.sendCheckpoint(s);
        return;
      default:
        assertNever(message, 'training message');
    }
  }
}
