/**
 * The one-line training status shown in the page's `role="status"` element.
 */
import { EVAL_PHASE_LABELS, evaluationPhasesText } from '../core/events';
import { formatDuration } from './formatDuration';
import { formatPercent } from './progress';
import { runResults } from '../core/results';
import type { LabState } from './store';

/** ", about 12s an epoch, 3m 00s for 15 epochs (timed)" from the timed step of an idle session. */
function estimateText(state: LabState): string {
  const e = state.session.estimate;
  if (!e) return '';
  const epochs = state.config.epochs;
  return `; about ${formatDuration(e.epochSeconds)} an epoch, ${formatDuration(e.epochSeconds * epochs)} for ${epochs} epoch${epochs === 1 ? '' : 's'} (one step timed)`;
}

export function statusText(state: LabState): string {
  const { session, progress, sweep } = state;
  const run = session.runId ? state.runs[session.runId] : undefined;
  const epochs = run?.config.epochs ?? state.config.epochs;
  const done = run?.epochs.length ? run.epochs[run.epochs.length - 1].epoch : 0;
  const sweepNote = sweep ? ` (sweep run ${sweep.index + 1} of ${sweep.configs.length})` : '';
  switch (session.state) {
    case 'none':
      return session.lost ? `Stopped: ${session.lost}. Train or Continue starts a new training worker.` : 'Starting the training worker…';
    case 'loading':
      return `Loading the dataset and building the model…${sweepNote}`;
    case 'idle': {
      const d = session.dataset;
      return d ? `Ready: ${d.name}, ${d.trainSize} train / ${d.testSize} test clips, ${d.classNames.length} classes${estimateText(state)}` : 'Ready';
    }
    case 'running': {
      if (session.stopping) return 'Stopping… (the batch or evaluation pass in hand finishes first)';
      const ev = progress?.eval;
      if (ev && ev.epoch > done && ev.phase === 'blend') {
        return `G-Blending before epoch ${ev.epoch} of ${epochs}: measuring the loss weights (each head probe-trained on a copy of the model), batch ${ev.batch} of ${ev.batches}${sweepNote}`;
      }
      if (ev && ev.epoch > done) {
        const c = run?.config ?? state.config;
        return `Evaluating epoch ${ev.epoch} of ${epochs} ${evaluationPhasesText(c.bnStats === 'precise', c.valSplit > 0)}: ${EVAL_PHASE_LABELS[ev.phase]}, batch ${ev.batch} of ${ev.batches}${sweepNote}`;
      }
      if (!progress || progress.batches === 0) return `Training: epoch ${done + 1} of ${epochs}${sweepNote}`;
      return `Training: epoch ${progress.epoch} of ${epochs}, batch ${progress.batch} of ${progress.batches}${sweepNote}`;
    }
    case 'paused':
    case 'stopped': {
      if (session.state === 'paused' && session.stopping) return 'Stopping…';
      const verb = session.state === 'paused' ? 'Paused' : 'Stopped';
      const note = session.state === 'paused' ? sweepNote : '';
      // Mid-epoch: say where; the epoch's partial batches are redone or resumed, not reported as an epoch.
      if (progress && progress.batches > 0 && progress.epoch > done && progress.batch < progress.batches) {
        return `${verb} in epoch ${progress.epoch} of ${epochs}, after batch ${progress.batch} of ${progress.batches}${note}`;
      }
      return `${verb} after epoch ${done} of ${epochs}${note}`;
    }
    case 'done': {
      const results = run ? runResults(run.epochs) : null;
      const best = results ? `; best test accuracy ${formatPercent(results.best.fused)}, final ${formatPercent(results.final.fused)}` : '';
      return `Done: ${done} epoch${done === 1 ? '' : 's'}${best}${sweepNote}`;
    }
    case 'error': {
      const last = [...state.notices].reverse().find((n) => n.level === 'error');
      return `Error: ${run?.error ?? last?.text ?? 'the training worker reported an error'}`;
    }
  }
}
