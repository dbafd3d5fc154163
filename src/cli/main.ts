/**
 * `bmm-lab` command line: trains on the demo dataset, a dataset pack or a dataset folder (decoded as the page does)
 * with the same TrainingSession the browser worker uses (optionally writing a per-step trace, and the run config
 * beside its outputs), writes a folder or the demo as a pack, evaluates exported weights, and prints the results
 * table of runs trained elsewhere (`bmm-lab table`).
 * Exit codes: 0 success, 1 a failed run, 2 bad usage or config.
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGpu as installWebGpuForNode } from '../core/webgpu/nodeWebGpu';
import { startWasmThreads } from './wasmThreads';
import { checkCheckpoint, type Checkpoint } from '../core/checkpoint';
import { ConfigError, setSetting, validateConfig, type TrainConfig } from '../core/config';
import type { Dataset } from '../core/dataset';
import type { EpochMetrics } from '../core/events';
import { TrainingSession } from '../core/session';
import { demoOptionsFor, makeDemoDataset } from '../data/demo';
import { PackError, readPack } from '../data/pack';
import { fsErrorText } from '../data/node/fsErrors';
import { parseArgs, USAGE, UsageError, type EvalArgs, type PackArgs, type TrainArgs } from './args';
import { CHECKPOINT_BIN, CHECKPOINT_JSON, readCheckpointFolder, writeCheckpointFolder } from './checkpointFiles';
import { batchBeyondMeasured, isOutOfMemory, memoryAdvice } from './memoryLimits';
import { checkInputFile, checkInputFolder, checkOutputFile, checkOutputFolder } from './pathChecks';
import { runEval } from './evalCommand';
import { runTable } from './tableCommand';
import { loadFolder } from './folderData';
import { writePackFolder } from './packFiles';
import type { ProgressSink } from './progressBar';
import { TrainProgress } from './trainProgress';
import { describeOverrides, runConfigPaths, writeRunConfigs } from './runConfigFiles';
import { exportSessionFiles, importWeightsFile } from './weightsFiles';
import { branchWord, hasSpectrogram, pairName, type ModalityPair } from '../core/modalities';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where the decode progress bar goes (stderr, redrawn in place on a terminal); absent: plain lines via `err`. */
  progress?: ProgressSink;
  /** Calls `handler` on the first interrupt (Ctrl-C) until the returned function is called; absent: none. */
  onInterrupt?: (handler: () => void) => () => void;
}

const stdio: Output = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  progress: { isTTY: process.stderr.isTTY === true, write: (text) => process.stderr.write(text) },
  onInterrupt: (handler) => {
    // The first Ctrl-C stops after the batch in hand; a second one ends the process as usual.
    const once = () => {
      process.removeListener('SIGINT', once);
      handler();
    };
    process.on('SIGINT', once);
    return () => process.removeListener('SIGINT', once);
  },
};

/** Rounds for JSON output: keeps lines short without losing what matters. */
function r(x: number, digits = 6): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

export function epochJson(m: EpochMetrics): Record<string, unknown> {
  return {
    epoch: m.epoch,
    loss: r(m.loss),
    trainAcc: r(m.trainAcc),
    testAcc: r(m.testAcc),
    audio: { trainAcc: r(m.audio.trainAcc), testAcc: r(m.audio.testAcc) },
    visual: { trainAcc: r(m.visual.trainAcc), testAcc: r(m.visual.testAcc) },
    rho: r(m.rho),
    mix: m.mix === null ? null : r(m.mix),
    samplesPerSec: r(m.samplesPerSec, 4),
    seconds: r(m.seconds, 4),
  };
}

function pct(x: number): string {
  return (100 * x).toFixed(1).padStart(5);
}

/** One epoch as a line, each branch called by its kind (`rgb 40.0/35.0  flow 30.0/25.0`: train/test accuracy). */
export function epochLine(m: EpochMetrics, pair: ModalityPair): string {
  const [a, v] = [branchWord(pair, 'audio'), branchWord(pair, 'visual')];
  return (
    `epoch ${String(m.epoch).padStart(3)}  loss ${m.loss.toFixed(4)}  acc train ${pct(m.trainAcc)} test ${pct(m.testAcc)}  ` +
    `${a} ${pct(m.audio.trainAcc)}/${pct(m.audio.testAcc)}  ${v} ${pct(m.visual.trainAcc)}/${pct(m.visual.testAcc)}  ` +
    `rho ${m.rho.toFixed(3)}  mix ${m.mix === null ? '  -  ' : m.mix.toFixed(3)}  ${m.samplesPerSec.toFixed(1)} clips/s  ${m.seconds.toFixed(1)} s`
  );
}

/**
 * The dataset to train on, and the config: a pack's input sizes replace the preset's (a pack's clips are the inputs
 * as stored); a folder is decoded at the preset's sizes, as the page decodes it.
 */
async function loadTrainData(args: TrainArgs, io: Output): Promise<{ dataset: Dataset; config: TrainConfig; label: string }> {
  if (args.dataset.kind === 'demo') return { dataset: makeDemoDataset(demoOptionsFor(args.config)), config: args.config, label: 'demo' };
  const dir = args.dataset.dir;
  checkInputFolder('--data', dir, 'a dataset pack with pack.json, or a dataset folder');
  if (!existsSync(join(dir, 'pack.json'))) {
    const folder = await loadFolder(dir, args.config.preset, args.decode, io, '--data');
    return { dataset: folder.dataset, config: args.config, label: folder.label };
  }
  const pack = await readPackDir(dir);
  const inputs = pack.inputs;
  // A pack without a spectrogram (RGB + flow) fixes only the frames' sizes.
  const sizes = {
    ...(hasSpectrogram(inputs.modalities) ? { audioHeight: inputs.audioHeight, audioWidth: inputs.audioWidth } : {}),
    visualSize: inputs.visualSize,
    frames: inputs.frames,
  };
  let config = args.config;
  const differs: string[] = [];
  for (const [key, value] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
    if (config[key] === value) continue;
    if (args.explicit.has(key)) {
      throw new ConfigError(key, `--${key} ${config[key]} disagrees with the pack in ${dir} (${key} ${value}); the model takes a pack's inputs as stored: drop --${key} or write the pack at that size`);
    }
    differs.push(`${key} ${config[key]} -> ${value}`);
    config = setSetting(config, key, value);
  }
  if (differs.length) io.err(`note: preset ${config.preset}'s input sizes differ from the pack's; the model takes the pack's (${differs.join(', ')})`);
  return { dataset: pack.dataset, config: validateConfig(config), label: `pack ${dir}` };
}

async function readPackDir(dir: string) {
  try {
    return await readPack((name) => readFile(join(dir, name)), basename(resolve(dir)));
  } catch (e) {
    if (e instanceof PackError) throw new UsageError(`--data ${dir}: ${e.message}`);
    throw e;
  }
}

/**
 * Refuses, before any data is read or any training starts, inputs that are missing or unreadable and outputs whose
 * folder is missing or not writable (a run is never lost to a typo at its end): --export, --trace, --export-tfjs,
 * --checkpoint and the run configs beside them; --weights, --data and the --resume checkpoint.
 */
function checkTrainPaths(args: TrainArgs): void {
  if (args.exportPath !== null) checkOutputFile('--export', args.exportPath);
  if (args.tracePath !== null) checkOutputFile('--trace', args.tracePath);
  if (args.exportTfjsDir !== null) checkOutputFolder('--export-tfjs', args.exportTfjsDir);
  if (args.checkpointDir !== null) checkOutputFolder('--checkpoint', args.checkpointDir);
  if (args.weightsPath !== null) checkInputFile('--weights', args.weightsPath);
  if (args.teachers) {
    checkInputFile('--teacher-audio', args.teachers.audio);
    checkInputFile('--teacher-visual', args.teachers.visual);
  }
  if (args.dataset.kind === 'dir') checkInputFolder('--data', args.dataset.dir, 'a dataset pack with pack.json, or a dataset folder');
  if (args.resume && args.checkpointDir !== null) {
    checkInputFile('--resume', join(args.checkpointDir, CHECKPOINT_JSON), 'checkpoint');
    checkInputFile('--resume', join(args.checkpointDir, CHECKPOINT_BIN), 'checkpoint');
  }
  for (const path of runConfigPaths(args)) {
    if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`the run config ${path} would replace a folder; move it or choose other output names`);
  }
}

/** The checkpoint `--resume` continues from, checked against the config and the dataset. */
async function resumeCheckpoint(args: TrainArgs, config: TrainConfig, dataset: Dataset): Promise<Checkpoint | undefined> {
  if (!args.resume || args.checkpointDir === null) return undefined;
  let ckpt: Checkpoint;
  try {
    ckpt = await readCheckpointFolder(args.checkpointDir);
  } catch (e) {
    throw new UsageError(`--resume: ${(e as { code?: string }).code ? `the checkpoint in ${args.checkpointDir} cannot be read (${fsErrorText(e)})` : e instanceof Error ? e.message : String(e)}`);
  }
  try {
    checkCheckpoint(ckpt, config, dataset);
  } catch (e) {
    throw new UsageError(`--resume: ${join(args.checkpointDir, CHECKPOINT_JSON)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (ckpt.epoch >= config.epochs) throw new UsageError(`--resume: the checkpoint in ${args.checkpointDir} has all ${ckpt.epoch} epochs already; give more with --epochs N`);
  return ckpt;
}

/** What to do after a failed run: the checkpoint to resume from, and for memory, the batch that fits. */
export function failureAdvice(args: Pick<TrainArgs, 'checkpointDir'>, config: TrainConfig, backend: string, error: string, epochsDone: number): string[] {
  const out: string[] = [];
  if (isOutOfMemory(error)) out.push(memoryAdvice(config, backend));
  if (args.checkpointDir !== null && epochsDone > 0) {
    out.push(`the checkpoint of epoch ${epochsDone} is in ${args.checkpointDir}: continue with the same command and --resume (flags such as --batch override its settings)`);
  } else if (args.checkpointDir !== null) {
    out.push(`no epoch completed, so there is no checkpoint to resume yet; run again (with --resume once ${args.checkpointDir} has one)`);
  } else {
    out.push('add --checkpoint DIR to keep a checkpoint of every epoch, so a failed run can go on with --resume');
  }
  return out;
}

async function train(args: TrainArgs, io: Output): Promise<number> {
  checkTrainPaths(args);
  if (args.configFile) {
    const note = describeOverrides(args.configFile.path, args.configFile.overrides);
    if (args.json) io.err(note);
    else io.out(note);
  }
  const { dataset, config, label } = await loadTrainData(args, io);
  const checkpoint = await resumeCheckpoint(args, config, dataset);
  // In Node `auto` is WebAssembly; its 4 GB is what the measured batches are about.
  const tooBig = config.backend === 'wasm' || config.backend === 'auto' ? batchBeyondMeasured(config) : null;
  if (tooBig) io.err(`warning: ${tooBig}`);
  if (config.backend === 'webgpu') await installNodeWebGpu(io);
  if (args.threads > 1) await startWasmThreads(args.threads);
  const trace = args.tracePath ? createWriteStream(args.tracePath, checkpoint ? { flags: 'a' } : {}) : null;
  const teachers = args.teachers
    ? {
        audio: { name: args.teachers.audio, bytes: new Uint8Array(await readFile(args.teachers.audio)) },
        visual: { name: args.teachers.visual, bytes: new Uint8Array(await readFile(args.teachers.visual)) },
      }
    : undefined;
  const session = await TrainingSession.create({ config, dataset, checkpoint, teachers, onStep: trace ? (record) => trace.write(`${JSON.stringify(record)}\n`) : undefined });
  // Checkpoints are written one after the other; a failed write is said and training goes on.
  let saving: Promise<void> = Promise.resolve();
  let stopInterrupts: (() => void) | null = null;
  try {
    if (args.weightsPath) await importWeightsFile(session, args.weightsPath);
    if (!args.json) {
      io.out(`backend: ${session.backend.reason}`);
      const held = session.validationSize > 0 ? ` (${session.validationSize} of them held out for validation)` : '';
      const pair = dataset.modalities;
      io.out(`dataset: ${label}, ${dataset.classNames.length} classes, ${dataset.train.size} train${held} / ${dataset.test.size} test clips`);
      io.out(`modalities: ${pairName(pair)} (rho = s_${branchWord(pair, 'audio')} / s_${branchWord(pair, 'visual')}; rho > 1: ${branchWord(pair, 'audio')} stronger)`);
      io.out(`config: method ${config.method}, fusion ${config.fusion}, preset ${config.preset}, width ${config.width}, batch ${config.batch}, lr ${config.lr}, seed ${config.seed}`);
    }
    for (const f of await writeRunConfigs(args, session.config)) if (!args.json) io.out(`wrote ${f}`);
    if (checkpoint && !args.json) io.out(`resuming from ${args.checkpointDir} after epoch ${checkpoint.epoch}`);
    const checkpointDir = args.checkpointDir;
    const bar = io.progress ? new TrainProgress(io.progress, config.epochs, config.bnStats === 'precise', session.epoch, config.valSplit > 0) : null;
    stopInterrupts = io.onInterrupt?.(() => {
      bar?.markStopping();
      if (!bar) io.err('stopping… (the batch or evaluation pass in hand finishes first; the epochs done are kept)');
      void session.stop();
    }) ?? null;
    session.on((e) => {
      bar?.update(e);
      if (e.type === 'epoch') {
        io.out(args.json ? JSON.stringify(epochJson(e.metrics)) : epochLine(e.metrics, dataset.modalities));
        if (checkpointDir !== null) {
          saving = saving.then(async () => {
            try {
              await writeCheckpointFolder(checkpointDir, await session.checkpoint());
            } catch (err) {
              io.err(`warning: could not write the checkpoint of epoch ${e.metrics.epoch} to ${checkpointDir} (${fsErrorText(err)}); training goes on`);
            }
          });
        }
      } else if (e.type === 'error') io.err(`error: ${e.message}`);
    });
    await session.run();
    bar?.clear();
    await saving;
    if (session.state === 'error' && session.error) for (const line of failureAdvice(args, config, session.backend.name, session.error, session.epoch)) io.err(`note: ${line}`);
    const summary = session.summary(session.state !== 'done');
    if (args.exportPath || args.exportTfjsDir) {
      const written = await exportSessionFiles(session, args.exportPath, args.exportTfjsDir);
      if (!args.json) for (const f of written) io.out(`wrote ${f}`);
    }
    const zero = { fused: 0, audio: 0, visual: 0 };
    const { best, final } = summary.results ?? { best: zero, final: zero };
    if (args.json) {
      io.out(
        JSON.stringify({
          summary: {
            config: session.config,
            backend: summary.backend,
            dataset: summary.dataset,
            modalities: dataset.modalities,
            classNames: summary.classNames,
            epochs: summary.epochs,
            bestTestAcc: r(best.fused),
            bestRule: summary.results?.rule ?? null,
            finalTestAcc: r(final.fused),
            best: { fused: r(best.fused), audio: r(best.audio), visual: r(best.visual) },
            final: { fused: r(final.fused), audio: r(final.audio), visual: r(final.visual) },
            error: session.error,
          },
        }),
      );
    } else {
      const rule = summary.results?.rule === 'validation' ? ' (at the best validation epoch)' : '';
      const [a, v] = [branchWord(dataset.modalities, 'audio'), branchWord(dataset.modalities, 'visual')];
      io.out(`best test accuracy ${pct(best.fused)} %${rule}, final ${pct(final.fused)} % (${a} ${pct(final.audio)} %, ${v} ${pct(final.visual)} %)`);
    }
    return session.state === 'error' ? 1 : 0;
  } finally {
    stopInterrupts?.();
    await saving;
    session.dispose();
    if (trace) await new Promise<void>((done) => trace.end(done));
  }
}

/**
 * `bmm-lab pack`: a dataset folder decoded at the preset's sizes (clip ids from the plan), or the demo dataset of the
 * settings at the model's input sizes, written as a pack with `frames` frames per clip.
 */
async function pack(args: PackArgs, io: Output): Promise<number> {
  const { config } = args;
  let dataset: Dataset;
  let clipIds: { train: string[]; test: string[] } | undefined;
  checkOutputFolder('--out', args.out);
  if (args.source !== null) {
    if (!existsSync(args.source) || !statSync(args.source).isDirectory()) throw new UsageError(`pack ${args.source}: no such folder`);
    checkInputFolder('pack', args.source, 'a dataset folder');
    if (existsSync(join(args.source, 'pack.json'))) throw new UsageError(`pack ${args.source}: is already a dataset pack (it has pack.json)`);
    const folder = await loadFolder(args.source, config.preset, args.decode, io, 'pack');
    dataset = folder.dataset;
    clipIds = folder.clipIds;
  } else {
    dataset = makeDemoDataset(demoOptionsFor(config));
  }
  const shards = await writePackFolder(args.out, dataset, { frames: config.frames, maxShardBytes: args.maxShardBytes, clipIds });
  io.out(`wrote ${args.out}: ${shards} shard(s), ${dataset.train.size} train / ${dataset.test.size} test clips, ${dataset.classNames.length} classes`);
  return 0;
}

/** In Node, WebGPU comes from the `webgpu` package (Dawn), when it is installed and finds an adapter. */
/** WebGPU for Node (Dawn), as the tests and benchmarks install it; says why when there is no adapter. */
async function installNodeWebGpu(io: Output): Promise<void> {
  const gpu = await installWebGpuForNode();
  if (!gpu.adapter) io.err(`WebGPU for Node: ${gpu.reason}`);
}

export async function main(argv: string[], io: Output = stdio): Promise<number> {
  // The CLI is the product here, not a test: keep TF.js's Node banner ("install tfjs-node") out of the output.
  tf.env().set('PROD', true);
  try {
    const args = parseArgs(argv);
    if (args.command === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (args.command === 'eval') {
      const e = args as EvalArgs;
      checkInputFile('--weights', e.weights);
      checkInputFile('--inputs', e.inputs);
      checkOutputFile('--out', e.out);
      return await runEval(e, io);
    }
    if (args.command === 'pack') return await pack(args, io);
    if (args.command === 'table') {
      if (args.out !== null) checkOutputFile('--out', args.out);
      return await runTable(args, io);
    }
    return await train(args, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.err(`bmm-lab: ${e.message}`);
      return 2;
    }
    io.err(`bmm-lab: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
