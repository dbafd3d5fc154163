/**
 * A sweep (a list of run configs) as scripts that run it with the PyTorch trainer (`python -m bmm_lab.train`):
 * a bash script of `torchrun` commands, one run after another, and a SLURM array script, one array task per run.
 * Each run's config travels inside the script as the run-config document the trainer reads (`--config`), so the
 * script is all a GPU server needs besides the dataset pack and the `python/` package.
 *
 * Both scripts read four environment variables: DATA (the dataset pack folder; required), OUT (where each run
 * gets its folder, default `runs`), NPROC (GPUs per run, default 1) and TORCHRUN (the launcher command, default
 * `torchrun`; e.g. `python3 -m torch.distributed.run --redirects 1 --tee 1` where torchrun's defaults fail). Each run writes OUT/<name>/ (config,
 * metrics.jsonl, model.safetensors, checkpoint); a run whose folder already holds a checkpoint is resumed
 * (`--resume`), so re-running the script after an interruption finishes the sweep.
 *
 * A `umt` run takes its teachers from the sweep: `--teacher-audio` and `--teacher-visual` name the
 * `model.safetensors` of the sweep's `audio-only` and `visual-only` runs of the same seed and settings
 * (`umtTeachers.ts`) listed before it, so the torchrun script, running the sweep in order, has trained them first;
 * the SLURM script checks that they are there (its tasks run side by side: submit the UMT tasks once the
 * unimodal ones are done). A `umt` run without such runs before it gets no teachers (a comment says so, and
 * the trainer refuses the run).
 */
import type { TrainConfig } from './config';
import { runConfigDocument } from './settingsDocument';
import { isTeacherConfig, TEACHER_BRANCHES, TEACHER_METHODS } from './umtTeachers';

/** A folder name for each run: method-fusion-preset-seedN, with a counter where two runs would collide. */
export function sweepRunNames(configs: readonly TrainConfig[]): string[] {
  const seen = new Map<string, number>();
  return configs.map((c) => {
    const base = `${c.method}-${c.fusion}-${c.preset}-seed${c.seed}`.replace(/[^A-Za-z0-9._-]/g, '_');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

const HEREDOC = 'BMM_LAB_RUN_CONFIG';

/** A `umt` run's teachers in a sweep: the folder names of its audio-only and visual-only runs (before it). */
interface TeacherRuns {
  audio: string | null;
  visual: string | null;
}

/** Per run: its teachers' run names (for `umt` runs; null for other methods). */
export function sweepTeacherRuns(configs: readonly TrainConfig[], names: readonly string[] = sweepRunNames(configs)): (TeacherRuns | null)[] {
  return configs.map((c, i) => {
    if (c.method !== 'umt') return null;
    const find = (branch: 'audio' | 'visual') => {
      // The latest such run before this one (the queue has one per seed).
      for (let j = i - 1; j >= 0; j--) if (isTeacherConfig(configs[j], c, branch)) return names[j];
      return null;
    };
    return { audio: find('audio'), visual: find('visual') };
  });
}

/** The trainer's teacher arguments of a run, and a comment for a teacher the sweep lacks. */
function teacherLines(teachers: TeacherRuns | null): { args: string; comments: string[]; needs: string[] } {
  if (!teachers) return { args: '', comments: [], needs: [] };
  const comments: string[] = [];
  const needs: string[] = [];
  let args = '';
  for (const branch of TEACHER_BRANCHES) {
    const name = teachers[branch];
    if (name === null) comments.push(`# UMT: no ${TEACHER_METHODS[branch]} run of this seed before this one in the sweep; the trainer needs --teacher-${branch}.`);
    else {
      const file = `"$OUT/${name}/model.safetensors"`;
      args += ` --teacher-${branch} ${file}`;
      needs.push(file);
    }
  }
  return { args, comments, needs };
}

function header(kind: string, configs: readonly TrainConfig[], datasetName: string): string[] {
  const withTeachers = configs.some((c) => c.method === 'umt');
  return [
    `# B-MM Lab sweep: ${configs.length} run${configs.length === 1 ? '' : 's'} on "${datasetName.replace(/[\r\n]/g, ' ')}", ${kind}.`,
    '# Needs the lab\'s python/ folder on PYTHONPATH (bmm_lab) and PyTorch; export the dataset from the lab as a pack first.',
    '#   DATA=path/to/pack OUT=runs NPROC=1 ' + (kind.startsWith('SLURM') ? 'sbatch sweep.slurm' : 'bash sweep.sh'),
    'set -euo pipefail',
    'DATA="${DATA:?set DATA to the dataset pack folder}"',
    'OUT="${OUT:-runs}"',
    'NPROC="${NPROC:-1}"',
    'TORCHRUN="${TORCHRUN:-torchrun}"',
    '',
    '# run NAME [ARGS...]: reads the run config on stdin, trains into $OUT/NAME (resuming if a checkpoint is there);',
    '# ARGS go to the trainer (a UMT run\'s teachers).',
    'run() {',
    '  local dir="$OUT/$1"',
    '  shift',
    '  mkdir -p "$dir"',
    '  cat > "$dir/run.json"',
    '  local resume=()',
    '  if [ -f "$dir/checkpoint.pt" ]; then resume=(--resume); fi',
    '  $TORCHRUN --standalone --nproc_per_node "$NPROC" -m bmm_lab.train --config "$dir/run.json" --data "$DATA" --out "$dir" ${resume[@]+"${resume[@]}"} "$@"',
    '}',
    ...(withTeachers
      ? [
          '',
          '# teachers FILE...: a UMT run\'s teacher weights must be there (the unimodal runs of its seed trained first).',
          'teachers() {',
          '  local f',
          '  for f in "$@"; do',
          '    if [ ! -f "$f" ]; then echo "UMT teacher $f is missing: train its run first" >&2; exit 1; fi',
          '  done',
          '}',
        ]
      : []),
    '',
  ];
}

function runBlock(name: string, config: TrainConfig, teachers: TeacherRuns | null, indent = ''): string[] {
  const doc = runConfigDocument(config).trimEnd().split('\n');
  const t = teacherLines(teachers);
  return [
    ...t.comments.map((c) => `${indent}${c}`),
    ...(t.needs.length ? [`${indent}teachers ${t.needs.join(' ')}`] : []),
    `${indent}run ${name}${t.args} <<'${HEREDOC}'`,
    ...doc,
    HEREDOC,
  ];
}

/** A bash script that trains every run of the sweep in turn with torchrun. */
export function torchrunScript(configs: readonly TrainConfig[], datasetName: string): string {
  if (configs.length === 0) throw new Error('a sweep script needs at least one run');
  const names = sweepRunNames(configs);
  const teachers = sweepTeacherRuns(configs, names);
  const lines = ['#!/usr/bin/env bash', ...header('one run after another', configs, datasetName)];
  configs.forEach((c, i) => lines.push(...runBlock(names[i], c, teachers[i]), ''));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A SLURM array script: task i trains run i (GPUs per task from NPROC, default 1). */
export function slurmScript(configs: readonly TrainConfig[], datasetName: string): string {
  if (configs.length === 0) throw new Error('a sweep script needs at least one run');
  const names = sweepRunNames(configs);
  const teachers = sweepTeacherRuns(configs, names);
  const lines = [
    '#!/usr/bin/env bash',
    '#SBATCH --job-name=bmm-lab-sweep',
    `#SBATCH --array=0-${configs.length - 1}`,
    '#SBATCH --nodes=1',
    '#SBATCH --gres=gpu:1',
    '#SBATCH --cpus-per-task=8',
    '#SBATCH --output=bmm-lab-sweep-%A_%a.log',
    ...header('SLURM array, one task per run (set --gres to NPROC GPUs for more)', configs, datasetName),
    'case "${SLURM_ARRAY_TASK_ID:?run this script with sbatch}" in',
  ];
  configs.forEach((c, i) => lines.push(`${i})`, ...runBlock(names[i], c, teachers[i], '  '), '  ;;'));
  lines.push('*) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;', 'esac');
  return `${lines.join('\n')}\n`;
}

/**
 * The same sweep as a grid for `python -m bmm_lab.sweep GRID.json` (format `bmm-lab-sweep`): `base` the config
 * the runs share, `grid` the settings that vary among them (each with its values in order), `data` and `out`
 * as given (relative to GRID.json's folder). The runs must be a full grid over the varying settings; a list that
 * is not (hand-picked configs) is refused, since the grid format cannot say it.
 */
export function sweepGrid(configs: readonly TrainConfig[], options: { data: string; out: string }): string {
  if (configs.length === 0) throw new Error('a sweep grid needs at least one run');
  const flat = configs.map((c) => flatten(c as unknown as Record<string, unknown>));
  const keys = Object.keys(flat[0]);
  const grid: Record<string, unknown[]> = {};
  for (const k of keys) {
    const values: unknown[] = [];
    for (const f of flat) if (!values.some((v) => JSON.stringify(v) === JSON.stringify(f[k]))) values.push(f[k]);
    if (values.length > 1) grid[k] = values;
  }
  const combos = Object.values(grid).reduce((n, v) => n * v.length, 1);
  const distinct = new Set(flat.map((f) => JSON.stringify(Object.keys(grid).map((k) => f[k]))));
  if (combos !== configs.length || distinct.size !== configs.length) {
    throw new Error(`these ${configs.length} runs are not a full grid over ${Object.keys(grid).join(', ') || 'no setting'}; export the torchrun script instead`);
  }
  const base = structuredClone(configs[0]) as unknown as Record<string, unknown>;
  const doc = { format: 'bmm-lab-sweep', version: 1, data: options.data, out: options.out, base, grid };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A config as dotted paths (`bmm.beta`) to values, the way the settings table names them. */
function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, path));
    else out[path] = v;
  }
  return out;
}
