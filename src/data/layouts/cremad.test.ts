import { describe, expect, it } from 'vitest';
import { CREMA_D_EMOTIONS, parseCremaDName } from './cremad';
import { naturalCompare } from './paths';
import { planDataset } from './plan';
import { summarizePlan } from './summary';
import { byId, ignoredKinds, reader, refs } from '../../../test/support/layoutFiles';

describe('CREMA-D', () => {
  it("prefers a stem's video in VideoFlash/ over a copy in another folder, and names the one used", async () => {
    const files = refs(['set/Copy/1001_DFA_ANG_XX.flv', 'set/VideoFlash/1001_DFA_ANG_XX.flv', 'set/VideoFlash/1002_DFA_ANG_XX.flv', 'set/VideoFlash/1001_DFA_NEU_XX.flv']);
    const plan = await planDataset(files, reader({}));
    expect(byId(plan).get('1001_DFA_ANG_XX')!.video!.path).toBe('set/VideoFlash/1001_DFA_ANG_XX.flv');
    expect(plan.ignored).toEqual([
      { path: 'set/Copy/1001_DFA_ANG_XX.flv', kind: 'duplicate', reason: 'another video with the same name is used: set/VideoFlash/1001_DFA_ANG_XX.flv' },
    ]);
  });

  const emotions = ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'];
  const stems = emotions.flatMap((e) => [`1001_DFA_${e}_XX`, `1002_IEO_${e}_HI`]);
  const bom = '\uFEFF';
  const trainCsv = bom + emotions.map((e) => `1001_DFA_${e}_XX,${e}`).join('\r\n') + '\r\n1091_WSI_SAD_XX,SAD\r\n';
  const testCsv = bom + emotions.map((e) => `1002_IEO_${e}_HI.flv,${e}`).join('\r\n') + '\r\n';

  it('reads separately dropped VideoFlash/ and AudioWAV/ with CRLF + BOM split files and junk', async () => {
    const files = refs([
      ...stems.map((s) => `VideoFlash/${s}.flv`),
      ...stems.filter((s) => !s.endsWith('ANG_HI')).map((s) => `AudioWAV/${s}.wav`),
      'train.csv',
      'test.csv',
      'VideoFlash/.DS_Store',
      'VideoFlash/._1001_DFA_ANG_XX.flv',
      'VideoFlash/notes.docx',
      'VideoFlash/bad_name.flv',
      'VideoFlash/1003_DFA_XYZ_XX.flv',
      'VideoFlash/1004_DFA_NEU_XX.flv',
      'AudioWAV/1005_DFA_HAP_XX.wav',
      'readme.txt',
    ]);
    const plan = await planDataset(files, reader({ 'train.csv': trainCsv, 'test.csv': testCsv }));
    expect(plan.layout).toBe('crema-d');
    expect(plan.classNames).toEqual(['neutral', 'happy', 'sad', 'fear', 'disgust', 'anger']);
    expect(plan.splitSource).toBe('files');
    expect(plan.pairs).toEqual([['spectrogram', 'rgb']]);
    expect(plan.clips.map((c) => c.id)).toEqual([...stems].sort(naturalCompare));
    const clips = byId(plan);
    expect(clips.get('1001_DFA_ANG_XX')).toMatchObject({ label: 5, split: 'train' });
    expect(clips.get('1002_IEO_NEU_HI')).toMatchObject({ label: 0, split: 'test' });
    expect(clips.get('1001_DFA_FEA_XX')!.video!.path).toBe('VideoFlash/1001_DFA_FEA_XX.flv');
    expect(clips.get('1001_DFA_FEA_XX')!.audio!.path).toBe('AudioWAV/1001_DFA_FEA_XX.wav');
    // No AudioWAV file: the clip's own audio track is used.
    expect(clips.get('1002_IEO_ANG_HI')!.audio).toBeUndefined();
    for (const c of plan.clips) expect(c.label).toBe(CREMA_D_EMOTIONS.indexOf(c.id.split('_')[2] as 'NEU'));

    expect(ignoredKinds(plan)).toEqual({
      'VideoFlash/.DS_Store': 'hidden',
      'VideoFlash/._1001_DFA_ANG_XX.flv': 'hidden',
      'VideoFlash/notes.docx': 'unknown-extension',
      'VideoFlash/bad_name.flv': 'unparsable-name',
      'VideoFlash/1003_DFA_XYZ_XX.flv': 'unknown-label',
      'VideoFlash/1004_DFA_NEU_XX.flv': 'not-in-split',
      'AudioWAV/1005_DFA_HAP_XX.wav': 'no-video',
      'readme.txt': 'unused-file',
    });
    expect(plan.ignored.find((i) => i.kind === 'unknown-label')!.reason).toMatch(/'XYZ'/);
    expect(plan.ignored.find((i) => i.kind === 'not-in-split')!.reason).toMatch(/train\.csv or test\.csv/);
    expect(plan.warnings).toEqual([expect.stringMatching(/^train\.csv: 1 listed clips not found .*'1091_WSI_SAD_XX'/)]);
    expect(summarizePlan(plan).classes.map((c) => [c.train, c.test])).toEqual(emotions.map(() => [1, 1]));
  });

  it('finds clips under one root folder and splits by seed without split files', async () => {
    const paths = emotions.flatMap((e) => Array.from({ length: 10 }, (_, i) => `CREMA-D/VideoFlash/${1001 + i}_DFA_${e}_XX.flv`));
    const files = refs(paths);
    const plan = await planDataset(files, reader({}), { seed: 7 });
    expect(plan.layout).toBe('crema-d');
    expect(plan.splitSource).toBe('seeded');
    expect(plan.clips).toHaveLength(60);
    const summary = summarizePlan(plan);
    expect(summary.classes.every((c) => c.train === 9 && c.test === 1)).toBe(true);
    const again = await planDataset(refs([...paths].reverse()), reader({}), { seed: 7 });
    expect(again.clips.map((c) => `${c.id}:${c.split}`)).toEqual(plan.clips.map((c) => `${c.id}:${c.split}`));
  });

  it('tolerates a header, LF-only lines, names with extensions and reports label mismatches and overlaps', async () => {
    const files = refs(['v/1001_DFA_ANG_XX.mp4', 'v/1001_DFA_HAP_XX.mp4', 'v/1001_DFA_SAD_XX.mp4', 'train.csv', 'test.csv']);
    const plan = await planDataset(
      files,
      reader({
        'train.csv': 'clip,label\n1001_DFA_ANG_XX.flv,ANG\n1001_DFA_HAP_XX,SAD\n\n',
        'test.csv': '1001_DFA_SAD_XX,SAD\n1001_DFA_ANG_XX,ANG\ngarbage line\n',
      }),
    );
    expect(plan.clips.map((c) => [c.id, c.split, c.label])).toEqual([
      ['1001_DFA_ANG_XX', 'train', 5],
      ['1001_DFA_HAP_XX', 'train', 1],
      ['1001_DFA_SAD_XX', 'test', 2],
    ]);
    expect(plan.warnings).toContainEqual(expect.stringMatching(/train\.csv line 3: label 'SAD' disagrees/));
    expect(plan.warnings).toContainEqual(expect.stringMatching(/1001_DFA_ANG_XX is listed in both/));
    expect(plan.warnings).toContainEqual(expect.stringMatching(/test\.csv line 3: 'garbage line' is not a CREMA-D clip name/));
  });

  it('with only train.csv, unlisted clips become test (with a warning)', async () => {
    const files = refs(['a/1001_DFA_ANG_XX.flv', 'a/1002_DFA_ANG_XX.flv', 'train.csv']);
    const plan = await planDataset(files, reader({ 'train.csv': '1001_DFA_ANG_XX,ANG\r\n' }));
    expect(plan.clips.map((c) => c.split)).toEqual(['train', 'test']);
    expect(plan.warnings).toContainEqual(expect.stringMatching(/only train\.csv found: 1 clips/));
  });

  it('parses names', () => {
    expect(parseCremaDName('1001_DFA_ANG_XX')).toEqual({ actor: '1001', sentence: 'DFA', emotion: 'ANG', level: 'XX', label: 5 });
    expect(parseCremaDName('1001_DFA_XYZ_XX')!.label).toBe(-1);
    expect(parseCremaDName('1001_DFA_ANG')).toBeNull();
  });

  it('reports an unreadable split file with its path', async () => {
    const files = refs(['1001_DFA_ANG_XX.flv', 'splits/train.csv']);
    await expect(planDataset(files, reader({}))).rejects.toThrow(/could not read splits\/train\.csv/);
  });
});
