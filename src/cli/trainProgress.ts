/**
 * The training progress on stderr, as the page's status line says it: `epoch 3/15  batch 6/11  ETA 2 min 05 s`
 * while training, `epoch 3/15  evaluating (BN statistics, train pass for rho, test pass): test pass 17/20  ETA …`
 * while the epoch is evaluated, `stopping…` after Ctrl-C. The ETA counts both kinds of batch at their measured
 * cost (src/core/eta.ts). On a terminal the line is redrawn in place; otherwise a plain line when an epoch's
 * training or evaluation begins and at most every `plainEveryMs` between (the caller gives no sink in tests that
 * do not want it).
 */
import { currentCosts, secondsLeft } from '../core/eta';
import { EVAL_PHASE_LABELS, evaluationPhasesText, type EpochMetrics, type EvalProgress, type SessionEvent } from '../core/events';
import { formatEta, type ProgressSink } from './progressBar';


export class TrainProgress {
  private last: EpochMetrics | null = null;
  private epoch = 0;
  private batch = 0;
  private batches = 0;
  private trainSeconds = 0;
  private evaluating: EvalProgress | null = null;
  private evalSince = 0;
  private stopping = false;
  private drawn = false;
  private lastPlain = 0;
  private lastStage = '';

  constructor(
    private readonly sink: ProgressSink,
    private readonly totalEpochs: number,
    private readonly bnPrecise: boolean,
    epochsDone = 0,
    private readonly validation = false,
    private readonly plainEveryMs = 15_000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.epoch = epochsDone;
  }

  /** Follows one session event; epoch lines are the caller's (the bar is cleared before them). */
  update(e: SessionEvent): void {
    if (e.type === 'batch') {
      const p = e.progress;
      if (p.epoch !== this.epoch || p.batch === 1) this.trainSeconds = 0;
      this.epoch = p.epoch;
      this.batch = p.batch;
      this.batches = p.batches;
      this.trainSeconds += p.seconds ?? 0;
      this.evaluating = null;
    } else if (e.type === 'evaluating') {
      if (e.progress.batch === 0 || !this.evaluating) this.evalSince = this.now();
      this.evaluating = e.progress;
    } else if (e.type === 'epoch') {
      this.last = e.metrics;
      this.evaluating = null;
      this.clear();
      return;
    } else return;
    this.draw();
  }

  /** Ctrl-C was pressed: the session finishes the batch or evaluation pass in hand. */
  markStopping(): void {
    this.stopping = true;
    this.draw(true);
  }

  /** The text of the line as it stands. */
  text(): string {
    if (this.stopping) return 'stopping… (the batch or evaluation pass in hand finishes first; the epochs done are kept)';
    const parts = [`epoch ${this.epoch}/${this.totalEpochs}`];
    const ev = this.evaluating;
    if (ev?.phase === 'blend') {
      // The probe's batches are not the epoch's work: no ETA from them.
      return `epoch ${ev.epoch}/${this.totalEpochs}  G-Blending probe (measuring the loss weights) ${ev.batch}/${ev.batches}`;
    }
    if (ev) {
      parts.push(`evaluating ${evaluationPhasesText(this.bnPrecise, this.validation)}: ${EVAL_PHASE_LABELS[ev.phase]} ${ev.batch}/${ev.batches}`);
    } else if (this.batches > 0) parts.push(`batch ${this.batch}/${this.batches}`);
    const eta = this.eta();
    if (eta !== null) parts.push(`ETA ${formatEta(eta)}`);
    return parts.join('  ');
  }

  /** Seconds left at the costs measured so far; null before the first batch. */
  eta(): number | null {
    const ev = this.evaluating;
    const liveTrain = this.batch > 0 && this.trainSeconds > 0 ? this.trainSeconds / this.batch : null;
    const liveEval = ev && ev.batch > 0 ? (this.now() - this.evalSince) / 1000 / ev.batch : null;
    const costs = currentCosts(this.last, null, liveTrain, liveEval);
    const epochsDone = this.last?.epoch ?? this.epoch - 1;
    const evalBatches = ev?.batches ?? this.last?.work?.evalBatches ?? 0;
    return secondsLeft(
      { totalEpochs: this.totalEpochs, epochsDone, trainBatch: this.batch, evalBatch: ev?.batch ?? 0, work: { trainBatches: this.batches, evalBatches } },
      costs,
    );
  }

  private draw(force = false): void {
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${this.text()}`);
      this.drawn = true;
      return;
    }
    const t = this.now();
    const stage = `${this.epoch}:${this.evaluating ? 'eval' : 'train'}`;
    if (force || stage !== this.lastStage || t - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = t;
      this.lastStage = stage;
      this.sink.write(`${this.text()}\n`);
    }
  }

  /** Clears the redrawn line (before an epoch line or at the end). */
  clear(): void {
    if (this.sink.isTTY && this.drawn) {
      this.sink.write('\r\x1b[2K');
      this.drawn = false;
    }
  }
}
