/**
 * `--data FOLDER` and `bmm-lab pack FOLDER`: a dataset folder planned and decoded as the page does (Node decoding,
 * src/data/node), with what the page shows said on stderr: the layout, classes and split, the files left out, a
 * progress bar, and every clip that could not be used with its file and reason (the page's words for layouts and
 * splits, from its dataset panel).
 */
import { join } from 'node:path';
import { pairLabel, pairName, samePair } from '../core/modalities';
import type { PresetName } from '../core/config';
import type { DecodedDataset } from '../data/decode/decodeDataset';
import { CACHE_FOLDER_NAME, decodePlannedFolder, planFolder, type FolderDecode, type PlannedFolder } from '../data/node/decodeFolder';
import { countVerdicts, fileVerdicts, verdictCountsText, type FileVerdict } from '../data/decode/verdicts';
import { DatasetLayoutError, EXPECTED_LAYOUTS, summarizePlan } from '../data/layouts';
import { LAYOUT_NAMES, plural, presetHint, SPLIT_SOURCES } from '../ui/datasetPanelText';
import { UsageError, type DecodeFlags } from './args';
import type { Output } from './main';
import { ProgressBar, type ProgressSink } from './progressBar';

/** Ignored files listed one by one; the rest are counted by reason. */
const IGNORED_SHOWN = 10;

export interface FolderData {
  dataset: DecodedDataset;
  clipIds: { train: string[]; test: string[] };
  label: string;
  decode: FolderDecode;
  /** What became of every file of the folder (used, used with a warning, skipped). */
  verdicts: FileVerdict[];
}

/** The progress sink of `io`: its own when it has one, else plain lines through `io.err`. */
function progressSink(io: Output): ProgressSink {
  return io.progress ?? { isTTY: false, write: (text) => io.err(text.replace(/\n$/, '')) };
}

/** Decodes `dir` at `preset`'s sizes; `flag` names the command-line argument in messages. */
export async function loadFolder(dir: string, preset: PresetName, flags: DecodeFlags, io: Output, flag: string): Promise<FolderData> {
  let planned: PlannedFolder;
  try {
    planned = await planFolder(dir, flags.cache === undefined ? join(dir, CACHE_FOLDER_NAME) : flags.cache);
  } catch (e) {
    if (e instanceof DatasetLayoutError) throw new UsageError(`${flag} ${dir}: ${flag === '--data' ? 'no pack.json, and ' : ''}${e.message.replace(/^No/, 'no')}`);
    throw e;
  }
  const { plan, unreadable } = planned;
  const summary = summarizePlan(plan);
  const modalities = flags.modalities ?? plan.pairs[0];
  if (!plan.pairs.some((p) => samePair(p, modalities))) {
    throw new UsageError(`--modalities ${pairName(modalities)}: ${dir} (${LAYOUT_NAMES[plan.layout]}) gives ${plan.pairs.map(pairName).join(', ')}`);
  }
  const classes = plan.classNames.length > 8 ? `${plan.classNames.slice(0, 8).join(', ')}, …` : plan.classNames.join(', ');
  io.err(
    `dataset folder ${dir}: ${LAYOUT_NAMES[plan.layout]}, ${plan.classNames.length} classes (${classes}), ` +
      `${summary.train} train / ${summary.test} test clips (split from ${SPLIT_SOURCES[plan.splitSource]})` +
      `, modalities ${pairLabel(modalities)}` +
      (plan.pairs.length > 1 ? ` (it also gives ${plan.pairs.filter((p) => !samePair(p, modalities)).map(pairLabel).join(', ')}: --modalities)` : ''),
  );
  const hint = presetHint(plan.layout, preset);
  if (hint) io.err(`note: ${hint.replace('the kinetics-sounds preset', '--preset kinetics-sounds')}`);
  if (plan.ignored.length > 0) {
    const byKind = Object.entries(summary.ignoredByKind).map(([kind, n]) => `${n} ${kind}`);
    io.err(`ignored ${plural(plan.ignored.length, 'file')} (${byKind.join(', ')}):`);
    for (const f of plan.ignored.slice(0, IGNORED_SHOWN)) io.err(`  ${f.path}: ${f.reason}`);
    if (plan.ignored.length > IGNORED_SHOWN) io.err(`  … and ${plan.ignored.length - IGNORED_SHOWN} more`);
  }
  for (const f of unreadable) io.err(`unreadable: ${f.path}: ${f.reason}`);
  for (const w of plan.warnings) io.err(`warning: ${w}`);
  if (plan.clips.length === 0) {
    throw new UsageError(`${flag} ${dir}: no clips found (read as ${LAYOUT_NAMES[plan.layout]}: ${plural(plan.ignored.length, 'file')} ignored, listed above). Expected ${EXPECTED_LAYOUTS}.`);
  }
  const bar = new ProgressBar(progressSink(io));
  let decoded: FolderDecode;
  try {
    decoded = await decodePlannedFolder(planned, {
      preset,
      maxFrames: flags.maxFrames ?? undefined,
      jobs: flags.jobs ?? undefined,
      decoder: flags.decoder,
      cacheDir: flags.cache,
      modalities,
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.end();
  }
  const { outcome } = decoded;
  if (decoded.cacheProblem) io.err(`note: ${decoded.cacheProblem}`);
  const with_ =
    decoded.decoder.kind === 'ffmpeg' ? `${decoded.decoder.version.replace(/^ffmpeg version (\S+).*$/, 'ffmpeg $1')} (${decoded.jobs} at once)` : 'ffmpeg.wasm (one clip at a time)';
  const rate = outcome.decoded > 0 ? `, ${(outcome.decoded / Math.max(outcome.seconds, 1e-3)).toFixed(1)} clips/s` : '';
  io.err(
    `decoded ${plan.clips.length} clips with ${with_}: ${outcome.decoded} decoded, ${outcome.cached} from the cache` +
      `${decoded.cacheDir ? ` (${decoded.cacheDir})` : ''}, ${outcome.failures.length} could not be used, ${outcome.seconds.toFixed(1)} s${rate}`,
  );
  if (outcome.failures.length > 0) {
    io.err(`${plural(outcome.failures.length, 'clip')} could not be used:`);
    for (const f of outcome.failures) io.err(`  ${f.path}: ${f.reason}`);
  }
  if (outcome.clipWarnings.length > 0) {
    io.err(`${plural(new Set(outcome.clipWarnings.map((w) => w.clipId)).size, 'clip')} used with a warning:`);
    for (const w of outcome.clipWarnings) io.err(`  ${w.path}: ${w.reason}`);
  }
  for (const w of outcome.warnings) io.err(`warning: ${w}`);
  const verdicts = fileVerdicts(plan, unreadable, outcome);
  io.err(`files: ${verdictCountsText(countVerdicts(verdicts))}`);
  if (!outcome.dataset) {
    throw new UsageError(`${flag} ${dir}: no dataset to train on (${outcome.warnings.at(-1) ?? 'no clips could be decoded'})`);
  }
  const { dataset } = outcome;
  return { dataset, clipIds: { train: dataset.train.ids, test: dataset.test.ids }, label: `folder ${dir} (${LAYOUT_NAMES[plan.layout]})`, decode: decoded, verdicts };
}
