/**
 * The page's glue: drives the training worker through the protocol, feeds its messages into the store, and
 * does the side effects (runs and checkpoints to IndexedDB, snapshots to the UMAP worker, downloads, sweeps).
 * Components call these methods; they never talk to a worker themselves.
 */
import type { TrainConfig } from '../core/config';
import { selectConfigError } from './configCheck';
import type { FeatureSnapshot, SessionEvent } from '../core/events';
import { importedConfig, importedModalities, importedRunRecord, importMismatches, importNotice, weightsFacts, type WeightsFacts } from './importedWeights';
import { assertNever, type DatasetSource, type ExportFormat, type TrainIn, type TrainOut, type TrainState } from '../worker/protocol';
import { UmapClient, type WorkerLike } from '../worker/umapClient';
import { compactBatches } from './chartData';
import { ImportError, importRunFolder, type FolderFile } from './importRun';
import { canContinue, newRunRecord, runName, type RunAnnotation, type RunRecord } from './run';
import { stableStringify } from './runStats';
import { StorageGuard, type RunStore } from './runStore';
import { entryModalities, type DatasetEntry, type LabState, type Store, type SweepView } from './store';
import { exportedFileName } from './exportMetrics';
import type { TeacherFile } from '../core/session';
import { isTeacherConfig, TEACHER_BRANCHES, TEACHER_METHODS, type TeacherBranch } from '../core/umtTeachers';

export interface ControllerDeps {
  createTrainWorker(): WorkerLike;
  createUmapWorker(): WorkerLike;
  /** Opens IndexedDB; a rejection means runs are kept in memory only. */
  openRunStore(): Promise<RunStore>;
  download(filename: string, data: Blob): void;
  /** Milliseconds since 1970. */
  now(): number;
  newRunId(): string;
  /** Milliseconds a deletion can be undone before it reaches browser storage (default 15 s). */
  undoMs?: number;
  /** Where the running sweep is kept across reloads (the page's localStorage); absent: not kept. */
  sweepStorage?: { load(): string | null; save(value: string | null): void };
}

const UNDO_MS = 15_000;

/** Per-batch points kept with a stored run. */
const STORED_BATCH_POINTS = 2000;

type PendingAction = { action: 'start' | 'step'; run: RunRecord | null };

/** How long the form must rest before a changed config is timed again. */
const RETIME_DELAY_MS = 800;

/** The settings a training step's time depends on. */
function timingKey(c: TrainConfig): string {
  return stableStringify([c.preset, c.width, c.batch, c.fusion, c.method, c.bnStats, c.frames, c.visualSize, c.audioHeight, c.audioWidth, c.backend]);
}

function sameConfig(a: TrainConfig | null, b: TrainConfig): boolean {
  return a !== null && stableStringify(a) === stableStringify(b);
}

export class LabController {
  private worker: WorkerLike | null = null;
  private runStore: RunStore | null = null;
  private readonly guard: StorageGuard;
  private readonly umap: UmapClient;
  /** What to do when the worker reports `idle` after our `init`. */
  private pending: PendingAction | null = null;
  /** An imported run whose weights are being opened: loaded into the next idle session, then evaluated. */
  private weightsTarget: { runId: string; bytes: Uint8Array; epoch: number } | null = null;
  /** Imported weights, and a sweep's unimodal runs' weights when browser storage cannot keep them, in memory. */
  private readonly importedWeights = new Map<string, Uint8Array>();
  /** A sweep's finished unimodal run whose weights were asked of the worker, to keep as a UMT teacher before the sweep goes on. */
  private keepingWeights: { runId: string } | null = null;
  /** A sweep's UMT entry reading its teachers' weights from storage (the sweep waits). */
  private loadingTeachers = false;
  /**
   * The teachers of the sweep's UMT run (its `init` carries them instead of the form's), shown in the form while it
   * trains, and the names of the form's own picks, put back when the sweep moves on or ends.
   */
  private sweepTeachers: { audio: TeacherFile; visual: TeacherFile; formNames: { audio: string | null; visual: string | null } } | null = null;
  /** Runs whose record is being written; a second save waits for the first (IndexedDB keeps order anyway). */
  private storeReady: Promise<void> = Promise.resolve();

  constructor(
    readonly store: Store,
    private readonly deps: ControllerDeps,
  ) {
    this.guard = new StorageGuard((text) => {
      this.store.dispatch({ type: 'notice/add', level: 'warning', text });
      if (this.guard.checkpointsDisabled) this.store.dispatch({ type: 'storage/set', checkpointsDisabled: true });
    });
    this.umap = new UmapClient(deps.createUmapWorker, {
      onEmbedding: (job, embedding) => {
        this.store.dispatch({ type: 'embeddings/set', runId: job.runId, embedding });
        void this.persist((s) => s.putEmbedding(job.runId, embedding), 'UMAP embedding').then(() => this.saveRun(job.runId));
      },
      onError: (job, message) => {
        this.store.dispatch({ type: 'umap/pending', runId: job.runId, epoch: job.epoch, pending: false });
        this.store.dispatch({ type: 'notice/add', level: 'warning', text: `UMAP of epoch ${job.epoch} failed: ${message}` });
      },
      onDrop: (job) => this.store.dispatch({ type: 'umap/pending', runId: job.runId, epoch: job.epoch, pending: false }),
    });
  }

  private get state(): LabState {
    return this.store.getState();
  }

  /** Loads stored runs and prepares a session on the selected dataset, so the backend and dataset show at once. */
  async boot(): Promise<void> {
    this.prepare();
    const stored = this.deps.sweepStorage?.load();
    if (stored) {
      try {
        const sweep = JSON.parse(stored) as SweepView;
        if (Array.isArray(sweep.configs) && sweep.configs.length > 0) {
          this.store.dispatch({ type: 'sweep/interrupted', sweep });
          this.notice('warning', `A sweep was interrupted by a reload at run ${sweep.index + 1} of ${sweep.configs.length}; Resume sweep (under Across seeds) trains the rest.`);
        }
      } catch {
        this.deps.sweepStorage?.save(null);
      }
    }
    this.storeReady = this.deps
      .openRunStore()
      .then(async (runStore) => {
        this.runStore = runStore;
        const runs = await runStore.listRuns();
        this.store.dispatch({ type: 'runs/loaded', runs });
      })
      .catch((err: unknown) => {
        this.store.dispatch({ type: 'storage/set', available: false });
        this.store.dispatch({
          type: 'notice/add',
          level: 'warning',
          text: `Runs cannot be saved in this browser (IndexedDB: ${err instanceof Error ? err.message : String(err)}); they are kept until the page closes.`,
        });
      });
    await this.storeReady;
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.umap.dispose();
    this.runStore?.close();
  }

  // ---- config and datasets ----

  setConfig(config: TrainConfig): void {
    const before = this.state.config;
    this.store.dispatch({ type: 'config/set', config });
    // The backend notice should follow the choice without waiting for Train.
    if (config.backend !== before.backend && this.isIdle()) this.prepare();
    // The time per epoch follows the settings that change it (timed again once the form rests).
    else if (timingKey(config) !== timingKey(before) && this.isIdle()) this.retimeSoon();
  }

  private retimeTimer: ReturnType<typeof setTimeout> | null = null;

  private retimeSoon(): void {
    if (this.retimeTimer) clearTimeout(this.retimeTimer);
    this.retimeTimer = setTimeout(() => {
      this.retimeTimer = null;
      const s = this.state.session;
      if (this.isIdle() && s.runId === null && (s.state === 'idle' || s.state === 'done' || s.state === 'stopped')) this.prepare();
    }, RETIME_DELAY_MS);
  }

  selectDataset(id: string): void {
    this.store.dispatch({ type: 'datasets/select', id });
    if (this.isIdle()) this.prepare();
  }

  /** Adds a dataset (e.g. decoded from a folder) to the picker and selects it. */
  addDataset(entry: DatasetEntry): void {
    this.store.dispatch({ type: 'datasets/add', entry, select: true });
    if (this.isIdle()) this.prepare();
  }

  /** True when no run is running or paused in the worker (its session may be replaced). */
  isIdle(): boolean {
    const s = this.state.session.state;
    return s !== 'running' && s !== 'paused' && this.pending === null && this.keepingWeights === null && !this.loadingTeachers;
  }

  // ---- training ----

  /** Starts a new run with the current config (replacing a finished or stopped session). */
  train(): void {
    if (!this.isIdle()) return;
    this.begin('start', null);
  }

  /** One epoch: continues a paused run, or starts a new run that pauses after its first epoch. */
  stepEpoch(): void {
    const s = this.state.session;
    if (s.state === 'paused' && s.runId) {
      this.post({ type: 'step' });
      return;
    }
    if (!this.isIdle()) return;
    this.begin('step', null);
  }

  pause(): void {
    if (this.state.session.state === 'running') this.post({ type: 'pause' });
  }

  resume(): void {
    if (this.state.session.state === 'paused') this.post({ type: 'resume' });
  }

  /** Stops the run (it keeps its model for export) and cancels the rest of a sweep. */
  stop(): void {
    this.pending = null;
    if (this.state.sweep) this.endSweep();
    const s = this.state.session.state;
    if (s === 'running' || s === 'paused') {
      this.store.dispatch({ type: 'session/stopping' });
      this.post({ type: 'stop' });
    }
  }

  exportWeights(format: ExportFormat): void {
    this.post({ type: 'export', format });
  }

  /** Loads a .safetensors file into the current model (for evaluation, the maps, or further training). */
  /** UMT's teacher files (the form shows their names; the bytes go to the worker with each `init` of a umt run). */
  private readonly teacherFiles: { audio: TeacherFile | null; visual: TeacherFile | null } = { audio: null, visual: null };

  /** Picks (or, with null, drops) UMT's teacher for a branch: a `.safetensors` of an audio-only or visual-only run. */
  async setTeacher(branch: 'audio' | 'visual', file: (Blob & { name: string }) | null): Promise<void> {
    this.teacherFiles[branch] = file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } : null;
    const name = file ? file.name : null;
    // While a sweep's UMT run shows its own teachers, the pick is the form's, shown once the sweep moves on.
    if (this.sweepTeachers) this.sweepTeachers.formNames = { ...this.sweepTeachers.formNames, [branch]: name };
    else this.store.dispatch({ type: 'teachers/set', branch, name });
  }

  async importWeights(file: Blob & { name: string }): Promise<void> {
    if (this.state.session.state === 'running') {
      this.notice('warning', 'Pause or stop training before importing weights.');
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const facts = weightsFacts(bytes);
    this.pendingImport = { filename: file.name, bytes: bytes.slice(), facts, features: null };
    const buffer = bytes.buffer as ArrayBuffer;
    this.ensureWorker().postMessage({ type: 'importWeights', filename: file.name, bytes: buffer } satisfies TrainIn, [buffer]);
  }

  /** A weights file sent to the worker, waiting for its evaluation to become a run (its maps' features kept). */
  private pendingImport: { filename: string; bytes: Uint8Array; facts: WeightsFacts | null; features: FeatureSnapshot | null } | null = null;

  /** The evaluated file becomes a run: in the list (marked imported), in the maps and the confusion panel. */
  private finishImport(msg: Extract<TrainOut, { type: 'imported' }>): void {
    const pending = this.pendingImport;
    this.pendingImport = null;
    const s = this.state;
    const sessionConfig = s.session.config ?? s.config;
    const mismatches = pending?.facts ? importMismatches(pending.facts, sessionConfig) : [];
    this.notice(mismatches.length ? 'warning' : 'info', importNotice(msg.filename, msg.tensors, msg.evaluation, s.session.dataset, sessionConfig, mismatches));
    if (!pending || !s.session.dataset) return;
    const id = this.deps.newRunId();
    const run = importedRunRecord(
      {
        id,
        filename: msg.filename,
        config: importedConfig(pending.facts, sessionConfig),
        datasetId: s.session.datasetId ?? this.selectedDataset().id,
        dataset: s.session.dataset,
        modalities: importedModalities(pending.facts, s.session.dataset),
        backend: s.session.backend?.name ?? null,
        evaluation: msg.evaluation,
      },
      this.deps.now(),
    );
    this.store.dispatch({ type: 'runs/loaded', runs: [run] });
    this.store.dispatch({ type: 'runs/view', id });
    this.importedWeights.set(id, pending.bytes);
    void this.persist((st) => st.putWeights(id, pending.bytes), 'imported weights').then(() => this.saveRun(id));
    if (pending.features) this.umap.enqueue({ runId: id, epoch: 0, seed: run.config.seed, features: { ...pending.features, epoch: 0 } });
  }

  /**
   * One click for the paper's comparison: the current config trained with ERM and then with B-MM, same seed,
   * both drawn in the charts.
   */
  compareErmBmm(): void {
    const base = this.state.config;
    this.runSweep([{ ...base, method: 'erm' }, { ...base, method: 'bmm' }], { overlay: true });
  }

  /**
   * Runs the configs one after another (a seed or method sweep). Configs already trained to the end on the same
   * dataset are skipped (said in a notice); the sweep is kept in browser storage so a reload can resume it, and the
   * form gets its config back when the sweep ends, is stopped or fails.
   *
   * The weights of a sweep's finished `audio-only` and `visual-only` runs are stored with them (UMT's teachers).
   * With `teachersFromRuns` (the Table 2 queue) a `umt` entry's teachers are the finished `audio-only` and
   * `visual-only` runs of its seed and settings on the dataset with stored weights, for that run only; without
   * them the entry is skipped with a notice saying which is missing. Otherwise a `umt` entry uses the form's teachers.
   */
  runSweep(configs: TrainConfig[], options: { overlay?: boolean; teachersFromRuns?: boolean } = {}): void {
    if (configs.length === 0 || !this.isIdle()) return;
    const datasetId = this.state.datasetId;
    const done = new Set(
      Object.values(this.state.runs)
        .filter((r) => r.status === 'done' && r.datasetId === datasetId)
        .map((r) => stableStringify(r.config)),
    );
    const todo = configs.filter((c) => !done.has(stableStringify(c)));
    const skipped = configs.length - todo.length;
    if (todo.length === 0) {
      this.notice('info', `All ${configs.length} runs of this sweep are already done on this dataset; nothing to train.`);
      return;
    }
    if (skipped > 0) this.notice('info', `Sweep: ${skipped} of ${configs.length} runs are already done on this dataset and are skipped.`);
    const sweep: SweepView = {
      configs: todo,
      index: 0,
      baseConfig: this.state.config,
      datasetId,
      ...(options.overlay ? { overlay: true } : {}),
      ...(options.teachersFromRuns ? { teachersFromRuns: true } : {}),
    };
    this.setSweep(sweep);
    this.store.dispatch({ type: 'sweep/interrupted', sweep: null });
    this.startSweepEntry();
  }

  /** Puts the sweep's current entry in the form and trains it; a UMT entry of a queue first reads its teachers. */
  private startSweepEntry(): void {
    const sweep = this.state.sweep;
    if (!sweep) return;
    const config = sweep.configs[sweep.index];
    this.restoreFormTeachers();
    this.store.dispatch({ type: 'config/set', config });
    if (sweep.teachersFromRuns && config.method === 'umt') void this.startUmtEntry(sweep, config);
    else this.begin('start', null);
  }

  private async startUmtEntry(sweep: SweepView, config: TrainConfig): Promise<void> {
    this.loadingTeachers = true;
    let teachers: { audio: TeacherFile; visual: TeacherFile } | string;
    try {
      teachers = await this.findRunTeachers(config, sweep.datasetId);
    } finally {
      this.loadingTeachers = false;
    }
    if (this.state.sweep !== sweep) return; // stopped meanwhile
    if (typeof teachers === 'string') {
      this.notice('warning', teachers);
      this.nextInSweep(true);
      return;
    }
    this.sweepTeachers = { ...teachers, formNames: { audio: null, visual: null, ...this.state.teachers } };
    for (const branch of TEACHER_BRANCHES) this.store.dispatch({ type: 'teachers/set', branch, name: teachers[branch].name });
    this.begin('start', null);
  }

  /**
   * A UMT run's teachers from the lab's runs: per branch the latest finished run on the dataset (its entry or its
   * name) of the teacher's config (`umtTeachers.ts`) whose weights are stored; or the notice saying what is missing.
   */
  private async findRunTeachers(umt: TrainConfig, datasetId: string | undefined): Promise<{ audio: TeacherFile; visual: TeacherFile } | string> {
    await this.storeReady;
    const datasetName = this.state.datasets.find((d) => d.id === datasetId)?.name;
    const found: Partial<Record<TeacherBranch, TeacherFile>> = {};
    const missing: string[] = [];
    for (const branch of TEACHER_BRANCHES) {
      const candidates = Object.values(this.state.runs)
        .filter((r) => r.status === 'done' && r.weightsStored && (r.datasetId === datasetId || (datasetName !== undefined && r.datasetName === datasetName)))
        .filter((r) => isTeacherConfig(r.config, umt, branch))
        .sort((a, b) => b.updatedAt - a.updatedAt);
      for (const r of candidates) {
        const bytes = await this.storedWeights(r.id);
        if (bytes) {
          found[branch] = { name: exportedFileName(r, 'model.safetensors'), bytes };
          break;
        }
      }
      if (!found[branch]) missing.push(TEACHER_METHODS[branch]);
    }
    if (found.audio && found.visual) return { audio: found.audio, visual: found.visual };
    const seed = umt.seed;
    return (
      `UMT seed ${seed} skipped: no finished ${missing.join(' or ')} run of seed ${seed} with stored weights on this dataset; ` +
      `run the queue's ${missing.join(' and ')} ${missing.length > 1 ? 'entries' : 'entry'} first.`
    );
  }

  /** The form's own teacher names back, after a sweep's UMT run showed its teachers there. */
  private restoreFormTeachers(): void {
    const t = this.sweepTeachers;
    if (!t) return;
    this.sweepTeachers = null;
    for (const branch of TEACHER_BRANCHES) this.store.dispatch({ type: 'teachers/set', branch, name: t.formNames[branch] });
  }

  /**
   * A sweep's unimodal run finished: asks the worker for its weights (`export` -> `exported`), which
   * `keepWeights` stores with the run before the sweep goes on. False when there is nothing to keep.
   */
  private askWeightsToKeep(runId: string | null): boolean {
    const run = runId ? this.state.runs[runId] : undefined;
    if (!this.state.sweep || !run || run.status !== 'done' || (run.config.method !== 'audio-only' && run.config.method !== 'visual-only')) return false;
    this.keepingWeights = { runId: run.id };
    this.post({ type: 'export', format: 'safetensors' });
    return true;
  }

  /** Stores a sweep's unimodal run's weights with it (in memory where browser storage cannot), then goes on. */
  private async keepWeights(runId: string, bytes: Uint8Array): Promise<void> {
    await this.storeReady;
    const runStore = this.runStore;
    const outcome = runStore ? await this.guard.save(() => runStore.putWeights(runId, bytes), 'run weights') : 'failed';
    if (outcome !== 'saved') this.importedWeights.set(runId, bytes);
    this.store.dispatch({ type: 'run/weightsStored', runId });
    await this.saveRun(runId);
    this.keepingWeights = null;
    this.nextInSweep();
  }

  /** Resumes the sweep a reload interrupted: its runs not yet done (the interrupted one again, from its start). */
  resumeSweep(): void {
    const sweep = this.state.interruptedSweep;
    if (!sweep || !this.isIdle()) return;
    if (sweep.datasetId && this.state.datasets.some((d) => d.id === sweep.datasetId)) this.store.dispatch({ type: 'datasets/select', id: sweep.datasetId });
    const base = sweep.baseConfig ?? this.state.config;
    this.store.dispatch({ type: 'config/set', config: base });
    this.runSweep(sweep.configs.slice(sweep.index), { overlay: sweep.overlay, teachersFromRuns: sweep.teachersFromRuns });
  }

  /** Forgets the sweep a reload interrupted. */
  discardSweep(): void {
    this.store.dispatch({ type: 'sweep/interrupted', sweep: null });
    this.deps.sweepStorage?.save(null);
  }

  private setSweep(sweep: SweepView | null): void {
    this.store.dispatch({ type: 'sweep/set', sweep });
    this.deps.sweepStorage?.save(sweep ? JSON.stringify(sweep) : null);
  }

  /** Ends the sweep (finished, stopped or failed) and puts the form's config back. */
  private endSweep(): void {
    const sweep = this.state.sweep;
    if (!sweep) return;
    this.setSweep(null);
    this.restoreFormTeachers();
    if (sweep.baseConfig) this.store.dispatch({ type: 'config/set', config: sweep.baseConfig });
  }

  /** Continues a stored run from its latest checkpoint. */
  async continueRun(runId: string): Promise<void> {
    const run = this.state.runs[runId];
    if (!run || !canContinue(run) || !this.isIdle() || !this.runStore) return;
    // The same entry, or (after a reload) the same dataset added again under a new entry.
    const entry = this.state.datasets.find((d) => d.id === run.datasetId) ?? this.state.datasets.find((d) => d.name === run.datasetName);
    if (!entry) {
      this.notice('error', `Cannot continue: dataset "${run.datasetName}" is not loaded in this page; add its folder first.`);
      return;
    }
    const stored = await this.runStore.getCheckpoint(runId).catch(() => null);
    if (!stored) {
      this.notice('error', `Cannot continue: no checkpoint is stored for this run.`);
      return;
    }
    const k = stored.epoch;
    const resumed: RunRecord = {
      ...run,
      datasetId: entry.id,
      status: 'paused',
      epochs: run.epochs.filter((e) => e.epoch <= k),
      batches: run.batches.filter((b) => b.x <= k),
      summary: null,
      error: null,
    };
    this.store.dispatch({ type: 'datasets/select', id: entry.id });
    this.store.dispatch({ type: 'config/set', config: run.config });
    this.begin('start', resumed, stored.checkpoint);
  }

  // ---- runs ----

  /**
   * "Import run": a trainer's output folder (metrics.jsonl, config, model.safetensors) joins the runs list with
   * its source badge; its weights are stored to open later for the maps and the matrices.
   */
  async importRun(files: readonly FolderFile[]): Promise<void> {
    let imported;
    try {
      imported = await importRunFolder(files, { id: this.deps.newRunId(), now: this.deps.now() });
    } catch (e) {
      const why = e instanceof ImportError || e instanceof Error ? e.message : String(e);
      this.notice('error', `Could not import the run: ${why}`);
      return;
    }
    const { weights } = imported;
    const entry = this.state.datasets.find((d) => d.name === imported.run.datasetName);
    const run: RunRecord = { ...imported.run, datasetId: entry?.id ?? '', weightsStored: weights !== null };
    this.store.dispatch({ type: 'runs/loaded', runs: [run] });
    await this.saveRun(run.id);
    if (weights) {
      this.importedWeights.set(run.id, weights);
      await this.persist((s) => s.putWeights(run.id, weights), 'imported weights');
    }
    const last = run.epochs[run.epochs.length - 1];
    this.notice(
      'info',
      `Imported ${run.epochs.length} epochs from ${run.importedFrom} (final test accuracy ${(100 * last.testAcc).toFixed(1)}%)` +
        (weights ? '; press "Open weights" for its maps and matrices.' : '; the folder has no model.safetensors.'),
    );
  }

  /** A run's stored final weights: kept in memory (storage unavailable) or in browser storage; null when none. */
  private async storedWeights(runId: string): Promise<Uint8Array | null> {
    return this.importedWeights.get(runId) ?? (await this.runStore?.getWeights(runId).catch(() => null)) ?? null;
  }

  /** Loads an imported run's weights into a session on its dataset and evaluates them (matrices, maps). */
  async openRunWeights(runId: string): Promise<void> {
    const run = this.state.runs[runId];
    if (!run) return;
    if (!this.isIdle()) {
      this.notice('warning', 'Stop or finish the current run before opening weights.');
      return;
    }
    await this.storeReady;
    const bytes = await this.storedWeights(runId);
    if (!bytes) {
      this.notice('error', `No weights are stored for this run; import its folder again with model.safetensors in it.`);
      return;
    }
    // The run's dataset: the same entry, one of the same name, or the selected one if its classes are the run's
    // (a pack exported from the page trains under its folder's name).
    const s = this.state;
    const sameClasses = run.classNames.length > 0 && JSON.stringify(s.session.dataset?.classNames ?? []) === JSON.stringify(run.classNames);
    const entry =
      s.datasets.find((d) => d.id === run.datasetId) ?? s.datasets.find((d) => d.name === run.datasetName) ?? (sameClasses ? this.selectedDataset() : undefined);
    if (!entry) {
      this.notice('error', `Cannot open the weights: dataset "${run.datasetName}" (classes ${run.classNames.join(', ') || 'unknown'}) is not loaded in this page; add its folder or select it first.`);
      return;
    }
    this.weightsTarget = { runId, bytes, epoch: run.epochs[run.epochs.length - 1]?.epoch ?? 0 };
    this.store.dispatch({ type: 'datasets/select', id: entry.id });
    this.store.dispatch({ type: 'config/set', config: run.config });
    this.store.dispatch({ type: 'runs/view', id: runId });
    this.init(run.config, undefined);
  }

  /**
   * Deletes a run from the lab at once and from browser storage after `undoMs` (15 s by default), so that Undo can
   * bring it back with its checkpoint, maps and weights; a page closed before then keeps the run.
   */
  deleteRun(runId: string): void {
    const run = this.state.runs[runId];
    if (!run || runId === this.state.session.runId) return;
    this.umap.cancelRun(runId);
    this.store.dispatch({ type: 'runs/delete', id: runId });
    const timer = setTimeout(() => void this.finishDeletion(runId), this.deps.undoMs ?? UNDO_MS);
    this.trash.set(runId, { run, timer });
  }

  /** Brings a deleted run back, while its deletion is not final. */
  undoDelete(runId: string): void {
    const entry = this.trash.get(runId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.trash.delete(runId);
    this.store.dispatch({ type: 'runs/restore', run: entry.run });
  }

  /** Deleted runs whose deletion is not final yet. */
  private readonly trash = new Map<string, { run: RunRecord; timer: ReturnType<typeof setTimeout> }>();

  private async finishDeletion(runId: string): Promise<void> {
    if (!this.trash.delete(runId)) return;
    this.store.dispatch({ type: 'runs/forget', id: runId });
    await this.persist((s) => s.deleteRun(runId), 'deletion');
  }

  /** Renames, tags or annotates a run (stored with it). */
  annotateRun(runId: string, annotation: RunAnnotation): void {
    if (!this.state.runs[runId]) return;
    this.store.dispatch({ type: 'runs/annotate', id: runId, annotation });
    void this.saveRun(runId);
  }

  setOverlay(runId: string, on: boolean): void {
    this.store.dispatch({ type: 'runs/overlay', id: runId, on });
  }

  /** Shows a run in the UMAP and confusion panels, loading its stored embeddings. */
  async viewRun(runId: string | null): Promise<void> {
    this.store.dispatch({ type: 'runs/view', id: runId });
    if (runId) await this.ensureEmbeddings(runId);
  }

  /** Loads a stored run's embeddings into memory if some are missing there. */
  async ensureEmbeddings(runId: string): Promise<void> {
    await this.storeReady;
    const run = this.state.runs[runId];
    const have = this.state.embeddings[runId] ?? {};
    if (!this.runStore || !run || run.embeddingEpochs.every((e) => e in have)) return;
    const embeddings = await this.runStore.getEmbeddings(runId).catch(() => []);
    this.store.dispatch({ type: 'embeddings/loaded', runId, embeddings });
  }

  setSaveCheckpoints(on: boolean): void {
    this.store.dispatch({ type: 'storage/set', saveCheckpoints: on });
  }

  download(filename: string, data: Blob): void {
    this.deps.download(filename, data);
  }

  // ---- worker ----

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = this.deps.createTrainWorker();
    worker.onmessage = (e: MessageEvent) => this.handle(e.data as TrainOut);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault?.();
      // The worker died (failed to load, out of memory): forget it; the next action starts a fresh one.
      this.worker?.terminate();
      this.worker = null;
      this.pending = null;
      this.keepingWeights = null;
      this.restoreFormTeachers();
      this.store.dispatch({ type: 'sweep/set', sweep: null });
      this.store.dispatch({ type: 'session/lost', message: `Training worker failed: ${e.message || 'unknown error'}` });
    };
    this.worker = worker;
    return worker;
  }

  private post(message: TrainIn): void {
    this.ensureWorker().postMessage(message);
  }

  private notice(level: 'info' | 'warning' | 'error', text: string): void {
    this.store.dispatch({ type: 'notice/add', level, text });
  }

  private datasetSource(entry: DatasetEntry): DatasetSource {
    const s = this.state.session;
    // A large decoded dataset is sent once; later sessions on it reuse the worker's copy.
    if (entry.source.kind === 'transfer' && s.datasetId === entry.id && this.worker && s.state !== 'none' && s.state !== 'loading') {
      return { kind: 'current' };
    }
    return entry.source;
  }

  private selectedDataset(): DatasetEntry {
    const s = this.state;
    return s.datasets.find((d) => d.id === s.datasetId) ?? s.datasets[0];
  }

  private checkpointEvery(): number {
    const s = this.state;
    return s.saveCheckpoints && !s.checkpointsDisabled && s.storageAvailable ? 1 : 0;
  }

  /** Initialises an idle session on the current config and dataset (no run yet). */
  prepare(): void {
    if (selectConfigError(this.state)) return; // the controls show the problem; nothing to prepare
    this.wantEstimate = true;
    this.init(this.state.config, undefined);
  }

  /** Set by `prepare`: once the session is idle, time a step of it for the time per epoch. */
  private wantEstimate = false;

  private init(config: TrainConfig, resume: unknown): void {
    const entry = this.selectedDataset();
    const message: TrainIn = { type: 'init', config, dataset: this.datasetSource(entry), checkpointEvery: this.checkpointEvery() };
    if (resume !== undefined) message.resume = resume;
    // A sweep's UMT run has its own teachers (the sweep's unimodal runs); other runs the form's.
    const { audio, visual } = this.sweepTeachers ?? this.teacherFiles;
    // postMessage clones them (nothing is transferred), so the form keeps its copy for the next run.
    if (config.method === 'umt' && audio && visual) message.teachers = { audio, visual };
    this.store.dispatch({ type: 'session/init', config, datasetId: entry.id });
    this.post(message);
  }

  private begin(action: 'start' | 'step', resumed: RunRecord | null, checkpoint?: unknown): void {
    const config = this.state.config;
    const error = selectConfigError(this.state);
    if (error) {
      this.notice('error', `Cannot train (${error.field}): ${error.message}`);
      return;
    }
    this.pending = { action, run: resumed };
    const s = this.state.session;
    const reusable =
      checkpoint === undefined &&
      // A UMT session is made again: its teachers (the form's, or a sweep's) may not be the prepared session's.
      config.method !== 'umt' &&
      s.runId === null &&
      this.worker !== null &&
      (s.state === 'idle' || s.state === 'loading') &&
      s.datasetId === this.state.datasetId &&
      sameConfig(s.config, config);
    if (reusable) {
      if (s.state === 'idle') this.launch();
      return; // still loading: `idle` will launch
    }
    this.init(config, checkpoint);
  }

  /** The session is idle and a run was asked for: record the run, then start or step it. */
  private launch(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const s = this.state.session;
    const config = s.config ?? this.state.config;
    const info = s.dataset;
    const now = this.deps.now();
    const entry = this.selectedDataset();
    const run: RunRecord = pending.run
      ? // A run stored before branch kinds learns its pair from the dataset it continues on.
        { ...pending.run, updatedAt: now, backend: s.backend?.name ?? pending.run.backend, modalities: pending.run.modalities ?? info?.modalities }
      : newRunRecord(
          {
            id: this.deps.newRunId(),
            config,
            datasetId: s.datasetId ?? entry.id,
            datasetName: info?.name ?? entry.name,
            classNames: info?.classNames ?? [],
            trainSize: info?.trainSize ?? 0,
            testSize: info?.testSize ?? 0,
            modalities: info?.modalities ?? entryModalities(entry),
            backend: s.backend?.name ?? null,
          },
          now,
        );
    this.store.dispatch({ type: 'run/begin', run, at: now });
    void this.saveRun(run.id);
    this.post({ type: pending.action });
  }

  private handle(msg: TrainOut): void {
    const later = msg.type === 'event' && msg.event.type === 'batch';
    this.store.dispatch({ type: 'worker', message: msg, at: this.deps.now() }, later);
    switch (msg.type) {
      case 'backend':
      case 'dataset':
      case 'estimate':
        break;
      case 'state':
        this.onState(msg.state);
        break;
      case 'event':
        this.onEvent(msg.event);
        break;
      case 'checkpoint':
        void this.saveCheckpoint(msg.checkpoint, msg.epoch);
        break;
      case 'exported':
        if (this.keepingWeights) {
          void this.keepWeights(this.keepingWeights.runId, new Uint8Array(msg.bytes));
          break;
        }
        this.deps.download(exportedFileName(this.state.runs[this.state.session.runId ?? ''], msg.filename), new Blob([msg.bytes], { type: 'application/octet-stream' }));
        break;
      case 'imported':
        if (this.weightsTarget) {
          const target = this.weightsTarget;
          this.weightsTarget = null;
          this.store.dispatch({ type: 'runs/evaluated', runId: target.runId, confusion: msg.evaluation.confusion, datasetId: this.state.datasetId });
          const d = this.state.session.dataset;
          this.notice('info', importNotice(msg.filename, msg.tensors, msg.evaluation, d, this.state.session.config ?? this.state.config, []));
          void this.saveRun(target.runId);
        } else this.finishImport(msg);
        break;
      case 'importFailed':
        this.weightsTarget = null;
        this.pendingImport = null;
        break;
      case 'error':
        // The export of a sweep's unimodal run failed (the store shows why): the sweep goes on without its weights.
        if (this.keepingWeights) {
          const run = this.state.runs[this.keepingWeights.runId];
          this.keepingWeights = null;
          this.notice('warning', `The weights of ${run ? runName(run) : 'the run'} were not kept, so no UMT run can use it as a teacher.`);
          this.nextInSweep();
        }
        break;
      default:
        assertNever(msg, 'worker message');
    }
  }

  private onState(state: TrainState): void {
    const runId = this.state.session.runId;
    switch (state) {
      case 'idle':
        if (this.pending) this.launch();
        else if (this.weightsTarget) {
          const bytes = this.weightsTarget.bytes.slice().buffer;
          this.post({ type: 'importWeights', filename: 'model.safetensors', bytes });
        } else if (this.wantEstimate) this.post({ type: 'estimate' });
        this.wantEstimate = false;
        break;
      case 'running':
        break;
      case 'paused':
      case 'stopped':
        if (runId) void this.saveRun(runId);
        break;
      case 'done':
        if (runId) void this.saveRun(runId);
        // A unimodal run of a sweep first keeps its weights (UMT's teachers); `keepWeights` goes on.
        if (!this.askWeightsToKeep(runId)) this.nextInSweep();
        break;
      case 'error':
        this.pending = null;
        if (runId) void this.saveRun(runId);
        if (this.state.sweep) {
          this.endSweep();
          this.notice('warning', 'Sweep cancelled after an error.');
        }
        break;
      default:
        assertNever(state, 'training state');
    }
  }

  /** The sweep's next entry, or its end; `skippedNow`: the current entry was passed over, not trained. */
  private nextInSweep(skippedNow = false): void {
    const sweep = this.state.sweep;
    if (!sweep) return;
    const skipped = (sweep.skipped ?? 0) + (skippedNow ? 1 : 0);
    const index = sweep.index + 1;
    if (index >= sweep.configs.length) {
      this.endSweep();
      const n = sweep.configs.length;
      this.notice('info', skipped > 0 ? `Sweep finished: ${n - skipped} of ${n} runs trained, ${skipped} skipped.` : `Sweep finished: ${n} runs.`);
      return;
    }
    this.setSweep({ ...sweep, index, ...(skipped > 0 ? { skipped } : {}) });
    this.startSweepEntry();
  }

  private onEvent(event: SessionEvent): void {
    // The maps of opened weights belong to the imported run, at its last epoch.
    if (event.type === 'features' && !this.state.session.runId && this.weightsTarget) {
      const target = this.weightsTarget;
      const run = this.state.runs[target.runId];
      this.umap.enqueue({ runId: target.runId, epoch: target.epoch, seed: run?.config.seed ?? 0, features: { ...event.features, epoch: target.epoch } });
      return;
    }
    // The maps of an imported file: kept until its evaluation arrives and the file becomes a run.
    if (event.type === 'features' && !this.state.session.runId && this.pendingImport) {
      this.pendingImport.features = event.features;
      return;
    }
    const runId = this.state.session.runId;
    if (!runId) return;
    switch (event.type) {
      case 'batch':
      case 'evaluating':
      case 'error':
      case 'done':
        break;
      case 'epoch':
        void this.saveRun(runId);
        break;
      case 'features': {
        const run = this.state.runs[runId];
        this.umap.enqueue({ runId, epoch: event.features.epoch, seed: run?.config.seed ?? 0, features: event.features });
        break;
      }
      default:
        assertNever(event, 'session event');
    }
  }

  // ---- storage ----

  /** Runs `save` against the store if there is one; storage trouble becomes a notice, never an exception. */
  private async persist(save: (s: RunStore) => Promise<void>, what: string): Promise<void> {
    await this.storeReady;
    const runStore = this.runStore;
    if (!runStore) return;
    await this.guard.save(() => save(runStore), what);
  }

  private async saveRun(runId: string): Promise<void> {
    await this.storeReady;
    const run = this.state.runs[runId];
    if (!run) return;
    const stored: RunRecord = { ...run, batches: compactBatches(run.batches, STORED_BATCH_POINTS) };
    await this.persist((s) => s.putRun(stored), 'run');
  }

  private async saveCheckpoint(checkpoint: unknown, epoch: number): Promise<void> {
    await this.storeReady;
    const runId = this.state.session.runId;
    const runStore = this.runStore;
    if (!runId || !runStore || !this.state.saveCheckpoints) return;
    const outcome = await this.guard.saveCheckpoint(() => runStore.putCheckpoint(runId, epoch, checkpoint));
    if (outcome === 'saved') {
      this.store.dispatch({ type: 'run/checkpointSaved', runId, epoch });
      await this.saveRun(runId);
    }
  }
}
