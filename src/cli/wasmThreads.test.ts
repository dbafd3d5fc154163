import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args';

const run = promisify(execFile);

/** `bmm-lab train` in its own process (the wasm backend and its threads are per process); stdout lines. */
async function train(threads: number, json: boolean): Promise<string[]> {
  const args = ['bin/bmm-lab.mjs', 'train', '--preset', 'tiny', '--width', '0.0625', '--batch', '8', '--backend', 'wasm', '--method', 'erm', '--epochs', '2', '--threads', String(threads)];
  const { stdout } = await run(process.execPath, json ? [...args, '--json'] : args, { timeout: 120_000 });
  return stdout.trim().split('\n');
}

describe('bmm-lab train --threads (threaded wasm in Node)', () => {
  it.skipIf(cpus().length < 2)('runs wasm on 2 threads, says so, and trains to the same numbers as one thread; the process ends by itself', async () => {
    const text = await train(2, false);
    expect(text[0]).toBe('backend: wasm: chosen in the config (2 threads)');
    const [one, two] = await Promise.all([train(1, true), train(2, true)]);
    const epochs = (lines: string[]) => lines.slice(0, 2).map((l) => JSON.parse(l) as { loss: number; testAcc: number; audio: { testAcc: number } });
    const a = epochs(one);
    const b = epochs(two);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(b[i].loss - a[i].loss) / a[i].loss).toBeLessThan(1e-5);
      expect(b[i].testAcc).toBe(a[i].testAcc);
      expect(b[i].audio.testAcc).toBe(a[i].audio.testAcc);
    }
    // The second epoch trained: a single-threaded start that ignored the flag would print the same, so the first
    // line above is what shows the threads ran.
    expect(a[1].loss).toBeLessThan(a[0].loss);
  }, 240_000);

  it('refuses a thread count that is not a whole number within the cores, and threads for another backend', () => {
    const base = ['train', '--preset', 'tiny'];
    expect(() => parseArgs([...base, '--threads', '0'])).toThrow(UsageError);
    expect(() => parseArgs([...base, '--threads', '1.5'])).toThrow(/--threads must be a whole number from 1 to \d+ \(this machine's logical cores\), got "1.5"/);
    expect(() => parseArgs([...base, '--threads', String(cpus().length + 1)])).toThrow(/--threads must be a whole number/);
    expect(() => parseArgs([...base, '--backend', 'cpu', '--threads', '2'])).toThrow(cpus().length >= 2 ? '--threads is for the wasm backend; --backend is cpu' : /--threads must be/);
    expect((parseArgs([...base, '--threads', '1']) as { threads: number }).threads).toBe(1);
    expect((parseArgs(base) as { threads: number }).threads).toBe(1);
  });
});
