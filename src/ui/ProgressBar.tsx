/**
 * Progress of the live run: a bar over all epochs, and epoch, batch, samples/s, elapsed time and ETA.
 */
import { useNow } from './useNow';
import { useLab } from './context';
import { formatDuration } from './formatDuration';
import { liveProgress } from './progress';
import { selectStableRuns, type LabState } from './store';

const selectProgress = (s: LabState) => s.progress;
const selectSession = (s: LabState) => s.session;
const selectRuns = selectStableRuns;

export function ProgressBar() {
  const progress = useLab(selectProgress);
  const session = useLab(selectSession);
  const runs = useLab(selectRuns);
  const running = progress?.runningSince !== null && progress?.runningSince !== undefined;
  const now = useNow(1000, running);
  const run = session.runId ? runs[session.runId] : undefined;
  if (!progress || !run) return null;
  const total = run.config.epochs;
  const lastEpoch = run.epochs.length ? run.epochs[run.epochs.length - 1].epoch : 0;
  const live = liveProgress({ progress, session, runs }, now);
  const fraction = live?.fraction ?? 0;
  const activeSeconds = (progress.activeMs + (progress.runningSince !== null ? Math.max(0, now - progress.runningSince) : 0)) / 1000;
  const eta = live?.eta ?? null;
  const evaluating = progress.eval && progress.eval.epoch > lastEpoch ? progress.eval : null;
  return (
    <section className="progress" aria-label="Progress">
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(2)}%` }} />
      </div>
      <dl className="progress-facts">
        <div>
          <dt>Epoch</dt>
          <dd>
            {Math.max(progress.epoch, lastEpoch)} / {total}
          </dd>
        </div>
        <div>
          <dt>{evaluating ? 'Evaluating' : 'Batch'}</dt>
          <dd>{evaluating ? `${evaluating.batch} / ${evaluating.batches}` : progress.batches > 0 ? `${progress.batch} / ${progress.batches}` : '–'}</dd>
        </div>
        <div>
          <dt>Samples/s</dt>
          <dd>{progress.samplesPerSec > 0 ? progress.samplesPerSec.toFixed(1) : '–'}</dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>{formatDuration(activeSeconds)}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{session.state === 'running' || session.state === 'paused' || session.state === 'done' ? formatDuration(eta) : '–'}</dd>
        </div>
      </dl>
    </section>
  );
}
