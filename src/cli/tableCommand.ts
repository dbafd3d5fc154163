/**
 * `bmm-lab table RUNS…`: the results table (`src/core/resultsTable.ts`) of runs trained elsewhere, read the way the
 * lab's "Import run" reads them (`src/ui/importRun.ts`). A RUN is
 * - a trainer's output folder: `python -m bmm_lab.train --out DIR` (metrics.jsonl, config.json) or a folder with a
 *   metrics.jsonl and a run.json;
 * - a file of `bmm-lab train --json` lines (the epochs, then `{"summary": …}` with the config), with its config
 *   from the summary or from a run config beside it (`NAME.run.json`, else `run.json`);
 * - a folder of such runs (a sweep's OUT folder): every run folder and metrics file inside it, at any depth.
 * Anything that is not a run, or a broken metrics line, is reported on stderr with the file and skipped; runs that
 * did not finish are said and left out (their "final" is not comparable). Exit code 2 when nothing usable remains.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildResultsTable, formatTable, type TableFormat } from '../core/resultsTable';
import { importRunFolder, type FolderFile } from '../ui/importRun';
import type { RunRecord } from '../ui/run';
import { fsErrorText } from '../data/node/fsErrors';
import type { Output } from './main';

export interface TableArgs {
  command: 'table';
  inputs: string[];
  format: TableFormat;
  /** Write the table here instead of stdout. */
  out: string | null;
}

/** One run to read: its metrics file, and the config beside it when there is one. */
interface RunSource {
  metrics: string;
  config: string | null;
}

const MAX_DEPTH = 6;

function textFile(path: string, as: string): FolderFile {
  return {
    path: as,
    text: async () => readFileSync(path, 'utf8'),
    bytes: async () => new Uint8Array(readFileSync(path)),
  };
}

/** The config beside a metrics file: config.json or run.json in a run folder; NAME.run.json or run.json beside a file. */
function configBeside(metrics: string): string | null {
  const dir = dirname(metrics);
  const stem = basename(metrics).replace(/\.(jsonl|json)$/, '');
  const candidates = basename(metrics) === 'metrics.jsonl' ? ['config.json', 'run.json'] : [`${stem}.run.json`, 'run.json'];
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

/** The runs in a folder: itself when it holds metrics.jsonl, else its .jsonl files and its subfolders' runs. */
function runsInFolder(dir: string, depth: number, io: Output): RunSource[] {
  if (existsSync(join(dir, 'metrics.jsonl'))) return [{ metrics: join(dir, 'metrics.jsonl'), config: configBeside(join(dir, 'metrics.jsonl')) }];
  if (depth >= MAX_DEPTH) return [];
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    io.err(`bmm-lab table: skipped ${dir}: the folder cannot be read (${fsErrorText(e)})`);
    return [];
  }
  const out: RunSource[] = [];
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue;
    }
    if (isDir) out.push(...runsInFolder(p, depth + 1, io));
    else if (name.endsWith('.jsonl')) out.push({ metrics: p, config: configBeside(p) });
  }
  return out;
}

/** Reads one run; null (said on stderr) when it is not a run or a line is broken. */
async function readRun(source: RunSource, id: string, io: Output): Promise<RunRecord | null> {
  // importRunFolder finds the files by name; its messages are put back on the real files' names.
  const alias = `${source.metrics}#/metrics.jsonl`;
  const files = [textFile(source.metrics, alias)];
  const configAlias = source.config ? `${source.metrics}#/${basename(source.config) === 'config.json' ? 'config.json' : 'run.json'}` : null;
  if (source.config && configAlias) files.push(textFile(source.config, configAlias));
  try {
    const { run } = await importRunFolder(files, { id, now: 0 });
    return { ...run, importedFrom: source.metrics };
  } catch (e) {
    let why = e instanceof Error ? e.message : String(e);
    why = why.split(alias).join(source.metrics);
    if (source.config && configAlias) why = why.split(configAlias).join(source.config);
    io.err(`bmm-lab table: skipped ${source.metrics}: ${why}`);
    return null;
  }
}

/** Prints (or writes to --out) the results table of the runs given; 0, or 2 when none is usable. */
export async function runTable(args: TableArgs, io: Output): Promise<number> {
  const sources: RunSource[] = [];
  for (const input of args.inputs) {
    if (!existsSync(input)) {
      io.err(`bmm-lab table: skipped ${input}: no such file or folder`);
      continue;
    }
    if (statSync(input).isDirectory()) {
      const found = runsInFolder(input, 0, io);
      if (found.length === 0) io.err(`bmm-lab table: skipped ${input}: not a run (no metrics.jsonl, and no run inside it)`);
      sources.push(...found);
    } else {
      sources.push({ metrics: input, config: configBeside(input) });
    }
  }
  const seen = new Set<string>();
  const runs: RunRecord[] = [];
  for (const source of sources) {
    const key = resolve(source.metrics);
    if (seen.has(key)) continue;
    seen.add(key);
    const run = await readRun(source, `run-${seen.size}`, io);
    if (!run) continue;
    if (run.status !== 'done') {
      io.err(`bmm-lab table: left out ${source.metrics}: it stopped after epoch ${run.epochs[run.epochs.length - 1].epoch} of ${run.config.epochs}`);
      continue;
    }
    runs.push(run);
  }
  if (runs.length === 0) {
    io.err('bmm-lab table: no finished run among the inputs; give run folders (metrics.jsonl and config.json) or bmm-lab train --json output files');
    return 2;
  }
  const text = formatTable(buildResultsTable(runs), args.format);
  if (args.out) {
    writeFileSync(args.out, text);
    io.err(`wrote ${args.out} (${runs.length} run${runs.length === 1 ? '' : 's'})`);
  } else {
    io.out(text.replace(/\n$/, ''));
  }
  return 0;
}
