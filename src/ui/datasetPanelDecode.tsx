/**
 * The dataset panel's decode part: the progress bar with clips/s and ETA, how the last decode ended (ready,
 * cancelled or failed, with the clips that could not be used), and the decode cache's note and Clear button.
 */
import type { PresetName } from '../core/config';
import type { DecodeProgress } from '../data/decode/decodeDataset';
import { countVerdicts, verdictCountsText } from '../data/decode/verdicts';
import type { DecodeDone } from './datasetPanelController';
import { doneText, plural } from './datasetPanelText';
import { formatDuration } from './formatDuration';

export function DecodeProgressView({ progress }: { progress: DecodeProgress }) {
  return (
    <div className="progress decode-progress" aria-label="Decoding progress">
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={progress.total} aria-valuenow={progress.done}>
        <div className="progress-fill" style={{ width: `${progress.total ? (100 * progress.done) / progress.total : 0}%` }} />
      </div>
      <p className="hint" data-testid="decode-progress">
        {progress.done} / {progress.total} clips · {progress.clipsPerSecond !== null ? progress.clipsPerSecond.toFixed(1) : '–'} clips/s · ETA{' '}
        {formatDuration(progress.etaSeconds)}
        {progress.cached > 0 && ` · ${progress.cached} cached`}
        {progress.failed > 0 && ` · ${progress.failed} failed`}
      </p>
    </div>
  );
}

export function DecodeDoneView({ done, preset }: { done: DecodeDone; preset: PresetName }) {
  return (
    <div className="dataset-done" data-testid="decode-done">
      <p>{doneText(done)}</p>
      {done.preset !== preset && <p className="hint warn">Decoded for the {done.preset} preset; decode again for {preset}.</p>}
      {done.outcome === 'ready' && done.verdicts.length > 0 && (
        <p className="hint" data-testid="decode-verdicts">
          Files: {verdictCountsText(countVerdicts(done.verdicts))}.
        </p>
      )}
      {done.clipWarnings.length > 0 && (
        <details className="dataset-list" open data-testid="decode-warnings">
          <summary>{plural(new Set(done.clipWarnings.map((w) => w.clipId)).size, 'clip')} used with a warning</summary>
          <ul>
            {done.clipWarnings.map((w, i) => (
              <li key={`${w.clipId}:${i}`}>
                <code>{w.path}</code>: {w.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {done.failures.length > 0 && (
        <details className="dataset-list" open data-testid="decode-failures">
          <summary>{plural(done.failures.length, 'clip')} could not be used</summary>
          <ul>
            {done.failures.map((f) => (
              <li key={f.clipId}>
                <code>{f.path}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {done.warnings.length > 0 && (
        <ul className="dataset-warnings">
          {done.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function DecodeCache({ note, disabled, onClear }: { note: string | null; disabled: boolean; onClear(): void }) {
  return (
    <>
      {note && <p className="hint">{note}</p>}
      <p className="hint">
        <button type="button" className="link" onClick={onClear} disabled={disabled}>
          Clear decode cache
        </button>
      </p>
    </>
  );
}
