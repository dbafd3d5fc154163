/**
 * Runs as the trainers write them, for the tests of `bmm-lab table` and the Compare view: a trainer output folder
 * (`metrics.jsonl` + `config.json`, as `python -m bmm_lab.train --out DIR` writes) and a `bmm-lab train --json`
 * output file (the epoch lines, then the summary line with the config and the dataset's name). Accuracies follow
 * `testAcc(epoch)`: by default 0.3 + 0.1 epoch + 0.01 seed, so mean and std over seeds are easy to check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../../src/core/config';
import { runConfigDocument } from '../../src/core/settingsDocument';

export interface RunFolderOptions {
  /** The dataset's name, put in the summary line (absent: no summary line). */
  dataset?: string;
  /** Fused test accuracy at 1-based `epoch`. */
  testAcc?: (epoch: number, config: TrainConfig) => number;
  /** Epoch lines written (default all of config.epochs). */
  epochs?: number;
}

const DEFAULT_ACC = (epoch: number, config: TrainConfig) => 0.3 + 0.1 * epoch + 0.01 * config.seed;

export function metricsLines(config: TrainConfig, options: RunFolderOptions = {}): string[] {
  const acc = options.testAcc ?? DEFAULT_ACC;
  const n = options.epochs ?? config.epochs;
  const lines = Array.from({ length: n }, (_, i) => {
    const e = i + 1;
    const t = acc(e, config);
    return JSON.stringify({
      epoch: e,
      loss: 2 / e,
      trainAcc: t + 0.05,
      testAcc: t,
      audio: { trainAcc: t, testAcc: t - 0.1 },
      visual: { trainAcc: t - 0.15, testAcc: t - 0.2 },
      rho: 1.5,
      mix: null,
      samplesPerSec: 100,
      seconds: 2,
    });
  });
  if (options.dataset !== undefined) {
    const last = acc(n, config);
    lines.push(JSON.stringify({ summary: { config, backend: 'cpu', dataset: options.dataset, classNames: [], epochs: n, bestTestAcc: last, finalTestAcc: last } }));
  }
  return lines;
}

/** A trainer output folder `root/name` with metrics.jsonl and config.json; returns its path. */
export function writeRunFolder(root: string, name: string, config: TrainConfig, options: RunFolderOptions = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), metricsLines(config, options).join('\n') + '\n');
  writeFileSync(join(dir, 'config.json'), runConfigDocument(config));
  return dir;
}

/** A `bmm-lab train --json` output file (its config and dataset in the summary line); returns its path. */
export function writeJsonOutput(path: string, config: TrainConfig, options: RunFolderOptions & { dataset: string }): string {
  writeFileSync(path, metricsLines(config, options).join('\n') + '\n');
  return path;
}
