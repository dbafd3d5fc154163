/**
 * `npm run study`: the B-MM study. Trains ERM, MM and each B-MM reading on two synthetic sets built differently
 * (the demo: tone bands + stripe orientation; pulses: pulse counts + disk position), several seeds each, and writes
 * docs/bmm-study.md (a readable table) and .bench/study.json (every epoch of every run).
 *
 * Per run and head: test accuracy as the mean of the last 3 epochs; across seeds the mean ± std of that. "Worst
 * drop": the largest fall of fused test accuracy in an epoch after the warm-up below the last warm-up epoch's.
 *
 * The default scale fits about 40 minutes on two cores: the tiny preset's spectrogram (33 x 24) with 64 px frames,
 * width 0.25, 40 train and 40 test clips per class (240 / 240), 15 epochs, seeds 0-2, seven readings.
 *
 * Options: --preset tiny|fast (tiny) --width X (0.25) --visual-size S (64) --epochs N (15) --seeds 0,1,2
 *          --sets demo,pulses --train-per-class N (40) --test-per-class N (40)
 *          --readings name,name | all (default: ${DEFAULT_READINGS}) --out docs/bmm-study.md
 *          --merge a.json,b.json (no training: one report from the .bench/*.json of runs made side by side)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { makeConfig, type TrainConfig } from '../src/core/config';
import type { Dataset } from '../src/core/dataset';
import type { EpochMetrics } from '../src/core/events';
import { TrainingSession } from '../src/core/session';
import { DEFAULT_DEMO_OPTIONS, demoOptionsFor, makeDemoDataset, type DemoOptions } from '../src/data/demo';
import { makePulsesDataset } from '../src/data/pulses';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const preset = arg('preset', 'tiny') as TrainConfig['preset'];
const epochs = Number(arg('epochs', '15'));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const sets = arg('sets', 'demo,pulses').split(',');
const out = arg('out', join('docs', 'bmm-study.md'));

/** The readings compared: name, what it is, and the settings it changes. */
const READINGS: { name: string; what: string; config: Parameters<typeof makeConfig>[0] }[] = [
  { name: 'erm', what: 'plain concat (ERM)', config: { method: 'erm' } },
  { name: 'bmm-lab', what: "B-MM with the lab's defaults (precise BN statistics, maxM 0.5)", config: { method: 'bmm' } },
  { name: 'bmm-running', what: "the lab's defaults with running BN statistics", config: { method: 'bmm', bnStats: 'running' } },
  { name: 'mm', what: 'MM, alpha 0.5', config: { method: 'mm' } },
  { name: 'bmm-paper', what: 'B-MM as the paper reads: zero-masked unimodal heads, m unbounded, last rho, running BN statistics', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0 }, unimodal: 'zero', bnStats: 'running' } },
  { name: 'bmm-paper-precise', what: 'the paper reading with precise BN statistics', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0 }, unimodal: 'zero', bnStats: 'precise' } },
  { name: 'bmm-mean', what: 'B-MM, unimodal = mean', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0 }, unimodal: 'mean' } },
  { name: 'bmm-halfbias', what: 'B-MM, unimodal = half-bias', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0 }, unimodal: 'half-bias' } },
  { name: 'bmm-cap', what: 'B-MM, maxM 0.5', config: { method: 'bmm', bmm: { maxM: 0.5, rhoSmoothing: 0 }, unimodal: 'zero' } },
  { name: 'bmm-smooth', what: 'B-MM, rhoSmoothing 0.7', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0.7 }, unimodal: 'zero' } },
  { name: 'bmm-original', what: 'B-MM, targets = original (only the weak input is mixed)', config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0, targets: 'original' }, unimodal: 'zero' } },
  { name: 'bmm-cap25', what: 'B-MM, maxM 0.25', config: { method: 'bmm', bmm: { maxM: 0.25, rhoSmoothing: 0 }, unimodal: 'zero' } },
  { name: 'bmm-beta0.1', what: 'B-MM, beta 0.1', config: { method: 'bmm', bmm: { beta: 0.1, maxM: 1, rhoSmoothing: 0 }, unimodal: 'zero' } },
  { name: 'bmm-ramp2', what: "the lab's defaults with m ramped in over 2 epochs after the warm-up", config: { method: 'bmm', bmm: { ramp: 2 } } },
  { name: 'bmm-ramp2-cap3', what: "the lab's defaults with m ramped in over 2 epochs and at most 0.3", config: { method: 'bmm', bmm: { ramp: 2, maxM: 0.3 } } },
  { name: 'erm-steplr10', what: 'plain concat with StepLR (step 10, gamma 0.1)', config: { method: 'erm', stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'bmm-lab-steplr10', what: "the lab's defaults with StepLR (step 10, gamma 0.1)", config: { method: 'bmm', stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'mm-steplr10', what: 'MM, alpha 0.5, with StepLR (step 10, gamma 0.1)', config: { method: 'mm', stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'bmm-paper-steplr10', what: "the paper's reading with StepLR (step 10, gamma 0.1)", config: { method: 'bmm', bmm: { maxM: 1, rhoSmoothing: 0 }, unimodal: 'zero', bnStats: 'running', stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'bmm-original-steplr10', what: "the lab's defaults with targets = original (only the weak input mixed, own labels) and StepLR (step 10, gamma 0.1)", config: { method: 'bmm', bmm: { targets: 'original' }, stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'bmm-cap25-steplr10', what: "the lab's defaults with maxM 0.25 and StepLR (step 10, gamma 0.1)", config: { method: 'bmm', bmm: { maxM: 0.25 }, stepLr: { step: 10, gamma: 0.1 } } },
  { name: 'bmm-all', what: 'B-MM, unimodal mean + maxM 0.5 + rhoSmoothing 0.7', config: { method: 'bmm', bmm: { maxM: 0.5, rhoSmoothing: 0.7 }, unimodal: 'mean' } },
];
const DEFAULT_READINGS = 'erm,mm,bmm-paper,bmm-mean,bmm-smooth,bmm-cap25,bmm-original';
const wanted = (arg('readings', DEFAULT_READINGS) === 'all' ? READINGS.map((r) => r.name).join(',') : arg('readings', DEFAULT_READINGS)).split(',');
const readings = READINGS.filter((r) => wanted.includes(r.name));

function datasetFor(set: string, config: TrainConfig): Dataset {
  const base = demoOptionsFor(config);
  const options: DemoOptions = {
    ...DEFAULT_DEMO_OPTIONS,
    ...base,
    trainPerClass: Number(arg('train-per-class', '40')),
    testPerClass: Number(arg('test-per-class', '40')),
  } as DemoOptions;
  if (set === 'demo') return makeDemoDataset(options);
  if (set === 'pulses') return makePulsesDataset(options);
  throw new Error(`unknown set "${set}"; use demo or pulses`);
}

interface RunResult {
  set: string;
  reading: string;
  seed: number;
  warmup: number;
  epochs: (Pick<EpochMetrics, 'epoch' | 'loss' | 'testAcc' | 'rho' | 'mix'> & { audio: number; visual: number })[];
  seconds: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x: number) => (100 * x).toFixed(1);

async function runOne(set: string, reading: (typeof READINGS)[number], seed: number): Promise<RunResult> {
  const sizes = {
    width: Number(arg('width', '0.25')),
    visualSize: Number(arg('visual-size', '64')),
  };
  const config = makeConfig({ ...reading.config, preset, ...sizes, epochs, seed, backend: 'wasm', featuresEvery: 0, featuresMax: 0 });
  const dataset = datasetFor(set, config);
  const t0 = Date.now();
  const session = await TrainingSession.create({ config, dataset, keepCurrentBackend: true, checkpointEveryEpoch: false });
  await session.run();
  if (session.state !== 'done') throw new Error(`${set} ${reading.name} seed ${seed}: ${session.error ?? session.state}`);
  const epochsOut = session.metrics.map((m) => ({ epoch: m.epoch, loss: m.loss, testAcc: m.testAcc, audio: m.audio.testAcc, visual: m.visual.testAcc, rho: m.rho, mix: m.mix }));
  session.dispose();
  return { set, reading: reading.name, seed, warmup: config.bmm.warmup, epochs: epochsOut, seconds: (Date.now() - t0) / 1000 };
}

function lastThree(r: RunResult, key: 'testAcc' | 'audio' | 'visual'): number {
  return mean(r.epochs.slice(-3).map((e) => e[key]));
}

/** Largest fall of fused test accuracy after the warm-up below the last warm-up epoch's (B-MM's warm-up for all). */
function worstDrop(r: RunResult): number {
  const w = r.warmup;
  if (w < 1 || r.epochs.length <= w) return 0;
  const ref = r.epochs[w - 1].testAcc;
  return Math.max(0, ...r.epochs.slice(w).map((e) => ref - e.testAcc));
}

/** Largest change of fused test accuracy between consecutive epochs among the last five. */
function lateSwing(r: RunResult): number {
  const late = r.epochs.slice(-5);
  return Math.max(0, ...late.slice(1).map((e, i) => Math.abs(e.testAcc - late[i].testAcc)));
}

async function train(): Promise<{ results: RunResult[]; minutes: number }> {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  await tf.ready();
  const t0 = Date.now();
  const results: RunResult[] = [];
  for (const set of sets) {
    for (const reading of readings) {
      for (const seed of seeds) {
        const r = await runOne(set, reading, seed);
        results.push(r);
        console.log(`${set.padEnd(7)} ${reading.name.padEnd(13)} seed ${seed}: fused ${pct(lastThree(r, 'testAcc'))} audio ${pct(lastThree(r, 'audio'))} visual ${pct(lastThree(r, 'visual'))} worst drop ${pct(worstDrop(r))} (${r.seconds.toFixed(0)} s)`);
      }
    }
  }
  const minutes = (Date.now() - t0) / 60000;
  mkdirSync('.bench', { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ preset, epochs, seeds, sets, minutes, results }, null, 1));
  return { results, minutes };
}

/** `--merge a.json,b.json`: the results of several study runs (e.g. seeds run in parallel), written as one report. */
function merged(files: string[]): { results: RunResult[]; minutes: number } {
  const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { minutes: number; results: RunResult[] });
  return { results: parts.flatMap((p) => p.results), minutes: parts.reduce((a, p) => Math.max(a, p.minutes), 0) };
}

const jsonOut = join('.bench', `${out.replace(/^.*\//, '').replace(/\.md$/, '')}.json`);

async function main(): Promise<void> {
  const mergeFiles = arg('merge', '');
  const { results, minutes } = mergeFiles ? merged(mergeFiles.split(',')) : await train();
  const present = READINGS.filter((r) => results.some((x) => x.reading === r.name));
  const runSeeds = [...new Set(results.map((r) => r.seed))].sort((a, b) => a - b);
  const runSets = sets.filter((set) => results.some((r) => r.set === set));
  const lines: string[] = [];
  lines.push('# B-MM study', '');
  lines.push(
    `Written by \`${['npm run study', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')}\` (bench/study.ts): preset \`${preset}\`, ${epochs} epochs, seeds ${runSeeds.join(', ')}, WebAssembly backend, ${cpus().length} CPU cores, ${minutes.toFixed(1)} minutes${mergeFiles ? ' (the longest of the merged runs, which ran side by side)' : ' in all'}.`,
    'Test accuracy in %: per run the mean of the last 3 epochs, then mean ± std over the seeds. "Worst drop": the largest fall of fused test accuracy',
    'after the warm-up (5 epochs) below the last warm-up epoch\'s, mean over seeds (max in brackets). "Late swing": the largest change of fused test',
    'accuracy between consecutive epochs among the last five, mean over seeds (max in brackets). Per-modality accuracies use each run\'s own unimodal score.',
    'Each reading is averaged over the seeds it was run with (the per-seed lists below).',
    '',
  );
  for (const set of runSets) {
    const opts = datasetFor(set, makeConfig({ preset }));
    lines.push(`## ${set} (${opts.train.size} train / ${opts.test.size} test clips)`, '');
    lines.push('| reading | fused | audio | visual | worst drop | late swing | rho by epoch (mean over seeds) |', '|---|---|---|---|---|---|---|');
    for (const reading of present) {
      const rs = results.filter((r) => r.set === set && r.reading === reading.name);
      if (!rs.length) continue;
      const cell = (key: 'testAcc' | 'audio' | 'visual') => `${pct(mean(rs.map((r) => lastThree(r, key))))} ± ${pct(std(rs.map((r) => lastThree(r, key))))}`;
      const drops = rs.map(worstDrop);
      const swings = rs.map(lateSwing);
      const rho = rs[0].epochs.map((_, i) => mean(rs.map((r) => r.epochs[i].rho)).toFixed(2)).join(' ');
      lines.push(`| ${reading.name}: ${reading.what} | ${cell('testAcc')} | ${cell('audio')} | ${cell('visual')} | ${pct(mean(drops))} (${pct(Math.max(...drops))}) | ${pct(mean(swings))} (${pct(Math.max(...swings))}) | ${rho} |`);
    }
    lines.push('');
    // Each B-MM reading against ERM on the same seed: the issue's goals for the demo.
    const erm = results.filter((r) => r.set === set && r.reading === 'erm');
    const paired = present.filter((r) => r.name.startsWith('bmm') || r.name === 'mm');
    if (erm.length && paired.length) {
      lines.push('Against ERM on the same seed (fused and visual: mean of the last 3 epochs, points):', '');
      lines.push('| reading | seed | fused - ERM | visual - ERM | worst drop |', '|---|---|---|---|---|');
      for (const reading of paired) {
        for (const r of results.filter((x) => x.set === set && x.reading === reading.name)) {
          const base = erm.find((e) => e.seed === r.seed);
          if (!base) continue;
          const d = (key: 'testAcc' | 'visual') => (100 * (lastThree(r, key) - lastThree(base, key))).toFixed(1);
          lines.push(`| ${reading.name} | ${r.seed} | ${d('testAcc')} | ${d('visual')} | ${pct(worstDrop(r))} |`);
        }
      }
      lines.push('');
    }
    lines.push('Fused test accuracy per epoch, seed by seed:', '');
    for (const reading of present) {
      for (const r of results.filter((x) => x.set === set && x.reading === reading.name)) {
        lines.push(`- ${reading.name} seed ${r.seed}: ${r.epochs.map((e) => pct(e.testAcc)).join(' ')}`);
      }
    }
    lines.push('');
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`\nwrote ${out} and ${jsonOut} (${minutes.toFixed(1)} min)`);
}

void main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
