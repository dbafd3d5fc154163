/**
 * The one-line training status shown in the page's `role="status"` element.
 */
import { formatPercent } from './progress';
import { runResults } from './run';
import type { LabState } from './store';

export function statusText(state: LabState): string {
  const { session, progress, sweep } = state;
  const run = session.runId ? state.runs[session.runId] : undefined;
  const epochs = run?.config.epochs ?? state.config.epochs;
  const done = run?.epochs.length ? run.epochs[run.epochs.length - 1].epoch : 0;
  const sweepNote = sweep ? ` (sweep run ${sweep.index + 1} of ${sweep.configs.length})` : '';
  switch (session.state) {
    case 'none':
      return 'Starting the training worker…';
    case 'loading':
      return `Loading the dataset and building the model…${sweepNote}`;
    case 'idle': {
      const d = session.dataset;
      return d ? `Ready: ${d.name}, ${d.trainSize} train / ${d.testSize} test clips, ${d.classNames.length} classes` : 'Ready';
    }
    case 'running': {
      if (!progress || progress.batches === 0) return `Training: epoch ${done + 1} of ${epochs}${sweepNote}`;
      return `Training: epoch ${progress.epoch} of ${epochs}, batch ${progress.batch} of ${progress.batches}${sweepNote}`;
    }
    case 'paused':
      return `Paused after epoch ${done} of ${epochs}${sweepNote}`;
    case 'stopped':
      return `Stopped after epoch ${done} of ${epochs}`;
    case 'done': {
      const results = run ? runResults(run) : null;
      const best = results ? `; best test accuracy ${formatPercent(results.best.fused)}, final ${formatPercent(results.final.fused)}` : '';
      return `Done: ${done} epochs${best}${sweepNote}`;
    }
    case 'error': {
      const last = [...state.notices].reverse().find((n) => n.level === 'error');
      return `Error: ${run?.error ?? last?.text ?? 'the training worker reported an error'}`;
    }
  }
}
