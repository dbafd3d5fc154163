import { describe, expect, it } from 'vitest';
import {
  CREMA_D_EMOTIONS,
  DatasetLayoutError,
  type DatasetPlan,
  type FileRef,
  detectLayout,
  formatPlanSummary,
  naturalCompare,
  parseCremaDName,
  planDataset,
  stratifiedSplit,
  summarizePlan,
} from './layouts';

function refs(paths: string[]): FileRef[] {
  return paths.map((path, i) => ({ path, size: 1000 + i, lastModified: 1_700_000_000_000 }));
}

function reader(texts: Record<string, string>): (path: string) => Promise<string> {
  return async (path) => {
    if (!(path in texts)) throw new Error(`no such file ${path}`);
    return texts[path];
  };
}

function byId(plan: DatasetPlan) {
  return new Map(plan.clips.map((c) => [c.id, c]));
}

function ignoredKinds(plan: DatasetPlan): Record<string, string> {
  return Object.fromEntries(plan.ignored.map((i) => [i.path, i.kind]));
}

describe('CREMA-D', () => {
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
    expect(plan.secondModality).toBe('rgb');
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
    expect(detectLayout(files)).toBe('crema-d');
    const plan = await planDataset(files, reader({}), { seed: 7 });
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

describe('class folders', () => {
  it('uses train/ and test/ folders at any depth and attaches same-stem audio', async () => {
    const files = refs([
      'kinetics/train/playing drums/a.mp4',
      'kinetics/train/playing drums/a.wav',
      'kinetics/train/playing drums/b.mp4',
      'kinetics/train/abseiling/c.webm',
      'kinetics/test/abseiling/d.mp4',
      'kinetics/test/playing drums/e.mp4',
    ]);
    const plan = await planDataset(files, reader({}));
    expect(plan.layout).toBe('class-folders');
    expect(plan.splitSource).toBe('folders');
    expect(plan.classNames).toEqual(['abseiling', 'playing drums']);
    expect(plan.clips.map((c) => [c.id, c.label, c.split])).toEqual([
      ['kinetics/test/abseiling/d.mp4', 0, 'test'],
      ['kinetics/test/playing drums/e.mp4', 1, 'test'],
      ['kinetics/train/abseiling/c.webm', 0, 'train'],
      ['kinetics/train/playing drums/a.mp4', 1, 'train'],
      ['kinetics/train/playing drums/b.mp4', 1, 'train'],
    ]);
    expect(byId(plan).get('kinetics/train/playing drums/a.mp4')!.audio!.path).toBe('kinetics/train/playing drums/a.wav');
    expect(plan.ignored).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('sorts out a mixed folder with junk files', async () => {
    const files = refs([
      'drop/cat/1.mp4',
      'drop/cat/2.MP4',
      'drop/cat/.DS_Store',
      'drop/cat/cover.jpg',
      'drop/dog/3.avi',
      'drop/dog/4.mkv',
      'drop/dog/notes.txt',
      'drop/dog/stray.wav',
      'drop/dog/thumbs.db',
      'drop/dog/clip.xyz',
      'drop/dog/empty.mp4',
      'loose.mp4',
      '__MACOSX/cat/._1.mp4',
    ]);
    files.find((f) => f.path === 'drop/dog/empty.mp4')!.size = 0;
    const plan = await planDataset(files, reader({}), { seed: 1 });
    expect(plan.layout).toBe('class-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.clips.map((c) => c.id)).toEqual(['drop/cat/1.mp4', 'drop/cat/2.MP4', 'drop/dog/3.avi', 'drop/dog/4.mkv']);
    expect(plan.clips.filter((c) => c.split === 'test')).toHaveLength(2);
    expect(ignoredKinds(plan)).toEqual({
      'drop/cat/.DS_Store': 'hidden',
      'drop/cat/cover.jpg': 'unused-file',
      'drop/dog/notes.txt': 'unused-file',
      'drop/dog/stray.wav': 'no-video',
      'drop/dog/thumbs.db': 'hidden',
      'drop/dog/clip.xyz': 'unknown-extension',
      'drop/dog/empty.mp4': 'empty',
      'loose.mp4': 'no-class-folder',
      '__MACOSX/cat/._1.mp4': 'hidden',
    });
  });

  it('ignores clips outside train/test when other clips use them, and validation folders', async () => {
    const files = refs(['train/a/1.mp4', 'train/b/2.mp4', 'test/a/3.mp4', 'test/b/4.mp4', 'val/a/5.mp4', 'extra/a/6.mp4', 'train/7.mp4']);
    const plan = await planDataset(files, reader({}));
    expect(plan.clips).toHaveLength(4);
    expect(ignoredKinds(plan)).toEqual({
      'val/a/5.mp4': 'unused-split-folder',
      'extra/a/6.mp4': 'not-in-split',
      'train/7.mp4': 'no-class-folder',
    });
  });
});

describe('UCF-101', () => {
  const classInd = '1 ApplyEyeMakeup\r\n2 Archery\r\n3 HandstandPushups\r\n';
  const trainList = [
    'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1',
    'Archery/v_Archery_g08_c01.avi 2',
    'HandstandPushups/v_HandStandPushups_g08_c01.avi 3',
    'Archery/v_Archery_g09_c01.avi 2',
  ].join('\n');
  const testList = ['ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', 'Archery/v_Archery_g01_c01.avi', 'HandstandPushups/v_HandStandPushups_g01_c01.avi'].join('\n');
  const stems = [
    'v_ApplyEyeMakeup_g08_c01',
    'v_Archery_g08_c01',
    'v_HandStandPushups_g08_c01',
    'v_ApplyEyeMakeup_g01_c01',
    'v_Archery_g01_c01',
    'v_HandStandPushups_g01_c01',
  ];
  const folderOf = (stem: string) => stem.split('_')[1];
  const texts = {
    'ucfTrainTestlist/classInd.txt': classInd,
    'ucfTrainTestlist/trainlist01.txt': trainList,
    'ucfTrainTestlist/testlist01.txt': testList,
  };
  const lists = [...Object.keys(texts), 'ucfTrainTestlist/trainlist02.txt'];

  it('reads classInd / trainlist01 / testlist01 and pairs videos with u/ and v/ flow in frame order', async () => {
    const flow = stems.flatMap((s) =>
      ['u', 'v'].flatMap((c) => [10, 2, 1].map((k) => `tvl1_flow/${c}/${s}/frame${String(k).padStart(6, '0')}.jpg`)),
    );
    const files = refs([
      ...lists,
      ...stems.map((s) => `UCF-101/${folderOf(s)}/${s}.avi`),
      'UCF-101/Archery/v_Archery_g02_c01.avi', // not in the lists
      'UCF-101/Archery/v_Archery_g03_c01.avi', // no flow
      ...flow,
      'tvl1_flow/u/v_Orphan_g01_c01/frame000001.jpg',
    ]);
    const plan = await planDataset(files, reader(texts));
    expect(plan.layout).toBe('ucf-101');
    expect(plan.classNames).toEqual(['ApplyEyeMakeup', 'Archery', 'HandstandPushups']);
    expect(plan.secondModality).toBe('flow');
    expect(plan.splitSource).toBe('files');
    expect(plan.clips.map((c) => [c.id, c.label, c.split])).toEqual([
      ['v_ApplyEyeMakeup_g01_c01', 0, 'test'],
      ['v_ApplyEyeMakeup_g08_c01', 0, 'train'],
      ['v_Archery_g01_c01', 1, 'test'],
      ['v_Archery_g08_c01', 1, 'train'],
      ['v_HandStandPushups_g01_c01', 2, 'test'],
      ['v_HandStandPushups_g08_c01', 2, 'train'],
    ]);
    const clip = byId(plan).get('v_Archery_g08_c01')!;
    expect(clip.video!.path).toBe('UCF-101/Archery/v_Archery_g08_c01.avi');
    expect(clip.flowU!.map((f) => f.path.split('/').pop())).toEqual(['frame000001.jpg', 'frame000002.jpg', 'frame000010.jpg']);
    expect(clip.flowV![0].path).toBe('tvl1_flow/v/v_Archery_g08_c01/frame000001.jpg');
    expect(ignoredKinds(plan)).toEqual({
      'ucfTrainTestlist/trainlist02.txt': 'unused-file',
      'UCF-101/Archery/v_Archery_g02_c01.avi': 'no-flow',
      'UCF-101/Archery/v_Archery_g03_c01.avi': 'no-flow',
      'tvl1_flow/u/v_Orphan_g01_c01/': 'no-video',
    });
    expect(plan.warnings).toEqual([expect.stringMatching(/trainlist01\.txt: 1 listed clips not found .*v_Archery_g09_c01/)]);
  });

  it('works without flow (audio + RGB) and drops videos missing from the lists', async () => {
    const files = refs([...lists, ...stems.map((s) => `UCF-101/${s}.avi`), 'UCF-101/v_Archery_g02_c01.avi']);
    const plan = await planDataset(files, reader(texts));
    expect(plan.secondModality).toBe('rgb');
    expect(plan.clips).toHaveLength(6);
    expect(plan.clips.every((c) => c.flowU === undefined)).toBe(true);
    expect(ignoredKinds(plan)['UCF-101/v_Archery_g02_c01.avi']).toBe('not-in-split');
  });

  it('falls back to a seeded split without list files, labelling by class folder or name', async () => {
    const files = refs(['classInd.txt', ...stems.map((s) => `${s}.avi`), 'Unknown/v_Juggling_g01_c01.avi']);
    const plan = await planDataset(files, reader({ 'classInd.txt': classInd }));
    expect(plan.splitSource).toBe('seeded');
    expect(plan.clips.map((c) => c.label).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(plan.clips.filter((c) => c.split === 'test')).toHaveLength(3);
    expect(ignoredKinds(plan)['Unknown/v_Juggling_g01_c01.avi']).toBe('unknown-label');
  });
});

describe('frame folders', () => {
  it('groups natural-sorted frames per clip folder with a WAV of the same stem', async () => {
    const frames = (dir: string) => [10, 2, 1].map((k) => `${dir}/img_${k}.png`);
    const files = refs([
      ...frames('set/train/cat/clipA'),
      'set/train/cat/clipA.wav',
      ...frames('set/train/dog/clipB'),
      'set/train/dog/clipB/clipB.wav',
      ...frames('set/test/cat/clipC'),
      'set/test/cat/clipC.wav',
      ...frames('set/test/dog/clipD'),
      'set/test/dog/clipD.wav',
      ...frames('set/test/dog/clipE'),
      'set/test/dog/orphan.wav',
    ]);
    expect(detectLayout(files)).toBe('frame-folders');
    const plan = await planDataset(files, reader({}));
    expect(plan.layout).toBe('frame-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.splitSource).toBe('folders');
    expect(plan.clips.map((c) => [c.id, c.label, c.split])).toEqual([
      ['set/test/cat/clipC', 0, 'test'],
      ['set/test/dog/clipD', 1, 'test'],
      ['set/train/cat/clipA', 0, 'train'],
      ['set/train/dog/clipB', 1, 'train'],
    ]);
    const a = byId(plan).get('set/train/cat/clipA')!;
    expect(a.frames!.map((f) => f.path.split('/').pop())).toEqual(['img_1.png', 'img_2.png', 'img_10.png']);
    expect(a.audio!.path).toBe('set/train/cat/clipA.wav');
    expect(byId(plan).get('set/train/dog/clipB')!.audio!.path).toBe('set/train/dog/clipB/clipB.wav');
    expect(ignoredKinds(plan)).toEqual({ 'set/test/dog/clipE/': 'no-audio', 'set/test/dog/orphan.wav': 'no-video' });
  });
});

describe('planDataset', () => {
  it('hands back the caller’s own file objects', async () => {
    const files = refs(['a/1.mp4', 'b/2.mp4']).map((f) => ({ ...f, handle: Symbol(f.path) }));
    const plan = await planDataset(files, reader({}));
    expect(plan.clips.map((c) => c.video)).toEqual(expect.arrayContaining(files));
    expect(plan.clips[0].video).toBe(files[0]);
  });

  it('throws a DatasetLayoutError that says what it found', async () => {
    const files = refs(['docs/a.pdf', 'notes.txt']);
    expect(detectLayout(files)).toBeNull();
    await expect(planDataset(files, reader({}))).rejects.toThrow(DatasetLayoutError);
    await expect(planDataset(files, reader({}))).rejects.toThrow(/0 videos, 0 audio, 0 images, 1 text files/);
  });

  it('summarises clips per class per split', async () => {
    const files = refs(['train/a/1.mp4', 'train/a/2.mp4', 'train/b/3.mp4', 'test/a/4.mp4', 'x/.DS_Store']);
    const plan = await planDataset(files, reader({}));
    const summary = summarizePlan(plan);
    expect(summary).toMatchObject({
      layout: 'class-folders',
      train: 3,
      test: 1,
      ignored: 1,
      ignoredByKind: { hidden: 1 },
      classes: [
        { label: 0, name: 'a', train: 2, test: 1 },
        { label: 1, name: 'b', train: 1, test: 0 },
      ],
    });
    expect(plan.warnings).toEqual(["class 'b' has no test clips"]);
    expect(formatPlanSummary(summary)).toContain('class-folders: 2 classes, 3 train / 1 test clips (split from folders)');
  });
});

describe('stratifiedSplit', () => {
  const labels = [...Array(10).fill(0), ...Array(15).fill(1), 2, ...Array(2).fill(3), ...Array(25).fill(4)];
  const testCount = (s: string[], c: number) => s.filter((x, i) => x === 'test' && labels[i] === c).length;

  it('puts round(n * 0.1) per class in test, at least 1 for classes of 2 or more', () => {
    const s = stratifiedSplit(labels, 0.1, 3);
    expect([0, 1, 2, 3, 4].map((c) => testCount(s, c))).toEqual([1, 2, 0, 1, 3]);
  });

  it('is deterministic for a seed and different for another', () => {
    expect(stratifiedSplit(labels, 0.1, 3)).toEqual(stratifiedSplit(labels, 0.1, 3));
    expect(stratifiedSplit(labels, 0.1, 4)).not.toEqual(stratifiedSplit(labels, 0.1, 3));
  });

  it("reproduces CREMA-D's 6698 / 744 from its class sizes", () => {
    const crema = [1087, 1271, 1271, 1271, 1271, 1271].flatMap((n, c) => Array<number>(n).fill(c));
    const s = stratifiedSplit(crema, 0.1, 0);
    expect(s.filter((x) => x === 'test')).toHaveLength(744);
  });

  it('handles other fractions and rejects bad ones', () => {
    expect(stratifiedSplit([0, 0, 0, 0], 0.5, 1).filter((x) => x === 'test')).toHaveLength(2);
    expect(stratifiedSplit([0, 0, 0], 0, 1)).toEqual(['train', 'train', 'train']);
    expect(() => stratifiedSplit([0], 1)).toThrow(/\[0, 1\)/);
  });
});

describe('naturalCompare', () => {
  it('orders digit runs numerically', () => {
    expect(['frame10.jpg', 'frame2.jpg', 'Frame1.jpg', 'frame000003.jpg'].sort(naturalCompare)).toEqual([
      'Frame1.jpg',
      'frame2.jpg',
      'frame000003.jpg',
      'frame10.jpg',
    ]);
  });
});
