/**
 * TEST ONLY (not used by the app): a stand-in for the training worker that speaks the protocol of
 * src/worker/protocol.ts with made-up, deterministic numbers, so the store and the controller can be tested in
 * Node without TF.js. Accuracy depends on method and seed, so across-seed statistics have something to show.
 */
import type { TrainConfig } from '../core/config';
import type { EpochMetrics, FeatureSnapshot, RunSummary } from '../core/events';
import { assertNever, type TrainIn, type TrainOut, type TrainState } from '../worker/protocol';
import type { WorkerLike } from '../worker/umapClient';

export interface FakeTrainerOptions {
  classNames?: string[];
  trainSize?: number;
  testSize?: number;
  batchesPerEpoch?: number;
  /** Clips in each feature snapshot. */
  featureClips?: number;
  backend?: string;
}

const DEFAULTS = {
  classNames: ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'],
  trainSize: 120,
  testSize: 30,
  batchesPerEpoch: 4,
  featureClips: 24,
  backend: 'cpu',
};

const METHOD_BONUS: Record<TrainConfig['method'], number> = { erm: 0, mm: 0.02, bmm: 0.05, 'ogm-ge': 0.04 };

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

function fakeSummary(config: TrainConfig, classNames: string[], backend: string): RunSummary {
  const final = fakeTestAcc(config, config.epochs);
  return {
    config,
    backend: backend as RunSummary['backend'],
    dataset: 'fake',
    classNames,
    epochs: config.epochs,
    bestTestAcc: final,
    finalTestAcc: final,
    best: { fused: final, audio: final - 0.05, visual: final - 0.15 },
    final: { fused: final, audio: final - 0.05, visual: final - 0.15 },
    stoppedEarly: false,
  };
}

/**
 * A fake training worker: answers `init` with backend, dataset and `idle`; runs one batch per macrotask while
 * running, so pause / stop / step arrive between batches as with the real worker.
 */
export class FakeTrainWorker implements WorkerLike {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  readonly received: TrainIn[] = [];
  terminated = false;
  private readonly o: typeof DEFAULTS;
  private config: TrainConfig | null = null;
  private state: TrainState = 'idle';
  private epoch = 0;
  private batch = 0;
  private stepUntil: number | null = null;
  private checkpointEvery = 0;
  private ticking = false;

  constructor(options: FakeTrainerOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
  }

  postMessage(message: unknown): void {
    const msg = message as TrainIn;
    this.received.push(msg);
    setTimeout(() => this.handle(msg), 0);
  }

  terminate(): void {
    this.terminated = true;
  }

  private send(msg: TrainOut): void {
    if (!this.terminated) this.onmessage?.({ data: msg } as MessageEvent);
  }

  private setState(state: TrainState): void {
    this.state = state;
    this.send({ type: 'state', state });
  }

  private handle(msg: TrainIn): void {
    if (this.terminated) return;
    switch (msg.type) {
      case 'init': {
        this.config = msg.config;
        this.checkpointEvery = msg.checkpointEvery ?? 0;
        const resumed = msg.resume as { epoch?: number } | undefined;
        this.epoch = resumed?.epoch ?? 0;
        this.batch = 0;
        this.stepUntil = null;
        this.send({ type: 'backend', name: this.o.backend, reason: `fake trainer; asked for ${msg.config.backend}` });
        this.send({ type: 'dataset', info: { name: 'fake', classNames: this.o.classNames, trainSize: this.o.trainSize, testSize: this.o.testSize } });
        this.setState('idle');
        break;
      }
      case 'start':
        this.stepUntil = null;
        this.run();
        break;
      case 'step':
        this.stepUntil = this.epoch + 1;
        this.run();
        break;
      case 'pause':
        if (this.state === 'running') this.setState('paused');
        break;
      case 'resume':
        if (this.state === 'paused') {
          this.stepUntil = null;
          this.run();
        }
        break;
      case 'stop':
        if (this.state === 'running' || this.state === 'paused') this.setState('stopped');
        break;
      case 'checkpoint':
        this.send({ type: 'checkpoint', checkpoint: { epoch: this.epoch, weights: [1, 2, 3] }, epoch: this.epoch });
        break;
      case 'export':
        this.send({ type: 'exported', filename: `fake.${msg.format === 'tfjs' ? 'json' : 'safetensors'}`, bytes: new Uint8Array([1, 2, 3]).buffer });
        break;
      case 'importWeights': {
        const acc = { trainAcc: 0.5, testAcc: 0.25 };
        const confusion = { fused: [[1]], audio: [[1]], visual: [[1]] };
        if (msg.bytes.byteLength < 8) this.send({ type: 'importFailed', filename: msg.filename, message: 'file is shorter than its 8-byte header length' });
        else this.send({ type: 'imported', filename: msg.filename, tensors: 3, evaluation: { fused: acc, audio: acc, visual: acc, rho: 2, confusion } });
        break;
      }
      default:
        assertNever(msg);
    }
  }

  private run(): void {
    if (!this.config) return;
    this.setState('running');
    if (!this.ticking) {
      this.ticking = true;
      setTimeout(() => this.tick(), 0);
    }
  }

  private tick(): void {
    this.ticking = false;
    const config = this.config;
    if (this.terminated || this.state !== 'running' || !config) return;
    const batches = this.o.batchesPerEpoch;
    this.batch += 1;
    const epoch = this.epoch + 1;
    this.send({
      type: 'event',
      event: { type: 'batch', progress: { epoch, batch: this.batch, batches, loss: 2 / (epoch + this.batch / 10), acc: 0.5, mix: null, samplesPerSec: 100 } },
    });
    if (this.batch === batches) {
      this.batch = 0;
      this.epoch = epoch;
      this.send({ type: 'event', event: { type: 'epoch', metrics: fakeEpochMetrics(config, epoch, this.o.classNames.length, this.o.testSize) } });
      if (config.featuresEvery > 0 && epoch % config.featuresEvery === 0) {
        this.send({ type: 'event', event: { type: 'features', features: fakeFeatures(epoch, this.o.featureClips, this.o.classNames.length) } });
      }
      if (this.checkpointEvery > 0 && epoch % this.checkpointEvery === 0) {
        this.send({ type: 'checkpoint', checkpoint: { epoch, weights: [epoch] }, epoch });
      }
      if (epoch >= config.epochs) {
        this.send({ type: 'event', event: { type: 'done', summary: fakeSummary(config, this.o.classNames, this.o.backend) } });
        this.setState('done');
        return;
      }
      if (this.stepUntil !== null && epoch >= this.stepUntil) {
        this.stepUntil = null;
        this.setState('paused');
        return;
      }
    }
    this.ticking = true;
    setTimeout(() => this.tick(), 0);
  }
}
