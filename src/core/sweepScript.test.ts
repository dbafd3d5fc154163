import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from './config';
import { readRunConfig } from './settingsDocument';
import { slurmScript, sweepGrid, sweepRunNames, torchrunScript } from './sweepScript';
import { runPython, skipWithoutTorch } from '../../test/support/pythonReference';

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
  writeFileSync(join(bin, 'torchrun'), `#!/usr/bin/env bash\necho "$*" >> "${dir}/calls.log"\n`);
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

  it('needs at least one run', () => {
    expect(() => torchrunScript([], 'demo')).toThrow(/at least one run/);
    expect(() => slurmScript([], 'demo')).toThrow(/at least one run/);
  });
});
