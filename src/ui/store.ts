/**
 * The page's state: the config being edited, the training session in the worker, every run (live and stored),
 * their UMAP embeddings, notices. One reducer, pure except that per-batch points are appended in place to the
 * live run's array (a long run has tens of thousands; copying it per batch would be quadratic) — the run object
 * itself is replaced, so `batches.length` tells the charts something changed.
 */
import { makeConfig, type TrainConfig } from '../core/config';
import type { EpochMetrics, EvalProgress, RunSummary, SessionEvent, StepEstimate } from '../core/events';
import { AUDIO_RGB, type ModalityPair } from '../core/modalities';
import { assertNever, type DatasetInfo, type DatasetSource, type Embedding, type TrainOut, type TrainState } from '../worker/protocol';
import { toBatchPoint } from './chartData';
import { withColorIndex } from './palette';
import { runName, type RunAnnotation, type RunRecord, type RunStatus } from './run';

export interface DatasetEntry {
  /** Stable id within the page ('demo' for the built-in one). */
  id: string;
  name: string;
  description: string;
  source: DatasetSource;
}

/** The branch kinds of an entry's dataset: a transferred dataset's own; the demo's (and any other) audio + RGB. */
export function entryModalities(entry: DatasetEntry): ModalityPair {
  return entry.source.kind === 'transfer' ? entry.source.modalities : AUDIO_RGB;
}

export const DEMO_DATASET: DatasetEntry = {
  id: 'demo',
  name: 'Demo (synthetic audio-visual)',
  description: 'Generated in the browser: class-coded tones and shapes, one modality made weaker on purpose',
  source: { kind: 'demo' },
};

/** The selected dataset's branch kinds: what the form's next run (and its sweep) will train on. */
export function selectedModalities(s: Pick<LabState, 'datasets' | 'datasetId'>): ModalityPair {
  return entryModalities(s.datasets.find((d) => d.id === s.datasetId) ?? DEMO_DATASET);
}

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
}

/** `loading`: `init` sent, the worker has not answered with a state yet. `none`: no worker yet. */
export type SessionViewState = TrainState | 'loading' | 'none';

export interface SessionView {
  state: SessionViewState;
  backend: { name: string; reason: string } | null;
  dataset: DatasetInfo | null;
  /** The config and dataset the worker's session was initialised with. */
  config: TrainConfig | null;
  datasetId: string | null;
  /** The run that the session's events go to. */
  runId: string | null;
  /** Why the last worker died (until a new session starts); null otherwise. */
  lost?: string | null;
  /** Stop was pressed and the worker has not stopped yet (it finishes the batch or evaluation pass in hand). */
  stopping?: boolean;
  /** The timed step of this session's config (before training), for the time per epoch and run. */
  estimate?: StepEstimate | null;
}

/** Whether the worker's session holds a run (running or paused) or is being built: no new session may start. */
export function sessionBusy(session: Pick<SessionView, 'state'>): boolean {
  return session.state === 'running' || session.state === 'paused' || session.state === 'loading';
}

export interface ProgressView {
  /** Epochs already complete when this run (or its continuation) began. */
  startEpoch: number;
  epoch: number;
  batch: number;
  batches: number;
  samplesPerSec: number;
  /** Milliseconds spent running (not paused) before `runningSince`. */
  activeMs: number;
  /** Time (ms since 1970) when the current running stretch began; null when not running. */
  runningSince: number | null;
  /** Seconds of the current epoch's training batches so far. */
  trainSeconds?: number;
  /** The current epoch's evaluation passes, once they have begun; null while training. */
  eval?: EvalProgress | null;
  /** When those passes began and when their last batch ended (ms since 1970). */
  evalSince?: number | null;
  evalAt?: number | null;
}

export interface SweepView {
  configs: TrainConfig[];
  /** Index of the config running now. */
  index: number;
  /** Draw every run of the sweep in the charts (the one-click ERM vs B-MM comparison). */
  overlay?: boolean;
  /** The form's config when the sweep began: put back when it ends, is stopped or fails. */
  baseConfig?: TrainConfig;
  /** The dataset the sweep trains on. */
  datasetId?: string;
  /**
   * UMT entries take their teachers from the lab's runs (the Table 2 queue): the finished audio-only and
   * visual-only runs of the same seed and settings on the dataset, whose weights the sweep kept; else the form's.
   */
  teachersFromRuns?: boolean;
  /** Entries passed over so far (a UMT entry without its teachers' runs). */
  skipped?: number;
}

export interface LabState {
  config: TrainConfig;
  datasets: DatasetEntry[];
  datasetId: string;
  session: SessionView;
  progress: ProgressView | null;
  runs: Record<string, RunRecord>;
  /** Run ids, oldest first (colours follow this order). */
  runOrder: string[];
  /** Runs drawn in the charts besides the live one. */
  overlay: Record<string, boolean>;
  /** The run shown in the UMAP and confusion panels (null: the live or latest run). */
  viewRunId: string | null;
  embeddings: Record<string, Record<number, Embedding>>;
  /** Epochs waiting for UMAP, per run. */
  umapPending: Record<string, number[]>;
  /** EMA weight of per-batch curves, in [0, 0.99]. */
  smoothing: number;
  sweep: SweepView | null;
  notices: Notice[];
  nextNoticeId: number;
  saveCheckpoints: boolean;
  checkpointsDisabled: boolean;
  storageAvailable: boolean;
  /** A sweep that a reload interrupted (kept in browser storage), to resume or discard. */
  interruptedSweep?: SweepView | null;
  /** Runs deleted lately, newest last, that Undo can bring back (until the deletion is made final). */
  deleted?: { id: string; name: string }[];
  /** UMT's teacher files picked in the form (their names; the controller holds the bytes). */
  teachers?: { audio: string | null; visual: string | null };
}

export function initialState(config: TrainConfig = makeConfig()): LabState {
  return {
    config,
    datasets: [DEMO_DATASET],
    datasetId: DEMO_DATASET.id,
    session: { state: 'none', backend: null, dataset: null, config: null, datasetId: null, runId: null },
    progress: null,
    runs: {},
    runOrder: [],
    overlay: {},
    viewRunId: null,
    embeddings: {},
    umapPending: {},
    smoothing: 0.6,
    sweep: null,
    notices: [],
    nextNoticeId: 1,
    saveCheckpoints: true,
    checkpointsDisabled: false,
    storageAvailable: true,
  };
}

export type LabAction =
  | { type: 'config/set'; config: TrainConfig }
  /** A UMT teacher file was picked (null: dropped). */
  | { type: 'teachers/set'; branch: 'audio' | 'visual'; name: string | null }
  | { type: 'datasets/add'; entry: DatasetEntry; select: boolean }
  | { type: 'datasets/select'; id: string }
  | { type: 'session/init'; config: TrainConfig; datasetId: string }
  | { type: 'session/lost'; message: string }
  /** Stop was pressed: the status says "Stopping…" until the worker has stopped. */
  | { type: 'session/stopping' }
  /** `at`: arrival time, ms since 1970. */
  | { type: 'worker'; message: TrainOut; at: number }
  | { type: 'run/begin'; run: RunRecord; at: number }
  | { type: 'run/checkpointSaved'; runId: string; epoch: number }
  /** A run's final weights were stored beside it (a sweep's unimodal run, to be a UMT teacher). */
  | { type: 'run/weightsStored'; runId: string }
  | { type: 'runs/loaded'; runs: RunRecord[] }
  | { type: 'runs/delete'; id: string }
  /** Undo of a deletion: the run comes back where it was (by creation time). */
  | { type: 'runs/restore'; run: RunRecord }
  | { type: 'runs/annotate'; id: string; annotation: RunAnnotation }
  /** A deletion became final: Undo no longer offers it. */
  | { type: 'runs/forget'; id: string }
  | { type: 'runs/overlay'; id: string; on: boolean }
  | { type: 'runs/view'; id: string | null }
  /** An imported run's weights were evaluated in the lab: its last epoch gets the test confusion matrices. */
  | { type: 'runs/evaluated'; runId: string; confusion: EpochMetrics['confusion']; datasetId: string }
  | { type: 'embeddings/set'; runId: string; embedding: Embedding }
  | { type: 'embeddings/loaded'; runId: string; embeddings: Embedding[] }
  | { type: 'umap/pending'; runId: string; epoch: number; pending: boolean }
  | { type: 'smoothing/set'; value: number }
  | { type: 'sweep/set'; sweep: SweepView | null }
  | { type: 'sweep/interrupted'; sweep: SweepView | null }
  | { type: 'notice/add'; level: Notice['level']; text: string }
  | { type: 'notice/dismiss'; id: number }
  | { type: 'storage/set'; available?: boolean; checkpointsDisabled?: boolean; saveCheckpoints?: boolean };

/** An annotation as stored: a blank name or note is no name or note. */
function cleanAnnotation(a: RunAnnotation): RunAnnotation {
  return { name: a.name?.trim() || undefined, tags: a.tags && a.tags.length ? a.tags : undefined, note: a.note?.trim() || undefined };
}

function addNotice(state: LabState, level: Notice['level'], text: string): LabState {
  // The same text twice in a row (e.g. a repeated worker error) is shown once.
  const last = state.notices[state.notices.length - 1];
  if (last && last.text === text && last.level === level) return state;
  const notices = [...state.notices, { id: state.nextNoticeId, level, text }].slice(-8);
  return { ...state, notices, nextNoticeId: state.nextNoticeId + 1 };
}

function updateRun(state: LabState, id: string | null, update: (run: RunRecord) => RunRecord): LabState {
  if (!id) return state;
  const run = state.runs[id];
  if (!run) return state;
  return { ...state, runs: { ...state.runs, [id]: update(run) } };
}

const RUN_STATUS: Record<TrainState, RunStatus | null> = {
  idle: null,
  running: 'running',
  paused: 'paused',
  stopped: 'stopped',
  done: 'done',
  error: 'error',
};

function applyState(state: LabState, next: TrainState, at: number): LabState {
  let progress = state.progress;
  if (progress) {
    if (next === 'running' && progress.runningSince === null) progress = { ...progress, runningSince: at };
    if (next !== 'running' && progress.runningSince !== null) {
      progress = { ...progress, activeMs: progress.activeMs + (at - progress.runningSince), runningSince: null };
    }
  }
  const status = RUN_STATUS[next];
  const withRun = status ? updateRun(state, state.session.runId, (run) => ({ ...run, status, updatedAt: at })) : state;
  const stopping = next === 'running' || next === 'paused' ? (withRun.session.stopping ?? false) : false;
  return { ...withRun, progress, session: { ...withRun.session, state: next, stopping } };
}

function applyEvent(state: LabState, event: SessionEvent, at: number): LabState {
  const runId = state.session.runId;
  switch (event.type) {
    case 'batch': {
      const p = event.progress;
      const next = updateRun(state, runId, (run) => {
        run.batches.push(toBatchPoint(p));
        return { ...run };
      });
      const prev = state.progress;
      const sameEpoch = prev !== null && prev.epoch === p.epoch && p.batch > 1;
      return {
        ...next,
        progress: {
          startEpoch: prev?.startEpoch ?? 0,
          epoch: p.epoch,
          batch: p.batch,
          batches: p.batches,
          samplesPerSec: p.samplesPerSec,
          activeMs: prev?.activeMs ?? 0,
          runningSince: prev?.runningSince ?? null,
          trainSeconds: (sameEpoch ? (prev.trainSeconds ?? 0) : 0) + (p.seconds ?? 0),
          eval: null,
          evalSince: null,
          evalAt: null,
        },
      };
    }
    case 'evaluating': {
      const prev = state.progress;
      if (!prev) return state;
      const e = event.progress;
      const begins = e.batch === 0 || !prev.eval || prev.eval.epoch !== e.epoch;
      return { ...state, progress: { ...prev, eval: e, evalSince: begins && e.batch === 0 ? at : (prev.evalSince ?? at), evalAt: at } };
    }
    case 'epoch': {
      const m = event.metrics;
      // A resumed run can repeat an epoch: the newer one replaces it.
      const next = updateRun(state, runId, (run) => ({
        ...run,
        epochs: [...run.epochs.filter((e) => e.epoch < m.epoch), m],
        updatedAt: at,
      }));
      return next.progress ? { ...next, progress: { ...next.progress, eval: null, evalSince: null, evalAt: null } } : next;
    }
    case 'features':
      return runId ? setPending(state, runId, event.features.epoch, true) : state;
    case 'error': {
      const noticed = addNotice(state, event.fatal ? 'error' : 'warning', event.message);
      return event.fatal ? updateRun(noticed, runId, (run) => ({ ...run, status: 'error', error: event.message })) : noticed;
    }
    case 'done':
      return updateRun(state, runId, (run) => finishRun(run, event.summary, at));
    default:
      return assertNever(event, 'session event');
  }
}

function finishRun(run: RunRecord, summary: RunSummary, at: number): RunRecord {
  // The session reports a stopped run with a summary too (stoppedEarly); `state: stopped` follows.
  const status = summary.stoppedEarly ? 'stopped' : 'done';
  return { ...run, summary, status, backend: run.backend ?? summary.backend, updatedAt: at };
}

function setPending(state: LabState, runId: string, epoch: number, pending: boolean): LabState {
  const list = state.umapPending[runId] ?? [];
  const next = pending ? (list.includes(epoch) ? list : [...list, epoch]) : list.filter((e) => e !== epoch);
  return { ...state, umapPending: { ...state.umapPending, [runId]: next } };
}

function applyWorker(state: LabState, msg: TrainOut, at: number): LabState {
  switch (msg.type) {
    case 'backend': {
      const backend = { name: msg.name, reason: msg.reason };
      const next = updateRun(state, state.session.runId, (run) => ({ ...run, backend: msg.name }));
      return { ...next, session: { ...next.session, backend } };
    }
    case 'dataset':
      return { ...state, session: { ...state.session, dataset: msg.info } };
    case 'estimate':
      return msg.estimate
        ? { ...state, session: { ...state.session, estimate: msg.estimate } }
        : addNotice(state, 'warning', `Could not time a training step: ${msg.message}`);
    case 'event':
      return applyEvent(state, msg.event, at);
    case 'state':
      return applyState(state, msg.state, at);
    case 'error': {
      const noticed = addNotice(state, 'error', msg.message);
      return updateRun(noticed, noticed.session.runId, (run) => ({ ...run, error: msg.message }));
    }
    case 'checkpoint':
    case 'exported':
      // Handled by the controller (storage, download); nothing to show.
      return state;
    case 'imported':
      // The controller words the notice: it knows the file's metadata and the run it became.
      return state;
    case 'importFailed':
      return addNotice(state, 'error', `Could not load ${msg.filename}: ${msg.message}`);
    default:
      return assertNever(msg, 'worker message');
  }
}

export function labReducer(state: LabState, action: LabAction): LabState {
  switch (action.type) {
    case 'config/set':
      return { ...state, config: action.config };
    case 'teachers/set':
      return { ...state, teachers: { audio: null, visual: null, ...state.teachers, [action.branch]: action.name } };
    case 'datasets/add': {
      const datasets = [...state.datasets.filter((d) => d.id !== action.entry.id), action.entry];
      return { ...state, datasets, datasetId: action.select ? action.entry.id : state.datasetId };
    }
    case 'datasets/select':
      return state.datasets.some((d) => d.id === action.id) ? { ...state, datasetId: action.id } : state;
    case 'session/init':
      return {
        ...state,
        session: { ...state.session, state: 'loading', dataset: null, config: action.config, datasetId: action.datasetId, runId: null, lost: null, stopping: false, estimate: null },
      };
    case 'session/stopping':
      return { ...state, session: { ...state.session, stopping: true } };
    case 'session/lost': {
      const noticed = addNotice(state, 'error', action.message);
      const next = updateRun(noticed, state.session.runId, (run) =>
        run.status === 'running' || run.status === 'paused' ? { ...run, status: 'error', error: action.message } : run,
      );
      return { ...next, progress: null, session: { ...next.session, state: 'none', runId: null, config: null, datasetId: null, lost: action.message } };
    }
    case 'worker':
      return applyWorker(state, action.message, action.at);
    case 'run/begin': {
      const run = withColorIndex(action.run.backend ? action.run : { ...action.run, backend: state.session.backend?.name ?? null }, Object.values(state.runs));
      const exists = run.id in state.runs;
      const last = run.epochs[run.epochs.length - 1];
      return {
        ...state,
        runs: { ...state.runs, [run.id]: run },
        runOrder: exists ? state.runOrder : [...state.runOrder, run.id],
        overlay: state.sweep?.overlay ? { ...state.overlay, [run.id]: true } : state.overlay,
        viewRunId: null,
        session: { ...state.session, runId: run.id },
        progress: { startEpoch: last ? last.epoch : 0, epoch: last ? last.epoch : 0, batch: 0, batches: 0, samplesPerSec: 0, activeMs: 0, runningSince: null },
      };
    }
    case 'run/checkpointSaved':
      return updateRun(state, action.runId, (run) => ({ ...run, checkpointEpoch: action.epoch }));
    case 'run/weightsStored':
      return updateRun(state, action.runId, (run) => ({ ...run, weightsStored: true }));
    case 'runs/loaded': {
      const runs = { ...state.runs };
      const order = [...state.runOrder];
      for (const run of action.runs) {
        if (run.id in runs) continue;
        // A run stored while running was interrupted when the page closed.
        runs[run.id] = withColorIndex(run.status === 'running' ? { ...run, status: 'stopped' } : run, Object.values(runs));
        order.push(run.id);
      }
      order.sort((a, b) => runs[a].createdAt - runs[b].createdAt);
      return { ...state, runs, runOrder: order };
    }
    case 'runs/delete': {
      if (action.id === state.session.runId) return state;
      const { [action.id]: _run, ...runs } = state.runs;
      const { [action.id]: _emb, ...embeddings } = state.embeddings;
      const { [action.id]: _ov, ...overlay } = state.overlay;
      const { [action.id]: _p, ...umapPending } = state.umapPending;
      return {
        ...state,
        runs,
        embeddings,
        overlay,
        umapPending,
        runOrder: state.runOrder.filter((id) => id !== action.id),
        viewRunId: state.viewRunId === action.id ? null : state.viewRunId,
        deleted: [...(state.deleted ?? []).filter((d) => d.id !== action.id), { id: action.id, name: runName(_run) }].slice(-5),
      };
    }
    case 'runs/restore': {
      const run = action.run;
      const runs = { ...state.runs, [run.id]: run };
      const order = state.runOrder.includes(run.id) ? state.runOrder : [...state.runOrder, run.id].sort((a, b) => runs[a].createdAt - runs[b].createdAt);
      return { ...state, runs, runOrder: order, deleted: (state.deleted ?? []).filter((d) => d.id !== run.id) };
    }
    case 'runs/forget':
      return { ...state, deleted: (state.deleted ?? []).filter((d) => d.id !== action.id) };
    case 'runs/annotate':
      return updateRun(state, action.id, (run) => ({ ...run, ...cleanAnnotation(action.annotation) }));
    case 'runs/overlay':
      return { ...state, overlay: { ...state.overlay, [action.id]: action.on } };
    case 'runs/view':
      return { ...state, viewRunId: action.id };
    case 'runs/evaluated':
      return updateRun(state, action.runId, (run) => {
        const epochs = run.epochs.map((e, i) => (i === run.epochs.length - 1 ? { ...e, confusion: action.confusion } : e));
        return { ...run, epochs, datasetId: action.datasetId };
      });
    case 'embeddings/set': {
      const forRun = { ...state.embeddings[action.runId], [action.embedding.epoch]: action.embedding };
      const next = setPending(state, action.runId, action.embedding.epoch, false);
      const withEpoch = updateRun(next, action.runId, (run) =>
        run.embeddingEpochs.includes(action.embedding.epoch)
          ? run
          : { ...run, embeddingEpochs: [...run.embeddingEpochs, action.embedding.epoch].sort((a, b) => a - b) },
      );
      return { ...withEpoch, embeddings: { ...withEpoch.embeddings, [action.runId]: forRun } };
    }
    case 'embeddings/loaded': {
      const forRun = { ...state.embeddings[action.runId] };
      for (const e of action.embeddings) forRun[e.epoch] ??= e;
      return { ...state, embeddings: { ...state.embeddings, [action.runId]: forRun } };
    }
    case 'umap/pending':
      return setPending(state, action.runId, action.epoch, action.pending);
    case 'smoothing/set':
      return { ...state, smoothing: Math.min(0.99, Math.max(0, action.value)) };
    case 'sweep/set':
      return { ...state, sweep: action.sweep };
    case 'sweep/interrupted':
      return { ...state, interruptedSweep: action.sweep };
    case 'notice/add':
      return addNotice(state, action.level, action.text);
    case 'notice/dismiss':
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
    case 'storage/set':
      return {
        ...state,
        storageAvailable: action.available ?? state.storageAvailable,
        checkpointsDisabled: action.checkpointsDisabled ?? state.checkpointsDisabled,
        saveCheckpoints: action.saveCheckpoints ?? state.saveCheckpoints,
      };
    default:
      return assertNever(action, 'action');
  }
}

/** The run the charts, UMAP and confusion panels follow by default: the session's, else the newest. */
export function liveRunId(state: LabState): string | null {
  return state.session.runId ?? state.runOrder[state.runOrder.length - 1] ?? null;
}

/** The run shown in the UMAP and confusion panels. */
export function viewedRunId(state: LabState): string | null {
  return state.viewRunId && state.runs[state.viewRunId] ? state.viewRunId : liveRunId(state);
}

/** Runs drawn in the charts: the live run plus the ones ticked for overlay, oldest first. */
export function chartedRunIds(state: LabState): string[] {
  const live = liveRunId(state);
  return state.runOrder.filter((id) => id === live || state.overlay[id]);
}

function shallowEqualRun(a: RunRecord, b: RunRecord): boolean {
  if (a === b) return true;
  const keys = Object.keys(b) as (keyof RunRecord)[];
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((k) => a[k] === b[k]);
}

let stableRunsIn: Record<string, RunRecord> | null = null;
let stableRunsOut: Record<string, RunRecord> | null = null;

/**
 * `state.runs`, but the same object as last time while no run changed other than by per-batch appends (a batch
 * event replaces the live run object, yet only its `batches` array, appended in place, differs). For the panels
 * that show runs but not their per-batch curves, so they do not re-render ten times a second while training.
 * The records it returns may be older objects equal field by field to the current ones.
 */
export function selectStableRuns(state: LabState): Record<string, RunRecord> {
  const runs = state.runs;
  if (runs === stableRunsIn && stableRunsOut) return stableRunsOut;
  const prev = stableRunsOut;
  stableRunsIn = runs;
  if (prev) {
    const ids = Object.keys(runs);
    if (ids.length === Object.keys(prev).length && ids.every((id) => prev[id] !== undefined && shallowEqualRun(prev[id], runs[id]))) return prev;
  }
  stableRunsOut = runs;
  return runs;
}

export type Listener = () => void;

export interface Store {
  getState(): LabState;
  /** Applies an action; listeners hear of it now, or with `later` at the next coalesced flush (for per-batch events). */
  dispatch(action: LabAction, later?: boolean): void;
  subscribe(listener: Listener): () => void;
}

/**
 * A minimal external store for `useSyncExternalStore`. `schedule` runs the deferred notification; the default
 * coalesces bursts of batch events into one re-render every ~100 ms.
 */
export function createStore(initial: LabState, schedule: (flush: () => void) => void = (f) => setTimeout(f, 100)): Store {
  let state = initial;
  const listeners = new Set<Listener>();
  let scheduled = false;
  const notify = () => {
    scheduled = false;
    for (const l of [...listeners]) l();
  };
  return {
    getState: () => state,
    dispatch(action, later = false) {
      state = labReducer(state, action);
      if (!later) notify();
      else if (!scheduled) {
        scheduled = true;
        schedule(() => {
          if (scheduled) notify();
        });
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
