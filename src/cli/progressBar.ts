/**
 * The decode progress on stderr: on a terminal one bar redrawn in place (`[#####.....] 12/40 clips  3.1 clips/s
 * ETA 9 s`), otherwise a plain line at most every few seconds (the caller says how it ended), so logs stay readable.
 */
import type { DecodeProgress } from '../data/decode/decodeDataset';

/** "9 s", "2 min 05 s", "1 h 03 min". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** One progress line; `barWidth` 0 leaves the bar out. */
export function progressText(p: DecodeProgress, barWidth = 24): string {
  const fraction = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(fraction * barWidth);
  const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` : '';
  const parts = [`${bar}${p.done}/${p.total} clips`];
  if (p.cached > 0) parts.push(`${p.cached} cached`);
  if (p.failed > 0) parts.push(`${p.failed} failed`);
  if (p.clipsPerSecond !== null) parts.push(`${p.clipsPerSecond.toFixed(1)} clips/s`);
  if (p.etaSeconds !== null && p.done < p.total) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
  return parts.join('  ');
}

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

/** Reports DecodeProgress to `sink`; call `end()` once decoding is over. */
export class ProgressBar {
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly plainEveryMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  update(p: DecodeProgress): void {
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${progressText(p)}`);
      this.drawn = true;
      return;
    }
    const t = this.now();
    if (this.lastLine === 0) this.lastLine = t;
    else if (t - this.lastLine >= this.plainEveryMs && p.done < p.total) {
      this.lastLine = t;
      this.sink.write(`${progressText(p, 0)}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  end(): void {
    if (this.sink.isTTY && this.drawn) this.sink.write('\n');
  }
}
