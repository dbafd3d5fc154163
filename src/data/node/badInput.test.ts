/**
 * The bad-input corpus decoded in Node (the CLI's path: the page's planner and decodeClip with the system ffmpeg),
 * each set on its own, against the table of expected verdicts in e2e/fixtures/badInputs.ts (which the page's
 * e2e test reads too). The one item whose verdict depends on the decoder (AV1) is also decoded with ffmpeg.wasm.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BAD_INPUT_DIR, BAD_INPUT_SETS, BAD_INPUTS, checkSet, tableCounts } from '../../../e2e/fixtures/badInputs';
import { mediaFixtures } from '../../../test/support/mediaFixtures';
import { countVerdicts, fileVerdicts, type FileVerdict } from '../decode/verdicts';
import { DatasetLayoutError } from '../layouts';
import { decodePlannedFolder, planFolder } from './decodeFolder';
import { findSystemFfmpeg } from './nativeFfmpeg';

const fx = mediaFixtures();
const ffmpeg = findSystemFfmpeg();
const skipReason = !fx.ok ? fx.reason : !ffmpeg ? 'no system ffmpeg on PATH' : null;
if (skipReason) console.warn(`skipping the bad-input corpus in Node: ${skipReason}`);
const CORPUS = fx.ok ? join(fx.dir, BAD_INPUT_DIR) : '';

const seconds: Record<string, number> = {};
const totals = { used: 0, warned: 0, skipped: 0 };
const scratch: string[] = [];

/** Plans and decodes one folder as `bmm-lab train --data` does; its verdict rows and dataset-level warnings. */
async function decodeSet(dir: string, decoder: 'ffmpeg' | 'wasm'): Promise<{ rows: FileVerdict[]; warnings: string[]; error: string | null }> {
  let planned;
  try {
    planned = await planFolder(dir, null);
  } catch (e) {
    if (e instanceof DatasetLayoutError) return { rows: [], warnings: [], error: e.message };
    throw e;
  }
  const { outcome } = await decodePlannedFolder(planned, { preset: 'tiny', decoder, cacheDir: null });
  return { rows: fileVerdicts(planned.plan, planned.unreadable, outcome), warnings: [...planned.plan.warnings, ...outcome.warnings], error: null };
}

describe.skipIf(skipReason !== null)('the bad-input corpus in Node', () => {
  afterAll(() => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
    const total = Object.values(seconds).reduce((a, b) => a + b, 0);
    console.log(
      `bad-input corpus in Node (system ffmpeg): ${BAD_INPUTS.length} items, ${totals.used} used / ${totals.warned} used with a warning / ${totals.skipped} skipped, ` +
        `${total.toFixed(1)} s (${Object.entries(seconds).map(([s, t]) => `${s} ${t.toFixed(1)} s`).join(', ')})`,
    );
  });

  for (const set of BAD_INPUT_SETS) {
    it(`${set}: every file ends as the table says`, async () => {
      const t0 = performance.now();
      const { rows, warnings, error } = await decodeSet(join(CORPUS, set), 'ffmpeg');
      seconds[set] = (performance.now() - t0) / 1000;
      const counts = countVerdicts(rows);
      for (const k of ['used', 'warned', 'skipped'] as const) totals[k] += counts[k];
      const item = BAD_INPUTS.find((i) => i.set === set && i.planError);
      if (item) {
        expect(error, 'the set reads as no dataset').toMatch(item.planError!);
        return;
      }
      expect(error, 'planning').toBeNull();
      expect(checkSet(set, rows, warnings, 'ffmpeg')).toEqual([]);
    });
  }

  it('the table and the decode agree on the counts', () => {
    const want = tableCounts('ffmpeg');
    expect(totals).toEqual({ used: want.used, warned: want.warned, skipped: want.skipped });
  });

  it('AV1 with ffmpeg.wasm alone: skipped as an unsupported codec, the clips beside it still used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmm-av1-'));
    scratch.push(dir);
    const src = join(CORPUS, 'clips');
    const set = join(dir, 'clips');
    for (const p of ['train/b/av1.mkv', 'train/a/good3.mp4', 'test/a/good1.mp4', 'test/b/good2.mp4']) {
      mkdirSync(join(set, p, '..'), { recursive: true });
      cpSync(join(src, p), join(set, p));
    }
    const { rows } = await decodeSet(set, 'wasm');
    expect(rows.find((r) => r.path === 'clips/train/b/av1.mkv')).toMatchObject({ verdict: 'skipped', reasons: [expect.stringMatching(/^unsupported codec av1/)] });
    expect(rows.filter((r) => r.verdict === 'used').map((r) => r.path).sort()).toEqual(['clips/test/a/good1.mp4', 'clips/test/b/good2.mp4', 'clips/train/a/good3.mp4']);
  });
});
