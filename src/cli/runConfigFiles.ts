/**
 * Run configs around a CLI run: what `--config RUN.json` and the flags made of it (said in the output), and the run
 * config of the run itself written beside its outputs (`--export M.safetensors` -> `M.run.json`, `--export-tfjs DIR`
 * -> `DIR/run.json`, `--trace T.jsonl` -> `T.run.json`, `--checkpoint C` -> `C/run.json`), so it can be run again here or in PyTorch
 * (`python -m bmm_lab.train --config M.run.json`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfig } from '../core/config';
import { runConfigDocument } from '../core/settingsDocument';
import type { ConfigOverride, TrainArgs } from './args';

function withoutExtension(path: string, ext: string): string {
  return path.endsWith(ext) ? path.slice(0, -ext.length) : path;
}

type OutputArgs = Pick<TrainArgs, 'exportPath' | 'exportTfjsDir' | 'tracePath'> & { checkpointDir?: string | null };

/** Where the run's config is written: beside each output the run has (and in its checkpoint folder). */
export function runConfigPaths(args: OutputArgs): string[] {
  const paths: string[] = [];
  if (args.exportPath) paths.push(`${withoutExtension(args.exportPath, '.safetensors')}.run.json`);
  if (args.exportTfjsDir) paths.push(join(args.exportTfjsDir, 'run.json'));
  if (args.tracePath) paths.push(`${withoutExtension(args.tracePath, '.jsonl')}.run.json`);
  if (args.checkpointDir) paths.push(join(args.checkpointDir, 'run.json'));
  return paths;
}

/** Writes the run config document of `config` to every runConfigPaths path; returns them. */
export async function writeRunConfigs(args: OutputArgs, config: TrainConfig): Promise<string[]> {
  const paths = runConfigPaths(args);
  if (args.exportTfjsDir) await mkdir(args.exportTfjsDir, { recursive: true });
  if (args.checkpointDir) await mkdir(args.checkpointDir, { recursive: true });
  for (const path of paths) await writeFile(path, runConfigDocument(config));
  return paths;
}

/** "config: RUN.json; the command line overrides epochs 60 -> 1 (--epochs), seed 0 -> 3 (--seed)". */
export function describeOverrides(file: string, overrides: readonly ConfigOverride[]): string {
  if (overrides.length === 0) return `config: ${file} (no flag overrides it)`;
  const list = overrides.map((o) => `${o.path} ${String(o.from)} -> ${String(o.to)} (${o.flag})`);
  return `config: ${file}; the command line overrides ${list.join(', ')}`;
}
