/**
 * A headless training session: the one object both the browser worker and the Node CLI drive.
 * start (`run`), `pause`, `resume`, `stop`, one epoch at a time (`runEpoch`); typed events (batch, epoch, features,
 * error, done); checkpoints as plain data. One seed drives init, shuffling, permutations, Beta draws and
 * augmentation, so the same seed gives the same run on the same backend.
 *
 * Per epoch (METHOD.md section 4): the training batches, then an evaluation pass over the whole training set in
 * eval mode (rho, per-modality train accuracy) and one over the test set (test accuracies, confusion matrices),
 * then the features of a fixed sample of clips when due. `evaluating` events follow those passes batch by batch,
 * and every epoch's metrics say how long they took (`evalSeconds`), so the ETA can count them (eta.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo, type BackendOptions } from './backend';
import { BatchBuilder, disposeBatch } from './batches';
import { checkCheckpoint, CHECKPOINT_VERSION, type Checkpoint } from './checkpoint';
import { validateConfig, type TrainConfig } from './config';
import type { ClipStore, Dataset } from './dataset';
import { holdOut, SubsetClipStore } from './validation';
import { evaluateSplit, type EvaluationResult } from './evaluate';
import { branchInputShape, exportSafetensors, exportTfjs, importSafetensors, type WeightsMetadata } from './export';
import type { EpochMetrics, EpochWork, EvalPhase, EvaluationReport, FeatureSnapshot, RunSummary, SessionEvent, StepEstimate, StepRecord } from './events';
import { createMethod, type TrainingMethod } from './methods';
import { loadTeacher, type Teachers } from './methods/umt';
import { defaultEpochReport, softCrossEntropy, type EpochTotals } from './methods/method';
import { classFeatureMeans } from './methods/pmr';
import { runResults } from './results';
import { AVModel, methodHasMmtm } from './model';
import { Adam, stepLr } from './optimizer';
import { bnStatsBatches, recomputeBnStats } from './preciseBn';
import type { BnUpdate } from './resnet';
import { Rng } from './random';
import { accumulatedStep, microBatchRanges, trainStep, variableNameMap } from './trainStep';

/** Where a training session stands (the worker reports it to the page as is). */
export type TrainState = 'idle' | 'running' | 'paused' | 'stopped' | 'done' | 'error';

export type ExportFormat = 'safetensors' | 'tfjs';

export interface ExportedFile {
  filename: string;
  bytes: Uint8Array;
}

export interface SessionOptions {
  config: TrainConfig;
  dataset: Dataset;
  /** Resume from this checkpoint (weights, optimiser, RNG, metrics, epoch). */
  checkpoint?: Checkpoint;
  backendOptions?: BackendOptions;
  /** Skip backend selection (the caller has already set one). */
  keepCurrentBackend?: boolean;
  /** Snapshot a checkpoint after every epoch (needed for NaN recovery and persistence). Default true. */
  checkpointEveryEpoch?: boolean;
  /** Called after every optimisation step with what it used (the CLI's `--trace`). */
  onStep?: (record: StepRecord) => void;
  /** UMT's teachers: exported weights of an audio-only and a visual-only run, with names for messages. */
  teachers?: { audio: TeacherFile; visual: TeacherFile };
}

/** A teacher's weights file (`.safetensors`). */
export interface TeacherFile {
  name: string;
  bytes: Uint8Array;
}

interface EpochProgress {
  order: Int32Array;
  position: number;
  lossSum: number;
  correct: number;
  seen: number;
  batches: number;
  mixSum: number;
  mixCount: number;
  /** Sum and count of each of the method's per-batch values. */
  aux: Record<string, { sum: number; count: number }>;
  trainSeconds: number;
  startedAt: number;
}

type Listener = (event: SessionEvent) => void;

/** Lets pending messages and timers run between batches (a worker must hear "pause"). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export class TrainingSession {
  readonly config: TrainConfig;
  readonly dataset: Dataset;
  readonly backend: BackendInfo;
  readonly metrics: EpochMetrics[] = [];
  private readonly model: AVModel;
  private readonly optimizer: Adam;
  private readonly method: TrainingMethod;
  /** UMT's frozen teachers (null for other methods). */
  private teachers: Teachers | null = null;
  private readonly rng: Rng;
  private readonly builder: BatchBuilder;
  private readonly names: Map<string, string>;
  private readonly listeners = new Set<Listener>();
  private readonly featureSample: { train: number[]; test: number[] };
  /** The clips trained on: the training split without the validation clips (`valSplit`), and those. */
  private readonly trainStore: ClipStore;
  private readonly valStore: ClipStore | null;
  /** Position in the training split of each clip of `trainStore` (the trace's indices are training-split positions). */
  private readonly trainPositions: readonly number[];
  private epochsDone = 0;
  private progress: EpochProgress | null = null;
  private lastGood: Checkpoint | null = null;
  private pauseRequested = false;
  private stopRequested = false;
  private running: Promise<void> | null = null;
  private _state: TrainState = 'idle';
  private errorMessage: string | null = null;
  private readonly keepCheckpoints: boolean;
  private readonly onStep: SessionOptions['onStep'];

  private constructor(options: SessionOptions, backend: BackendInfo) {
    const { config, dataset } = options;
    this.config = config;
    this.dataset = dataset;
    this.backend = backend;
    this.keepCheckpoints = options.checkpointEveryEpoch !== false;
    this.onStep = options.onStep;
    this.rng = new Rng(config.seed);
    this.model = new AVModel(
      { numClasses: dataset.classNames.length, fusion: config.fusion, width: config.width, modalities: dataset.modalities, ...(methodHasMmtm(config.method) ? { mmtm: true } : {}) },
      this.rng.fork(),
    );
    const trainable = new Map<string, tf.Variable>();
    for (const spec of this.model.params.specs) {
      const v = this.model.params.get(spec.name);
      if (v.trainable) trainable.set(spec.name, v);
    }
    this.optimizer = new Adam(trainable, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: config.weightDecay });
    this.model.unimodalScore = config.unimodal;
    if (options.teachers && config.method === 'umt') {
      const student = this.model.options;
      const audio = loadTeacher(options.teachers.audio.bytes, options.teachers.audio.name, 'audio', student);
      try {
        this.teachers = { audio, visual: loadTeacher(options.teachers.visual.bytes, options.teachers.visual.name, 'visual', student) };
      } catch (e) {
        audio.dispose();
        this.model.dispose();
        throw e;
      }
    }
    try {
      this.method = createMethod(config, { teachers: this.teachers ?? undefined });
    } catch (e) {
      this.disposeTeachers();
      this.model.dispose();
      throw e;
    }
    this.names = variableNameMap(this.model);
    this.builder = new BatchBuilder({
      input: { audioHeight: config.audioHeight, audioWidth: config.audioWidth, visualSize: config.visualSize, frames: config.frames },
      stored: { audioHeight: dataset.audioHeight, audioWidth: dataset.audioWidth, frameSize: dataset.frameSize, modalities: dataset.modalities },
      numClasses: dataset.classNames.length,
    });
    const split = holdOut(dataset.train.labels, config.valSplit, config.seed);
    if (config.method === 'gblend' && split.val.length === 0) {
      this.disposeTeachers();
      this.model.dispose();
      throw new Error(
        `method gblend: valSplit ${config.valSplit} holds out no clips of dataset "${dataset.name}" (${dataset.train.size} training clips; a class needs at least 2 to give one); G-Blending measures its loss weights on held-out clips: raise valSplit or add clips`,
      );
    }
    this.trainStore = split.val.length ? new SubsetClipStore(dataset.train, split.train) : dataset.train;
    this.valStore = split.val.length ? new SubsetClipStore(dataset.train, split.val) : null;
    this.trainPositions = split.train;
    this.featureSample = sampleFeatureClips(this.trainStore.size, dataset.test.size, config.featuresMax);
  }

  /** Validates the config against the dataset, starts a backend, builds the model (and restores a checkpoint). */
  static async create(options: SessionOptions): Promise<TrainingSession> {
    validateConfig(options.config, options.dataset.train.size);
    if (options.dataset.classNames.length < 2) throw new Error(`dataset "${options.dataset.name}" has ${options.dataset.classNames.length} class; at least 2 are needed`);
    if (options.dataset.test.size === 0) throw new Error(`dataset "${options.dataset.name}" has no test clips`);
    const backend = options.keepCurrentBackend
      ? { name: tf.getBackend() as BackendInfo['name'], reason: `${tf.getBackend()}: set by the caller` }
      : await initBackend(options.config.backend, options.backendOptions);
    const session = new TrainingSession(options, backend);
    if (options.checkpoint) session.restore(options.checkpoint);
    return session;
  }

  get state(): TrainState {
    return this._state;
  }

  /** Completed epochs. */
  get epoch(): number {
    return this.epochsDone;
  }

  /** Training clips held out for validation (`valSplit`); 0 without a validation split. */
  get validationSize(): number {
    return this.valStore?.size ?? 0;
  }

  get classNames(): string[] {
    return this.dataset.classNames;
  }

  get error(): string | null {
    return this.errorMessage;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SessionEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Trains until all epochs are done, or until paused or stopped. Resolves when the loop has exited. */
  run(): Promise<void> {
    if (this.running) return this.running;
    if (this._state === 'done' || this._state === 'stopped' || this._state === 'error') return Promise.resolve();
    this.pauseRequested = false;
    this.running = (async () => {
      this._state = 'running';
      try {
        while (this.epochsDone < this.config.epochs && !this.pauseRequested && !this.stopRequested) {
          const m = await this.trainEpoch();
          if (!m) break;
        }
        this.settle();
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Asks the loop to pause after the current batch. */
  pause(): void {
    if (this._state === 'running') this.pauseRequested = true;
  }

  /** Continues a paused session (same run: same epoch, batch position and RNG stream). */
  resume(): Promise<void> {
    if (this._state !== 'paused' && this._state !== 'idle') return this.running ?? Promise.resolve();
    return this.run();
  }

  /** Stops for good after the current batch; the weights stay as they are. */
  stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.running) this.settle();
    return this.running ?? Promise.resolve();
  }

  /** Runs (the rest of) one epoch and pauses. Returns its metrics, or null if it did not complete. */
  async runEpoch(): Promise<EpochMetrics | null> {
    if (this.running) await this.running;
    if (this._state === 'done' || this._state === 'stopped' || this._state === 'error') return null;
    if (this.epochsDone >= this.config.epochs) return null;
    this.pauseRequested = false;
    this._state = 'running';
    const m = await this.trainEpoch();
    if (this._state === 'running') {
      if (this.stopRequested || this.epochsDone >= this.config.epochs) this.settle();
      else this._state = 'paused';
    }
    return m;
  }

  private settle(): void {
    if (this._state === 'error') return;
    if (this.stopRequested) {
      this._state = 'stopped';
      this.emit({ type: 'done', summary: this.summary(true) });
    } else if (this.epochsDone >= this.config.epochs) {
      this._state = 'done';
      this.emit({ type: 'done', summary: this.summary(false) });
    } else {
      this._state = 'paused';
    }
  }

  private fail(message: string): void {
    this._state = 'error';
    this.errorMessage = message;
    this.emit({ type: 'error', message, fatal: true });
  }

  private beginEpochProgress(): EpochProgress {
    const e = this.epochsDone;
    this.optimizer.lr = stepLr(this.config.lr, e, this.config.stepLr);
    const rho = this.metrics.length ? this.metrics[this.metrics.length - 1].rho : null;
    this.method.beginEpoch({
      epoch: e,
      rho,
      rhoHistory: this.metrics.map((m) => m.rho),
      steps: batchesPerEpoch(this.trainStore.size, this.config.batch),
      classMeans: () => classFeatureMeans(this.model, this.trainStore, this.builder, this.config.batch, this.dataset.classNames.length),
    });
    return {
      order: this.rng.permutation(this.trainStore.size),
      position: 0,
      lossSum: 0,
      correct: 0,
      seen: 0,
      batches: 0,
      mixSum: 0,
      mixCount: 0,
      aux: {},
      trainSeconds: 0,
      startedAt: now(),
    };
  }

  /** Trains the current epoch from where it stands; null when interrupted (pause, stop, error). */
  private async trainEpoch(): Promise<EpochMetrics | null> {
    if (!this.progress) {
      if (this.keepCheckpoints && !this.lastGood) this.lastGood = await this.snapshot();
      if (this.method.beforeEpoch) {
        const epoch = this.epochsDone + 1;
        let ready: boolean;
        try {
          ready = await this.method.beforeEpoch({
            epoch: this.epochsDone,
            model: this.model,
            train: this.trainStore,
            val: this.valStore,
            builder: this.builder,
            config: this.config,
            onProgress: (batch, batches) => this.emit({ type: 'evaluating', progress: { epoch, phase: 'blend', batch, batches } }),
            interrupted: () => this.pauseRequested || this.stopRequested,
          });
        } catch (e) {
          await this.failWithRecovery(describeTrainingError(e, this.config));
          return null;
        }
        if (!ready) return null;
      }
      this.progress = this.beginEpochProgress();
    }
    const p = this.progress;
    const n = p.order.length;
    const B = this.config.batch;
    const batches = batchesPerEpoch(n, B);
    const epochNumber = this.epochsDone + 1;
    while (p.position < n) {
      if (this.pauseRequested || this.stopRequested) return null;
      const size = Math.min(B, n - p.position);
      if (size < 2) break; // a batch of one clip has no batch statistics
      const indices = p.order.subarray(p.position, p.position + size);
      const t0 = now();
      let result;
      try {
        // Augmentation off: training batches get the evaluation transforms (T evenly spaced frames, plain resize).
        const augment = this.config.augment ? { augment: this.rng, frames: this.rng } : null;
        const ranges = microBatchRanges(size, this.config.microBatch);
        if (ranges.length > 1) {
          // Micro-batches: built one at a time, gradients accumulated, one Adam step (trainStep.ts).
          const pieces = ranges.map(([a, b]) => ({ size: b - a, build: () => this.builder.batch(this.trainStore, indices.subarray(a, b), augment) }));
          result = await accumulatedStep(this.model, this.optimizer, this.method, pieces, this.rng, this.names);
        } else {
          const batch = this.builder.batch(this.trainStore, indices, augment);
          try {
            result = await trainStep(this.model, this.optimizer, this.method, batch, this.rng, this.names);
          } finally {
            disposeBatch(batch);
          }
        }
      } catch (e) {
        await this.failWithRecovery(describeTrainingError(e, this.config));
        return null;
      }
      const dt = (now() - t0) / 1000;
      if (!Number.isFinite(result.loss)) {
        await this.failWithRecovery(
          `the loss became ${result.loss} at epoch ${epochNumber}, batch ${p.batches + 1}; training stopped and the weights of the last completed epoch (${this.epochsDone}) were kept. Try a lower learning rate (now ${this.config.lr}).`,
        );
        return null;
      }
      this.onStep?.({
        epoch: epochNumber,
        step: p.batches,
        indices: Array.from(indices, (i) => this.trainPositions[i]),
        loss: result.loss,
        ...result.mixing,
        coef: this.method.stepCoefficients?.(result.aux) ?? null,
        blend: this.method.stepBlend?.() ?? null,
        greedy: this.method.stepGreedy?.() ?? null,
      });
      p.position += size;
      p.batches++;
      p.seen += size;
      p.lossSum += result.loss * size;
      p.correct += result.correct;
      p.trainSeconds += dt;
      if (result.mix !== null) {
        p.mixSum += result.mix;
        p.mixCount++;
      }
      for (const [key, value] of Object.entries(result.aux)) {
        const a = (p.aux[key] ??= { sum: 0, count: 0 });
        a.sum += value;
        a.count++;
      }
      this.emit({
        type: 'batch',
        progress: { epoch: epochNumber, batch: p.batches, batches, loss: result.loss, acc: result.correct / size, mix: result.mix, samplesPerSec: size / Math.max(dt, 1e-9), seconds: dt },
      });
      await yieldToEventLoop();
    }
    return this.finishEpoch(p);
  }

  /** The batch size of the evaluation passes. */
  private get evalBatchSize(): number {
    return Math.max(this.config.batch, 16);
  }

  /** An epoch's work in batches: its optimisation steps and the batches of its evaluation passes. */
  epochWork(): EpochWork {
    const evalBatch = this.evalBatchSize;
    const bn = this.config.bnStats === 'precise' ? bnStatsBatches(this.trainStore.size, this.config.batch) : 0;
    return {
      trainBatches: batchesPerEpoch(this.trainStore.size, this.config.batch),
      evalBatches:
        bn + Math.ceil(this.trainStore.size / evalBatch) + (this.valStore ? Math.ceil(this.valStore.size / evalBatch) : 0) + Math.ceil(this.dataset.test.size / evalBatch),
    };
  }

  /**
   * Eval-mode passes over the whole training set and the test set, with the features of the sampled clips (after
   * the BatchNorm statistics are recomputed, with `precise`); with an `epoch`, `evaluating` events follow every batch.
   */
  private async evaluateSplits(
    epoch: number | null,
    withFeatures: boolean,
    precise: boolean,
  ): Promise<{ train: EvaluationResult; test: EvaluationResult; val: EvaluationResult | null }> {
    const evalBatch = this.evalBatchSize;
    const bnBatches = precise ? bnStatsBatches(this.trainStore.size, this.config.batch) : 0;
    const trainBatches = Math.ceil(this.trainStore.size / evalBatch);
    const valBatches = this.valStore ? Math.ceil(this.valStore.size / evalBatch) : 0;
    const batches = bnBatches + trainBatches + valBatches + Math.ceil(this.dataset.test.size / evalBatch);
    const report = (phase: EvalPhase, offset: number) => (done: number) => {
      if (epoch !== null) this.emit({ type: 'evaluating', progress: { epoch, phase, batch: offset + done, batches } });
    };
    if (precise) {
      report('bn', 0)(0);
      await recomputeBnStats(this.model, this.trainStore, this.builder, this.config.batch, report('bn', 0));
    }
    report('train', bnBatches)(0);
    const train = await evaluateSplit(this.model, this.trainStore, this.builder, evalBatch, withFeatures ? this.featureSample.train : null, true, report('train', bnBatches));
    let val: EvaluationResult | null = null;
    if (this.valStore) {
      report('val', bnBatches + trainBatches)(0);
      val = await evaluateSplit(this.model, this.valStore, this.builder, evalBatch, null, false, report('val', bnBatches + trainBatches));
    }
    const before = bnBatches + trainBatches + valBatches;
    report('test', before)(0);
    const test = await evaluateSplit(this.model, this.dataset.test, this.builder, evalBatch, withFeatures ? this.featureSample.test : null, false, report('test', before));
    return { train, test, val };
  }

  /**
   * Times one training batch (forward and backward of the fused loss, without the optimiser, so the weights do not
   * change) and one evaluation batch, each on its second run (the first compiles kernels), and extrapolates an
   * epoch and the run from them. Methods that add passes (MM's second mixing, OGM's unimodal heads) cost a little
   * more than this.
   */
  async estimate(): Promise<StepEstimate> {
    if (this.running) throw new Error('the estimate needs an idle session');
    const size = Math.min(this.config.batch, this.trainStore.size);
    const indices = Array.from({ length: size }, (_, i) => i);
    const evalIndices = Array.from({ length: Math.min(this.evalBatchSize, this.trainStore.size) }, (_, i) => i);
    const variables = this.model.trainableVariables();
    const timeTrain = async () => {
      const batch = this.builder.batch(this.trainStore, indices, null);
      const t0 = now();
      const bnUpdates: BnUpdate[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const out = this.model.forward(batch.audio, batch.visual, { training: true, bnUpdates });
        return softCrossEntropy(out.logits, batch.oneHot);
      }, variables);
      const sum = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(g))));
      await sum.data();
      const dt = (now() - t0) / 1000;
      tf.dispose([value, sum, ...Object.values(grads), ...bnUpdates.flatMap((u) => [u.mean, u.varUnbiased])]);
      disposeBatch(batch);
      return dt;
    };
    const timeEval = async () => {
      const batch = this.builder.batch(this.trainStore, evalIndices, null);
      const t0 = now();
      const logits = tf.tidy(() => this.model.forward(batch.audio, batch.visual, { training: false }).logits);
      await logits.data();
      const dt = (now() - t0) / 1000;
      logits.dispose();
      disposeBatch(batch);
      return dt;
    };
    await timeTrain();
    const trainBatchSeconds = await timeTrain();
    await timeEval();
    const evalBatchSeconds = await timeEval();
    const work = this.epochWork();
    const epochSeconds = work.trainBatches * trainBatchSeconds + work.evalBatches * evalBatchSeconds;
    const epochsLeft = Math.max(0, this.config.epochs - this.epochsDone);
    // G-Blending's probes: their batches at the same costs.
    const extra = this.method.extraWork?.(this.epochsDone, this.config.epochs, { train: this.trainStore.size, val: this.valStore?.size ?? 0 });
    const extraSeconds = extra ? extra.trainBatches * trainBatchSeconds + extra.evalBatches * evalBatchSeconds : 0;
    return { trainBatchSeconds, evalBatchSeconds, work, epochSeconds, runSeconds: epochSeconds * epochsLeft + extraSeconds, epochs: epochsLeft };
  }

  private async finishEpoch(p: EpochProgress): Promise<EpochMetrics | null> {
    const epochNumber = this.epochsDone + 1;
    const wantFeatures = this.config.featuresEvery > 0 && this.config.featuresMax > 0 && epochNumber % this.config.featuresEvery === 0;
    let trainEval, testEval, valEval;
    const evalStart = now();
    try {
      ({ train: trainEval, test: testEval, val: valEval } = await this.evaluateSplits(epochNumber, wantFeatures, this.config.bnStats === 'precise'));
    } catch (e) {
      await this.failWithRecovery(describeTrainingError(e, this.config));
      return null;
    }
    const tr = trainEval.evaluation;
    const te = testEval.evaluation;
    const totals: EpochTotals = {
      batches: p.batches,
      mixMean: p.mixCount ? p.mixSum / p.mixCount : null,
      auxMean: Object.fromEntries(Object.entries(p.aux).map(([k, a]) => [k, a.sum / a.count])),
    };
    const report = (this.method.epochReport ?? defaultEpochReport)(totals);
    const metrics: EpochMetrics = {
      epoch: epochNumber,
      loss: p.seen ? p.lossSum / p.seen : NaN,
      trainAcc: p.seen ? p.correct / p.seen : 0,
      testAcc: te.accuracy('fused'),
      audio: { trainAcc: tr.accuracy('audio'), testAcc: te.accuracy('audio') },
      visual: { trainAcc: tr.accuracy('visual'), testAcc: te.accuracy('visual') },
      rho: tr.rho(),
      scores: { audio: tr.score.audio, visual: tr.score.visual },
      mix: report.mix,
      ...(report.coefficients ? { coefficients: report.coefficients } : {}),
      lr: this.optimizer.lr,
      samplesPerSec: p.trainSeconds > 0 ? p.seen / p.trainSeconds : 0,
      seconds: (now() - p.startedAt) / 1000,
      evalSeconds: (now() - evalStart) / 1000,
      work: { trainBatches: p.batches, evalBatches: this.epochWork().evalBatches },
      ...(valEval ? { val: { fused: valEval.evaluation.accuracy('fused'), audio: valEval.evaluation.accuracy('audio'), visual: valEval.evaluation.accuracy('visual') } } : {}),
      confusion: { fused: te.confusion.fused, audio: te.confusion.audio, visual: te.confusion.visual },
    };
    this.metrics.push(metrics);
    this.epochsDone++;
    this.progress = null;
    if (this.keepCheckpoints) this.lastGood = await this.snapshot();
    this.emit({ type: 'epoch', metrics });
    if (trainEval.features && testEval.features) this.emit({ type: 'features', features: this.featureSnapshot(epochNumber, trainEval.features, testEval.features) });
    return metrics;
  }

  private featureSnapshot(epoch: number, train: NonNullable<EvaluationResult['features']>, test: NonNullable<EvaluationResult['features']>): FeatureSnapshot {
    const nTr = train.indices.length;
    const nTe = test.indices.length;
    const labels = new Int32Array(nTr + nTe);
    train.indices.forEach((idx, i) => (labels[i] = this.trainStore.labels[idx]));
    test.indices.forEach((idx, i) => (labels[nTr + i] = this.dataset.test.labels[idx]));
    const split = new Uint8Array(nTr + nTe);
    split.fill(1, nTr);
    const cat = (a: Float32Array, b: Float32Array) => {
      const out = new Float32Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    };
    return { epoch, labels, split, audio: cat(train.audio, test.audio), visual: cat(train.visual, test.visual), fused: cat(train.fused, test.fused), dims: train.dims };
  }

  private async failWithRecovery(message: string): Promise<void> {
    if (this.lastGood) {
      try {
        this.applyWeights(this.lastGood);
      } catch {
        // keep the message about the original failure
      }
    }
    this.progress = null;
    this.fail(message);
  }

  /** Current state as a checkpoint (at an epoch boundary it is exactly resumable). */
  private async snapshot(): Promise<Checkpoint> {
    const weights: Record<string, Float32Array> = {};
    for (const [name, values] of await this.model.params.read()) weights[name] = values;
    const method = (await this.method.saveState?.()) ?? null;
    return {
      version: CHECKPOINT_VERSION,
      config: structuredClone(this.config),
      dataset: { name: this.dataset.name, classNames: [...this.dataset.classNames], trainSize: this.dataset.train.size, testSize: this.dataset.test.size },
      epoch: this.epochsDone,
      weights,
      bnBatchesTracked: Object.fromEntries(this.model.params.bnBatchesTracked),
      optimizer: await this.optimizer.getState(),
      rng: this.rng.getState(),
      metrics: structuredClone(this.metrics),
      ...(method ? { method } : {}),
    };
  }

  /** The checkpoint of the last completed epoch (the last good state after a failure). */
  async checkpoint(): Promise<Checkpoint> {
    // The snapshot taken at the end of the last epoch is exact and safe to hand out while training goes on.
    if (this.lastGood && (this._state === 'error' || this.progress || this.lastGood.epoch === this.epochsDone)) return this.lastGood;
    return this.snapshot();
  }

  /** Current weights by PyTorch name plus BN counters (what the exporters need). */
  async weights(): Promise<{ weights: Map<string, Float32Array>; bnBatchesTracked: Map<string, number>; specs: AVModel['params']['specs'] }> {
    return { weights: await this.model.params.read(), bnBatchesTracked: new Map(this.model.params.bnBatchesTracked), specs: this.model.params.specs };
  }

  /**
   * Evaluates the current weights without training (e.g. after importing a file): accuracies of every head on both
   * splits, rho, test confusion matrices; emits a `features` event for the maps when features are enabled.
   */
  async evaluate(): Promise<EvaluationReport> {
    if (this.running) throw new Error('the session is training; pause it before evaluating');
    // The running statistics as they are: those of the imported file (or of the last epoch).
    const { train, test } = await this.evaluateSplits(null, this.config.featuresMax > 0, false);
    if (train.features && test.features) this.emit({ type: 'features', features: this.featureSnapshot(this.epochsDone, train.features, test.features) });
    const tr = train.evaluation;
    const te = test.evaluation;
    return {
      fused: { trainAcc: tr.accuracy('fused'), testAcc: te.accuracy('fused') },
      audio: { trainAcc: tr.accuracy('audio'), testAcc: te.accuracy('audio') },
      visual: { trainAcc: tr.accuracy('visual'), testAcc: te.accuracy('visual') },
      rho: tr.rho(),
      confusion: { fused: te.confusion.fused, audio: te.confusion.audio, visual: te.confusion.visual },
    };
  }

  /** Metadata describing this session's model, for the weight exporters. */
  weightsMetadata(): WeightsMetadata {
    const c = this.config;
    return {
      classNames: [...this.dataset.classNames],
      fusion: c.fusion,
      method: c.method,
      preset: c.preset,
      width: c.width,
      modalities: this.dataset.modalities,
      audioShape: branchInputShape(this.dataset.modalities[0], c),
      visualShape: branchInputShape(this.dataset.modalities[1], c) as [number, number, number, number],
    };
  }

  /**
   * The weights as files: `safetensors` (one file, PyTorch state_dict names) or `tfjs` (model.json + weights.bin).
   * Names follow `bmm-lab-<method>-<fusion>-epoch<N>` where a format has a free name.
   */
  async exportFiles(format: ExportFormat): Promise<ExportedFile[]> {
    const { weights, bnBatchesTracked, specs } = await this.weights();
    const meta = this.weightsMetadata();
    if (format === 'safetensors') {
      return [{ filename: `bmm-lab-${this.config.method}-${this.config.fusion}-epoch${this.epoch}.safetensors`, bytes: exportSafetensors(specs, weights, bnBatchesTracked, meta) }];
    }
    const { modelJson, weightsBin } = await exportTfjs(specs, weights, meta);
    return [
      { filename: 'model.json', bytes: new TextEncoder().encode(modelJson) },
      { filename: 'weights.bin', bytes: weightsBin },
    ];
  }

  /** Loads a .safetensors (the lab's export or a PyTorch state_dict), checked against the model; returns the tensor count. */
  importWeights(bytes: Uint8Array): number {
    const imported = importSafetensors(bytes, this.model.options);
    this.loadWeights(imported.weights, imported.bnBatchesTracked);
    return imported.weights.size + imported.bnBatchesTracked.size;
  }

  /** Replaces the model's weights (e.g. imported from safetensors); only between epochs. */
  loadWeights(weights: Map<string, Float32Array>, bnBatchesTracked: Map<string, number>): void {
    if (this.running) throw new Error('weights can only be loaded while the session is not running');
    this.model.params.write(weights);
    for (const [k, v] of bnBatchesTracked) this.model.params.bnBatchesTracked.set(k, v);
    this.lastGood = null;
  }

  /** The model itself, for evaluation helpers (export, import, maps). */
  get avModel(): AVModel {
    return this.model;
  }

  private applyWeights(ckpt: Checkpoint): void {
    this.model.params.write(ckpt.weights);
    for (const [k, v] of Object.entries(ckpt.bnBatchesTracked)) this.model.params.bnBatchesTracked.set(k, v);
  }

  private restore(ckpt: Checkpoint): void {
    checkCheckpoint(ckpt, this.config, this.dataset);
    this.applyWeights(ckpt);
    this.optimizer.setState(ckpt.optimizer);
    this.rng.setState(ckpt.rng);
    if (ckpt.method) this.method.loadState?.(ckpt.method);
    this.metrics.splice(0, this.metrics.length, ...structuredClone(ckpt.metrics));
    this.epochsDone = ckpt.epoch;
    this.lastGood = ckpt;
    if (this.epochsDone >= this.config.epochs) this._state = 'done';
  }

  summary(stoppedEarly: boolean): RunSummary {
    return {
      backend: this.backend.name,
      dataset: this.dataset.name,
      classNames: this.dataset.classNames,
      epochs: this.metrics.length,
      results: runResults(this.metrics),
      stoppedEarly,
    };
  }

  private disposeTeachers(): void {
    if (!this.teachers) return;
    this.teachers.audio.dispose();
    this.teachers.visual.dispose();
    this.teachers = null;
  }

  dispose(): void {
    this.stopRequested = true;
    this.model.dispose();
    this.disposeTeachers();
    this.optimizer.dispose();
    this.listeners.clear();
  }
}

/** Batches in an epoch of n clips at batch B (a last batch of one clip is dropped: BatchNorm needs two). */
export function batchesPerEpoch(n: number, B: number): number {
  return Math.ceil(n / B) - (n % B === 1 ? 1 : 0);
}

/** Evenly spaced clips of each split for the feature maps: up to half of `max` from the test set, the rest from train. */
export function sampleFeatureClips(trainSize: number, testSize: number, max: number): { train: number[]; test: number[] } {
  const nTest = Math.min(testSize, Math.floor(max / 2));
  const nTrain = Math.min(trainSize, max - nTest);
  const spaced = (n: number, k: number) => Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
  return { train: spaced(trainSize, nTrain), test: spaced(testSize, nTest) };
}

/** A training failure as a message the user can act on. */
export function describeTrainingError(e: unknown, config: TrainConfig): string {
  const text = e instanceof Error ? e.message : String(e);
  if (/memory|OOM|allocat|out of range|exceeds|too large|device.*lost/i.test(text)) {
    return `training ran out of memory (${text}) at batch ${config.batch}, preset ${config.preset}; try a smaller batch (e.g. ${Math.max(2, Math.floor(config.batch / 2))}) or a smaller preset`;
  }
  return `training failed: ${text}`;
}
