import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from './config';
import { readRunConfig } from './settingsDocument';
import { slurmScript, sweepGrid, sweepRunNames, torchrunScript } from './sweepScript';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';
import { umtTeacherConfig } from './umtTeachers';

const configs = [
  makeConfig({ method: 'erm', seed: 0 }),
  makeConfig({ method: 'bmm', seed: 0, bmm: { maxM: 0.5 } }),
  makeConfig({ method: 'bmm', seed: 0, bmm: { maxM: 0.5 } }),
  makeConfig({ method: 'mm', fusion: 'film', seed: 2, lr: 3e-4 }),
];

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** Runs a script with a fake `torchrun` on PATH that logs its arguments; returns the log lines. */
function runScript(script: string, env: Record<string, string>, makeCheckpoint?: string): { dir: string; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin, join(dir, 'runs')]);
  // Logs its arguments and, as the trainer does, leaves a model.safetensors in the run's --out folder.
  writeFileSync(
    join(bin, 'torchrun'),
    `#!/usr/bin/env bash\necho "$*" >> "${dir}/calls.log"\nwhile [ $# -gt 0 ]; do if [ "$1" = --out ]; then touch "$2/model.safetensors"; fi; shift; done\n`,
  );
  chmodSync(join(bin, 'torchrun'), 0o755);
  writeFileSync(join(bin, 'launcher'), `#!/usr/bin/env bash\necho "launcher $*" >> "${dir}/calls.log"\n`);
  chmodSync(join(bin, 'launcher'), 0o755);
  if (makeCheckpoint) {
    execFileSync('mkdir', ['-p', join(dir, 'runs', makeCheckpoint)]);
    writeFileSync(join(dir, 'runs', makeCheckpoint, 'checkpoint.pt'), '');
  }
  writeFileSync(join(dir, 'sweep.sh'), script);
  execFileSync('bash', [join(dir, 'sweep.sh')], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, OUT: join(dir, 'runs'), ...env }, stdio: 'pipe' });
  const log = join(dir, 'calls.log');
  return { dir, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('sweep scripts', () => {
  it('names runs by method, fusion, preset and seed, unique', () => {
    expect(sweepRunNames(configs)).toEqual(['erm-concat-fast-seed0', 'bmm-concat-fast-seed0', 'bmm-concat-fast-seed0-2', 'mm-film-fast-seed2']);
  });

  it('the torchrun script trains every run with its own config, which reads back equal', () => {
    const { dir, calls } = runScript(torchrunScript(configs, 'demo'), { DATA: '/data/pack', NPROC: '2' });
    const names = sweepRunNames(configs);
    expect(calls).toHaveLength(configs.length);
    names.forEach((name, i) => {
      const runDir = join(dir, 'runs', name);
      expect(calls[i]).toBe(`--standalone --nproc_per_node 2 -m bmm_lab.train --config ${runDir}/run.json --data /data/pack --out ${runDir}`);
      expect(readRunConfig(readFileSync(join(runDir, 'run.json'), 'utf8'), 'run.json')).toEqual(configs[i]);
    });
  });

  it('resumes a run whose folder holds a checkpoint', () => {
    const { calls } = runScript(torchrunScript(configs.slice(0, 2), 'demo'), { DATA: 'pack' }, 'bmm-concat-fast-seed0');
    expect(calls[0]).not.toContain('--resume');
    expect(calls[1]).toMatch(/--nproc_per_node 1 .* --resume$/);
  });

  it('runs another launcher when TORCHRUN names one, with its own arguments', () => {
    const { calls } = runScript(torchrunScript(configs.slice(0, 1), 'demo'), { DATA: 'pack', TORCHRUN: 'launcher --redirects 1' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^launcher --redirects 1 --standalone --nproc_per_node 1 -m bmm_lab\.train --config /);
  });

  it('refuses to start without DATA, naming it', () => {
    expect(() => runScript(torchrunScript(configs, 'demo'), {})).toThrow(/set DATA to the dataset pack folder/);
  });

  it('the SLURM array script runs the task of its array index only', () => {
    const script = slurmScript(configs, 'demo');
    expect(script).toContain('#SBATCH --array=0-3');
    const { dir, calls } = runScript(script, { DATA: 'pack', SLURM_ARRAY_TASK_ID: '3' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain(`--out ${join(dir, 'runs', 'mm-film-fast-seed2')}`);
    expect(readRunConfig(readFileSync(join(dir, 'runs', 'mm-film-fast-seed2', 'run.json'), 'utf8'), 'run.json')).toEqual(configs[3]);
    expect(() => runScript(script, { DATA: 'pack', SLURM_ARRAY_TASK_ID: '4' })).toThrow(/no run for array task 4/);
  });

  it('a seeds x methods sweep exports as a grid that python -m bmm_lab.sweep expands to the same runs', () => {
    const base = makeConfig({ fusion: 'sum', epochs: 3, bmm: { maxM: 0.5 } });
    const runs = ['erm', 'bmm'].flatMap((method) => [0, 1, 2].map((seed) => ({ ...base, method: method as 'erm' | 'bmm', seed })));
    const doc = JSON.parse(sweepGrid(runs, { data: 'pack', out: 'runs' }));
    expect(doc.grid).toEqual({ method: ['erm', 'bmm'], seed: [0, 1, 2] });
    expect(doc.base.fusion).toBe('sum');
    expect(() => sweepGrid(runs.slice(0, 5), { data: 'p', out: 'o' })).toThrow(/not a full grid over method, seed/);
    if (skipWithoutTorch()) return;
    const dir = mkdtempSync(join(tmpdir(), 'grid-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'grid.json'), sweepGrid(runs, { data: 'pack', out: 'runs' }));
    const planned = runPython(['-m', 'bmm_lab.sweep', join(dir, 'grid.json'), '--dry-run']).trim().split('\n').map((l) => JSON.parse(l));
    expect(planned.map((p) => p.run)).toEqual(['method=erm,seed=0', 'method=erm,seed=1', 'method=erm,seed=2', 'method=bmm,seed=0', 'method=bmm,seed=1', 'method=bmm,seed=2']);
    expect(planned.every((p) => p.action === 'run')).toBe(true);
  });

  it('gives a UMT run the model.safetensors of the audio-only and visual-only runs of its seed before it as teachers', () => {
    const umt0 = makeConfig({ method: 'umt', preset: 'tiny', seed: 0 });
    const umt1 = { ...umt0, seed: 1 };
    const sweep = [
      umtTeacherConfig(umt0, 'audio'),
      // Another audio-only run of seed 0 (another lr): not UMT's teacher.
      { ...umtTeacherConfig(umt0, 'audio'), lr: 0.5 },
      umtTeacherConfig(umt0, 'visual'),
      umt0,
      umtTeacherConfig(umt1, 'audio'),
      // Seed 1's visual-only run comes after its UMT run: the script cannot use it.
      umt1,
      umtTeacherConfig(umt1, 'visual'),
    ];
    const names = sweepRunNames(sweep);
    expect(names).toEqual([
      'audio-only-concat-tiny-seed0',
      'audio-only-concat-tiny-seed0-2',
      'visual-only-concat-tiny-seed0',
      'umt-concat-tiny-seed0',
      'audio-only-concat-tiny-seed1',
      'umt-concat-tiny-seed1',
      'visual-only-concat-tiny-seed1',
    ]);
    const script = torchrunScript(sweep, 'demo');
    expect(script).toContain(
      `teachers "$OUT/audio-only-concat-tiny-seed0/model.safetensors" "$OUT/visual-only-concat-tiny-seed0/model.safetensors"\n` +
        `run umt-concat-tiny-seed0 --teacher-audio "$OUT/audio-only-concat-tiny-seed0/model.safetensors" --teacher-visual "$OUT/visual-only-concat-tiny-seed0/model.safetensors" <<'BMM_LAB_RUN_CONFIG'\n`,
    );
    expect(script).toContain("# UMT: no visual-only run of this seed before this one in the sweep; the trainer needs --teacher-visual.\n");
    const { dir, calls } = runScript(script, { DATA: 'pack' });
    // In the sweep's order, so the teachers are trained before their UMT run.
    expect(calls).toHaveLength(sweep.length);
    const runDir = (name: string) => join(dir, 'runs', name);
    expect(calls[3]).toBe(
      `--standalone --nproc_per_node 1 -m bmm_lab.train --config ${runDir(names[3])}/run.json --data pack --out ${runDir(names[3])} ` +
        `--teacher-audio ${runDir(names[0])}/model.safetensors --teacher-visual ${runDir(names[2])}/model.safetensors`,
    );
    expect(calls[5]).toBe(`--standalone --nproc_per_node 1 -m bmm_lab.train --config ${runDir(names[5])}/run.json --data pack --out ${runDir(names[5])} --teacher-audio ${runDir(names[4])}/model.safetensors`);
    for (const i of [0, 1, 2, 4, 6]) expect(calls[i]).not.toContain('--teacher');
    expect(readRunConfig(readFileSync(join(runDir(names[3]), 'run.json'), 'utf8'), 'run.json')).toEqual(umt0);
    // A sweep without UMT has no teachers helper.
    expect(torchrunScript(configs, 'demo')).not.toContain('teachers()');
  });

  it('the SLURM task of a UMT run refuses to start before its teachers are trained', () => {
    const umt0 = makeConfig({ method: 'umt', preset: 'tiny', seed: 0 });
    const script = slurmScript([umtTeacherConfig(umt0, 'audio'), umtTeacherConfig(umt0, 'visual'), umt0], 'demo');
    expect(() => runScript(script, { DATA: 'pack', SLURM_ARRAY_TASK_ID: '2' })).toThrow(/UMT teacher \S+\/audio-only-concat-tiny-seed0\/model\.safetensors is missing: train its run first/);
    const { dir } = runScript(script, { DATA: 'pack', SLURM_ARRAY_TASK_ID: '0' });
    // With the teachers there (the trainer's folders in OUT), the task trains UMT on them.
    const runs = join(dir, 'runs');
    execFileSync('bash', ['-c', `cd "$1" && DATA=pack OUT="$2" SLURM_ARRAY_TASK_ID=1 PATH="$3:$PATH" bash sweep.sh && DATA=pack OUT="$2" SLURM_ARRAY_TASK_ID=2 PATH="$3:$PATH" bash sweep.sh`, 'x', dir, runs, join(dir, 'bin')]);
    const calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls).toHaveLength(3);
    expect(calls[2]).toContain(`--teacher-audio ${runs}/audio-only-concat-tiny-seed0/model.safetensors --teacher-visual ${runs}/visual-only-concat-tiny-seed0/model.safetensors`);
  });

  it('needs at least one run', () => {
    expect(() => torchrunScript([], 'demo')).toThrow(/at least one run/);
    expect(() => slurmScript([], 'demo')).toThrow(/at least one run/);
  });
});
