import { describe, expect, it } from 'vitest';
import { planDataset } from './plan';
import { byId, ignoredKinds, reader, refs } from '../../../test/support/layoutFiles';

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
    expect(plan.pairs).toEqual([['rgb', 'flow'], ['spectrogram', 'rgb'], ['spectrogram', 'flow']]);
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
    expect(plan.pairs).toEqual([['spectrogram', 'rgb']]);
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
