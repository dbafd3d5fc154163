import { describe, expect, it } from 'vitest';
import type { DecodeProgress } from '../data/decode/decodeDataset';
import { formatEta, ProgressBar, progressText } from './progressBar';

const p = (over: Partial<DecodeProgress>): DecodeProgress => ({ total: 40, done: 10, decoded: 8, cached: 2, failed: 0, clipsPerSecond: 3.14, etaSeconds: 125.4, ...over });

describe('decode progress on stderr', () => {
  it('says clips done, clips/s and the ETA', () => {
    expect(formatEta(9.4)).toBe('9 s');
    expect(formatEta(125.4)).toBe('2 min 05 s');
    expect(formatEta(3 * 3600 + 4 * 60)).toBe('3 h 04 min');
    expect(progressText(p({}), 8)).toBe('[##......] 10/40 clips  2 cached  3.1 clips/s  ETA 2 min 05 s');
    expect(progressText(p({ done: 40, failed: 1, etaSeconds: 0 }), 0)).toBe('40/40 clips  2 cached  1 failed  3.1 clips/s');
    expect(progressText(p({ clipsPerSecond: null, etaSeconds: null, cached: 0 }), 0)).toBe('10/40 clips');
  });

  it('redraws one line on a terminal and writes a plain line every few seconds otherwise', () => {
    const tty: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t) => tty.push(t) });
    bar.update(p({ done: 1 }));
    bar.update(p({ done: 2 }));
    bar.end();
    expect(tty.slice(0, 2).every((t) => t.startsWith('\r\x1b[2K['))).toBe(true);
    expect(tty.at(-1)).toBe('\n');

    let now = 0;
    const lines: string[] = [];
    const plain = new ProgressBar({ isTTY: false, write: (t) => lines.push(t) }, 5000, () => now);
    for (let done = 1; done <= 20; done++) {
      now = done * 1000;
      plain.update(p({ done }));
    }
    plain.end();
    // Starting at 1 s: lines at 6 s, 11 s and 16 s, none redrawn, no bar.
    expect(lines).toEqual(['6/40 clips  2 cached  3.1 clips/s  ETA 2 min 05 s\n', '11/40 clips  2 cached  3.1 clips/s  ETA 2 min 05 s\n', '16/40 clips  2 cached  3.1 clips/s  ETA 2 min 05 s\n']);
  });
});
