import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { CSV_COLUMNS } from '../core/resultsTable';
import { runConfigDocument } from '../core/settingsDocument';
import { metricsLines, writeJsonOutput, writeRunFolder } from '../../test/support/runFolders';
import { main, type Output } from './main';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const erm = (seed: number) => makeConfig({ method: 'erm', seed, epochs: 2, preset: 'tiny' });

/** A sweep folder: two ERM seeds as trainer folders, B-MM as a --json file with a run.json beside it. */
function sweep(): string {
  const root = mkdtempSync(join(tmpdir(), 'bmm-table-'));
  const runs = join(root, 'runs');
  writeRunFolder(runs, 'erm-seed0', erm(0), { dataset: 'CREMA-D' });
  writeRunFolder(runs, 'erm-seed1', erm(1), { dataset: 'CREMA-D' });
  const bmm = makeConfig({ method: 'bmm', seed: 0, epochs: 2, preset: 'tiny' });
  writeJsonOutput(join(runs, 'bmm.jsonl'), bmm, { dataset: 'CREMA-D', testAcc: (e) => 0.6 + 0.05 * e });
  return root;
}

describe('bmm-lab table', () => {
  it('prints the Markdown table of a sweep folder: mean ± std (n), the paper beside, the rule', async () => {
    const root = sweep();
    const io = capture();
    expect(await main(['table', join(root, 'runs')], io)).toBe(0);
    const text = io.lines.join('\n');
    // The runs name no pair (written before branch kinds): audio + RGB.
    expect(text).toMatch(/^\| Method \| CREMA-D best \| CREMA-D final \| CREMA-D Audio \| CREMA-D RGB \| CREMA-D paper \|$/m);
    expect(text).toContain('| Concat | 50.5 ± 0.7 (2) | 50.5 ± 0.7 (2) | 40.5 ± 0.7 (2) | 30.5 ± 0.7 (2) | 60.62 |');
    expect(text).toContain('| Concat + B-MM | 70.0 (1) | 70.0 (1) | 60.0 (1) | 50.0 (1) | 69.22 |');
    expect(text).toContain('| Concat + G-Blending | – | – | – | – | 67.34 |');
    expect(text).toContain('| Concat + ATF (not in the lab) | – | – | – | – | 64.25 |');
    expect(text).toContain('best: best test epoch (no validation split: optimistic)');
    expect(io.errors).toEqual([]);
  });

  it('reports bad inputs with the file and skips them; unfinished runs are left out', async () => {
    const root = sweep();
    const broken = join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'metrics.jsonl'), `${metricsLines(erm(2))[0]}\n{"epoch": 2, "loss": 1,\n`);
    writeFileSync(join(broken, 'config.json'), runConfigDocument(erm(2)));
    const badField = join(root, 'bad-field');
    writeRunFolder(root, 'bad-field', erm(3), { dataset: 'CREMA-D' });
    writeFileSync(join(badField, 'metrics.jsonl'), metricsLines(erm(3))[0].replace('"testAcc":', '"testAcc":"x","_":'));
    const notRun = join(root, 'notes');
    mkdirSync(notRun);
    writeFileSync(join(notRun, 'readme.txt'), 'hello');
    const stopped = writeRunFolder(root, 'stopped', erm(4), { dataset: 'CREMA-D', epochs: 1 });
    const io = capture();
    expect(await main(['table', join(root, 'runs'), broken, badField, notRun, stopped, join(root, 'missing')], io)).toBe(0);
    expect(io.errors).toEqual([
      `bmm-lab table: skipped ${notRun}: not a run (no metrics.jsonl, and no run inside it)`,
      `bmm-lab table: skipped ${join(root, 'missing')}: no such file or folder`,
      `bmm-lab table: skipped ${join(broken, 'metrics.jsonl')}: ${join(broken, 'metrics.jsonl')} line 2: not JSON`,
      `bmm-lab table: skipped ${join(badField, 'metrics.jsonl')}: ${join(badField, 'metrics.jsonl')} line 1: "testAcc" must be a number, got "x"`,
      `bmm-lab table: left out ${join(stopped, 'metrics.jsonl')}: it stopped after epoch 1 of 2`,
    ]);
    // The good runs still make the table.
    expect(io.lines.join('\n')).toContain('| Concat | 50.5 ± 0.7 (2) |');
  });

  it('writes CSV and LaTeX with --format and --out', async () => {
    const root = sweep();
    const io = capture();
    const out = join(root, 'table.csv');
    expect(await main(['table', join(root, 'runs'), '--format', 'csv', '--out', out], io)).toBe(0);
    expect(io.lines).toEqual([]);
    expect(io.errors).toEqual([`wrote ${out} (3 runs)`]);
    const csv = readFileSync(out, 'utf8').split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toContain('erm,concat,Concat,,true,CREMA-D,CREMA-D,0 1,2,tiny,2,50.5,0.7071,50.5,0.7071,40.5,0.7071,30.5,0.7071,test,60.62,paper,audio+rgb');
    const tex = capture();
    expect(await main(['table', join(root, 'runs', 'bmm.jsonl'), '--format', 'latex'], tex)).toBe(0);
    expect(tex.lines.join('\n')).toContain('Concat + B-MM & 70.0 (1) & 70.0 (1) & 60.0 (1) & 50.0 (1) & 69.22 \\\\');
    expect(tex.lines.join('\n')).toContain('\\toprule');
  });

  it('reads a --json file whose config is only in a run.json beside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bmm-table-'));
    const config = makeConfig({ method: 'ogm-ge', seed: 0, epochs: 2, preset: 'tiny', ogm: { mode: 'ogm' } });
    writeFileSync(join(root, 'train.jsonl'), metricsLines(config).join('\n'));
    writeFileSync(join(root, 'train.run.json'), runConfigDocument(config));
    const io = capture();
    expect(await main(['table', join(root, 'train.jsonl')], io)).toBe(0);
    expect(io.lines.join('\n')).toContain('| Concat + OGM | 50.0 (1) |');
    expect(io.lines.join('\n')).toContain('| Method | imported best |');
  });

  it('exits 2 when nothing is usable, and on a bad format', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bmm-table-'));
    const io = capture();
    expect(await main(['table', root], io)).toBe(2);
    expect(io.errors.at(-1)).toMatch(/^bmm-lab table: no finished run among the inputs/);
    const bad = capture();
    expect(await main(['table', root, '--format', 'html'], bad)).toBe(2);
    expect(bad.errors).toEqual(['bmm-lab: --format "html" is not known; allowed values: csv, md, latex']);
    const none = capture();
    expect(await main(['table'], none)).toBe(2);
    expect(none.errors[0]).toMatch(/^bmm-lab: table needs at least one run folder or file/);
  });
});
