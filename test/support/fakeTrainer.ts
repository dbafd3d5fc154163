/**
 * Test support: the real worker's message handling (`TrainHost`, src/worker/trainHost.ts) around a fake session
 * that makes up deterministic numbers instead of training, so the store and the controller are tested in Node
 * without TF.js. The protocol is the host's own; only the session is fake. Accuracy depends on method and seed,
 * so across-seed statistics have something to show.
 */
import type { TrainConfig } from '../../src/core/config';
import type { Dataset } from '../../src/core/dataset';
import { AUDIO_RGB, type ModalityPair } from '../../src/core/modalities';
import type { EpochMetrics, EvaluationReport, FeatureSnapshot, RunSummary, SessionEvent, StepEstimate } from '../../src/core/events';
import type { ExportedFile, ExportFormat, TrainState } from '../../src/core/session';
import type { TrainIn, TrainOut } from '../../src/worker/protocol';
import { TrainHost, type HostSession } from '../../src/worker/trainHost';
import type { WorkerLike } from '../../src/worker/umapClient';

export interface FakeTrainerOptions {
  classNames?: string[];
  trainSize?: number;
  testSize?: number;
  batchesPerEpoch?: number;
  /** Clips in each feature snapshot. */
  featureClips?: number;
  backend?: string;
  /** The dataset's branch kinds (audio + RGB unless given). */
  modalities?: ModalityPair;
  /** The bytes a session exports as `.safetensors` (default 1, 2, 3), e.g. to tell runs' weights apart. */
  exportBytes?: (config: TrainConfig) => Uint8Array;
}

const DEFAULTS = {
  classNames: ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'],
  trainSize: 120,
  testSize: 30,
  batchesPerEpoch: 4,
  featureClips: 24,
  backend: 'cpu',
  modalities: AUDIO_RGB,
  exportBytes: (_config: TrainConfig): Uint8Array => new Uint8Array([1, 2, 3]),
};

const METHOD_BONUS: Record<TrainConfig['method'], number> = { erm: 0, mm: 0.02, bmm: 0.05, 'ogm-ge': 0.04, 'audio-only': -0.1, 'visual-only': -0.15, mmpareto: 0.04, agm: 0.03, pmr: 0.03, umt: 0.03, gblend: 0.02, greedy: 0.01 };

/** Deterministic test accuracy of an epoch: grows with epochs, shifted by method and seed. */
export function fakeTestAcc(config: TrainConfig, epoch: number): number {
  return Math.min(0.95, 0.3 + 0.05 * epoch + METHOD_BONUS[config.method] + 0.01 * (config.seed % 3));
}

/** A diagonal-heavy confusion matrix whose fused accuracy is about `acc`. */
function confusion(classes: number, perClass: number, acc: number): number[][] {
  const correct = Math.round(perClass * acc);
  return Array.from({ length: classes }, (_, i) =>
    Array.from({ length: classes }, (_, j) => (i === j ? correct : j === (i + 1) % classes ? perClass - correct : 0)),
  );
}

export function fakeEpochMetrics(config: TrainConfig, epoch: number, classes: number, testSize: number): EpochMetrics {
  const testAcc = fakeTestAcc(config, epoch);
  const perClass = Math.max(1, Math.floor(testSize / classes));
  return {
    epoch,
    loss: 2 / epoch,
    trainAcc: Math.min(1, testAcc + 0.1),
    testAcc,
    audio: { trainAcc: 0.6, testAcc: testAcc - 0.05 },
    visual: { trainAcc: 0.4, testAcc: testAcc - 0.15 },
    rho: 1.5 - 0.05 * epoch,
    mix: config.method === 'bmm' ? Math.tanh(0.5 - 0.05 * epoch) : null,
    lr: config.lr,
    samplesPerSec: 100,
    seconds: 1,
    confusion: {
      fused: confusion(classes, perClass, testAcc),
      audio: confusion(classes, perClass, testAcc - 0.05),
      visual: confusion(classes, perClass, testAcc - 0.15),
    },
  };
}

/** Features with class-separated clusters: class c sits around (c, -c, ...) in every modality. */
export function fakeFeatures(epoch: number, n: number, classes: number, dim = 8): FeatureSnapshot {
  const labels = new Int32Array(n);
  const split = new Uint8Array(n);
  const make = (scale: number) => {
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = scale * (labels[i] * (j % 2 === 0 ? 1 : -1)) + 0.01 * ((i * 7 + j) % 5);
    return out;
  };
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    split[i] = i % 4 === 3 ? 1 : 0;
  }
  return { epoch, labels, split, audio: make(1), visual: make(0.5), fused: make(2), dims: { audio: dim, visual: dim, fused: dim } };
}

/** Everything a session posts for a complete run, in order, without the async scheduling (for reducer tests). */
export function fakeRunMessages(config: TrainConfig, options: FakeTrainerOptions = {}): TrainOut[] {
  const o = { ...DEFAULTS, ...options };
  const out: TrainOut[] = [{ type: 'state', state: 'running' }];
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    for (let batch = 1; batch <= o.batchesPerEpoch; batch++) {
      out.push({
        type: 'event',
        event: { type: 'batch', progress: { epoch, batch, batches: o.batchesPerEpoch, loss: 2 / (epoch + batch / 10), acc: 0.5, mix: null, samplesPerSec: 100 } },
      });
    }
    out.push({ type: 'event', event: { type: 'epoch', metrics: fakeEpochMetrics(config, epoch, o.classNames.length, o.testSize) } });
  }
  out.push({ type: 'event', event: { type: 'done', summary: fakeSummary(config, o.classNames, o.backend) } }, { type: 'state', state: 'done' });
  return out;
}

function fakeSummary(config: TrainConfig, classNames: string[], backend: string, stoppedEarly = false): RunSummary {
  const final = fakeTestAcc(config, config.epochs);
  const acc = { fused: final, audio: final - 0.05, visual: final - 0.15 };
  return { backend: backend as RunSummary['backend'], dataset: 'fake', classNames, epochs: config.epochs, results: { best: acc, final: acc, rule: 'test' }, stoppedEarly };
}

/** Evaluation batches of a fake epoch (one per phase). */
export const FAKE_EVAL_BATCHES = 3;

/**
 * A session that trains nothing: one made-up batch per macrotask while running, so pause / stop / step arrive
 * between batches as with the real session.
 */
export class FakeSession implements HostSession {
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private _state: TrainState = 'idle';
  private epochsDone: number;
  private batch = 0;
  private stepUntil: number | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly config: TrainConfig,
    private readonly o: typeof DEFAULTS,
    startEpoch = 0,
  ) {
    this.epochsDone = startEpoch;
    if (startEpoch >= config.epochs) this._state = 'done';
  }

  get state(): TrainState {
    return this._state;
  }

  get epoch(): number {
    return this.epochsDone;
  }

  on(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SessionEvent): void {
    for (const l of this.listeners) l(event);
  }

  async run(): Promise<void> {
    this.stepUntil = null;
    await this.loop();
  }

  async runEpoch(): Promise<void> {
    this.stepUntil = this.epochsDone + 1;
    await this.loop();
  }

  private async loop(): Promise<void> {
    if (this._state === 'done' || this._state === 'stopped') return;
    this._state = 'running';
    const batches = this.o.batchesPerEpoch;
    while (this._state === 'running') {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 0);
      });
      if (this._state !== 'running') break;
      this.batch += 1;
      const epoch = this.epochsDone + 1;
      this.emit({ type: 'batch', progress: { epoch, batch: this.batch, batches, loss: 2 / (epoch + this.batch / 10), acc: 0.5, mix: null, samplesPerSec: 100 } });
      if (this.batch < batches) continue;
      // The evaluation passes, as the real session reports them: BN statistics, training set, test set.
      for (const [i, phase] of (['bn', 'train', 'test'] as const).entries()) this.emit({ type: 'evaluating', progress: { epoch, phase, batch: i + 1, batches: FAKE_EVAL_BATCHES } });
      this.batch = 0;
      this.epochsDone = epoch;
      this.emit({ type: 'epoch', metrics: fakeEpochMetrics(this.config, epoch, this.o.classNames.length, this.o.testSize) });
      if (this.config.featuresEvery > 0 && epoch % this.config.featuresEvery === 0) {
        this.emit({ type: 'features', features: fakeFeatures(epoch, this.o.featureClips, this.o.classNames.length) });
      }
      if (epoch >= this.config.epochs) {
        this._state = 'done';
        this.emit({ type: 'done', summary: fakeSummary(this.config, this.o.classNames, this.o.backend) });
      } else if (this.stepUntil !== null && epoch >= this.stepUntil) {
        this._state = 'paused';
      }
    }
  }

  pause(): void {
    if (this._state === 'running') this._state = 'paused';
  }

  async stop(): Promise<void> {
    if (this._state === 'running' || this._state === 'paused' || this._state === 'idle') {
      this._state = 'stopped';
      this.wake?.();
      this.emit({ type: 'done', summary: fakeSummary(this.config, this.o.classNames, this.o.backend, true) });
    }
  }

  async checkpoint(): Promise<{ epoch: number; weights: number[] }> {
    return { epoch: this.epochsDone, weights: [this.epochsDone] };
  }

  async exportFiles(format: ExportFormat): Promise<ExportedFile[]> {
    return [{ filename: `fake.${format === 'tfjs' ? 'json' : 'safetensors'}`, bytes: format === 'tfjs' ? new Uint8Array([1, 2, 3]) : this.o.exportBytes(this.config) }];
  }

  importWeights(bytes: Uint8Array): number {
    if (bytes.byteLength < 8) throw new Error('file is shorter than its 8-byte header length');
    return 3;
  }

  async estimate(): Promise<StepEstimate> {
    const work = { trainBatches: this.o.batchesPerEpoch, evalBatches: FAKE_EVAL_BATCHES };
    const epochSeconds = work.trainBatches * 0.5 + work.evalBatches * 0.1;
    return { trainBatchSeconds: 0.5, evalBatchSeconds: 0.1, work, epochSeconds, runSeconds: epochSeconds * this.config.epochs, epochs: this.config.epochs };
  }

  async evaluate(): Promise<EvaluationReport> {
    // As the real session: the maps' features of the weights as they are, before the report.
    if (this.config.featuresMax > 0) this.emit({ type: 'features', features: fakeFeatures(this.epochsDone, this.o.featureClips, this.o.classNames.length) });
    const acc = { trainAcc: 0.5, testAcc: 0.25 };
    return { fused: acc, audio: acc, visual: acc, rho: 2, confusion: { fused: [[1]], audio: [[1]], visual: [[1]] } };
  }

  dispose(): void {
    this._state = 'stopped';
    this.listeners.clear();
  }
}

/** A dataset of the right size and classes for the host's `dataset` message; the fake session reads no clips. */
function fakeDataset(o: typeof DEFAULTS): Dataset {
  return { name: 'fake', classNames: o.classNames, modalities: o.modalities, train: { size: o.trainSize }, test: { size: o.testSize } } as unknown as Dataset;
}

/**
 * A training worker for the page's tests: the real `TrainHost` on a `FakeSession`, with messages delivered
 * asynchronously both ways like `postMessage`, and every message received kept in `received`.
 */
export class FakeTrainWorker implements WorkerLike {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  readonly received: TrainIn[] = [];
  terminated = false;
  private readonly host: TrainHost;

  constructor(options: FakeTrainerOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    this.host = new TrainHost({
      post: (message: TrainOut) => {
        if (!this.terminated) this.onmessage?.({ data: message } as MessageEvent);
      },
      startBackend: async (choice) => ({ name: o.backend as 'cpu', reason: `fake trainer; asked for ${choice}` }),
      createSession: async ({ config, checkpoint }) => new FakeSession(config, o, (checkpoint as { epoch?: number } | undefined)?.epoch ?? 0),
      resumeOnBackend: async (failed) => failed,
      loadDataset: () => fakeDataset(o),
    });
  }

  postMessage(message: unknown): void {
    const msg = message as TrainIn;
    this.received.push(msg);
    setTimeout(() => {
      if (!this.terminated) void this.host.handle(msg);
    }, 0);
  }

  terminate(): void {
    this.terminated = true;
  }
}
